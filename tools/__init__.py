"""Development tooling the running platform never imports: the demo-data generators (catalog,
consumption), the recommendation replay, the forecasting tuning harness and the report samples.

Run from the repository root (``python -m tools.catalog_generator``), like ``benchmarks``; the
image ships without it and ``test_layering.py`` checks that ``procurement_pipeline`` never
imports it.
"""
