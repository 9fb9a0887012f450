"""Benchmark of the PDF reports: a catalog report (default selection) and one report per
product for 3,000 synthetic products (180 days of history, 30-day forecast each).

    .venv/bin/python -m benchmarks.reports [--products 3000] [--workers 2]

Also times, in this process and on 20 reports each, the vector renderer (the default), the
object-oriented matplotlib renderer (one reused Figure) and a naive baseline (pyplot state, a
new figure per chart, default DPI, tight_layout, single process), extrapolated to all products.
Prints progress; the LAST line is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from procurement_pipeline.lib.reporting import (  # noqa: E402
    build_catalog_report,
    build_product_report,
    build_product_reports,
    summarize_catalog,
)
from procurement_pipeline.lib.reporting import product as product_module  # noqa: E402
from tools.report_samples import sample_catalog  # noqa: E402

TARGET_S = 180.0
SAMPLE = 20


class PyplotBaselineRenderer:
    """The naive way: pyplot global state, a new figure per chart, default DPI."""

    def draw(self, canvas, data, x, y, width, height, *, title=None):
        import matplotlib.pyplot as plt
        from reportlab.lib.utils import ImageReader

        plt.figure(figsize=(10, 4))
        if len(data.forecast_lower):
            plt.fill_between(data.forecast_x, data.forecast_lower, data.forecast_upper, alpha=0.4)
        if len(data.history_x):
            plt.plot(data.history_x, data.history_y, label="Preço observado")
        if len(data.synthetic_x):
            plt.plot(data.synthetic_x, data.synthetic_y, "--", label="Histórico sintético")
        if len(data.holdout_x):
            plt.plot(data.holdout_x, data.holdout_y, ":", label="Previsão no holdout")
        if len(data.forecast_x):
            plt.plot(data.forecast_x, data.forecast_y, label="Previsão")
        plt.title(title or "")
        plt.legend()
        plt.grid(True)
        plt.tight_layout()
        buffer = io.BytesIO()
        plt.savefig(buffer, format="png")  # default DPI
        plt.close()
        buffer.seek(0)
        canvas.drawImage(ImageReader(buffer), x, y, width, height)


def log(message: str) -> None:
    print(message, flush=True)


def time_single_process(items, folder: Path, renderer: str) -> float:
    started = time.perf_counter()
    for data in items:
        build_product_report(data, folder / f"{renderer}-{data.sku}.pdf", renderer=renderer)
    return (time.perf_counter() - started) / len(items)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--horizon", type=int, default=30)
    parser.add_argument("--output-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        out = args.output_dir or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)

        log(f"generating {args.products} synthetic products ({args.days} days, {args.horizon}d)")
        started = time.perf_counter()
        items = list(sample_catalog(args.products, days=args.days, horizon=args.horizon))
        generation_s = time.perf_counter() - started
        log(f"  generated in {generation_s:.1f}s")

        log("catalog report (summary + default selection of 50 product pages)")
        started = time.perf_counter()
        summary = summarize_catalog(items, horizon_days=args.horizon)
        catalog_pages = build_catalog_report(summary, items, out / "catalog.pdf")
        catalog_s = time.perf_counter() - started
        log(f"  {catalog_pages} pages in {catalog_s:.2f}s")

        log(f"{args.products} product reports with {args.workers} worker process(es)")
        started = time.perf_counter()
        batch = build_product_reports(items, out / "products", workers=args.workers)
        batch.raise_for_failures()
        results = batch.built
        products_s = time.perf_counter() - started
        pages = sum(p for _, _, p in results)
        size_mb = sum(path.stat().st_size for _, path, _ in results) / 1e6
        log(
            f"  {len(results)} reports, {pages} pages, {size_mb:.0f} MB in {products_s:.1f}s "
            f"({len(results) / products_s:.1f} reports/s)"
        )

        log(f"single-process comparison on {SAMPLE} reports each")
        sample = items[:SAMPLE]
        compare = out / "compare"
        compare.mkdir()
        build_product_report(sample[0], compare / "warmup.pdf", renderer="matplotlib")
        vector_each = time_single_process(sample, compare, "vector")
        mpl_each = time_single_process(sample, compare, "matplotlib")
        original = product_module._matplotlib_renderer
        product_module._matplotlib_renderer = PyplotBaselineRenderer  # type: ignore[assignment]
        try:
            baseline_each = time_single_process(sample, compare, "matplotlib")
        finally:
            product_module._matplotlib_renderer = original
        baseline_total = baseline_each * args.products
        log(
            f"  per report: vector {vector_each * 1000:.0f} ms, matplotlib OO "
            f"{mpl_each * 1000:.0f} ms, naive pyplot {baseline_each * 1000:.0f} ms"
        )
        log(
            f"  naive baseline extrapolated to {args.products}: {baseline_total:.0f}s "
            f"-> speedup x{baseline_total / products_s:.1f}"
        )

    figures = {
        "products": args.products,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "renderer": "vector",
        "data_generation_s": round(generation_s, 2),
        "catalog_report_s": round(catalog_s, 2),
        "catalog_pages": catalog_pages,
        "product_reports_s": round(products_s, 2),
        "reports": len(results),
        "pages": pages,
        "reports_per_s": round(len(results) / products_s, 1),
        "output_mb": round(size_mb, 1),
        "single_process_vector_ms": round(vector_each * 1000, 1),
        "single_process_matplotlib_oo_ms": round(mpl_each * 1000, 1),
        "naive_pyplot_ms": round(baseline_each * 1000, 1),
        "naive_extrapolated_s": round(baseline_total, 1),
        "speedup_vs_naive": round(baseline_total / products_s, 1),
        "target_s": TARGET_S,
        "within_target": products_s < TARGET_S,
    }
    print(json.dumps(figures), flush=True)
    return figures


if __name__ == "__main__":
    sys.exit(0 if main()["within_target"] else 1)
