"""The Portuguese sentences that say which forecast model a product uses and how it did."""

from procurement_pipeline.lib.reporting.model import ProductOutcome, summarize_catalog
from procurement_pipeline.lib.reporting.model_choice import (
    model_label,
    model_sentence,
    models_used_text,
    versus_naive,
)


def test_model_sentence_names_the_model_and_its_gain_over_the_last_price():
    metrics = {"model": "steps", "mase_naive": 0.877, "validation_mase_naive": 0.92}
    assert model_sentence(metrics) == (
        "Modelo usado: degraus de preço. No holdout, errou 12,3% menos que o último preço; "
        "na validação com o passado do produto, 8,0% menos que o último preço."
    )
    assert versus_naive(1.25) == "25,0% mais que o último preço"
    assert versus_naive(1.0) == "o mesmo que o último preço"
    assert versus_naive(None).startswith("sem comparação possível")
    assert model_sentence({"model": "naive"}) == "Modelo usado: último preço (ingênuo)."
    assert model_label(None) == "não informado" and model_label("prophet").startswith("Prophet")


def test_catalog_summary_counts_models_used():
    outcomes = [
        ProductOutcome(sku=f"S{i}", name="x", status="trained", metrics={"model": name})
        for i, name in enumerate(["steps", "steps", "drift", "prophet", "steps"])
    ] + [ProductOutcome(sku="K", name="y", status="skipped", reason="curto")]
    summary = summarize_catalog(outcomes)
    assert summary.models_used == {"steps": 3, "drift": 1, "prophet": 1}
    assert models_used_text(summary.models_used) == (
        "degraus de preço: 3 \u00b7 tendência amortecida: 1 \u00b7 Prophet (padrão semanal): 1"
    )
