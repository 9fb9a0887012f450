"""Which forecast model a product uses and how it compared with the last price, in Portuguese.

Reads the metric dictionaries of the model registry: ``model`` (the candidate served, see
``lib.forecasting.selection``), ``mase_naive`` (holdout MAE / the naive forecast's, the
choice made before the holdout) and ``validation_mase_naive`` (the served candidate's pooled
MAE / naive's on the rolling validation origins of the product's own past).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from procurement_pipeline.lib.reporting.formatting import format_int, format_pct, is_missing

MODEL_LABELS_PT = {
    "naive": "último preço (ingênuo)",
    "steps": "degraus de preço",
    "drift": "tendência amortecida",
    "prophet": "Prophet (padrão semanal)",
}


def model_label(name: Any) -> str:
    if is_missing(name) or not name:
        return "não informado"
    return MODEL_LABELS_PT.get(str(name), str(name))


def versus_naive(ratio: Any) -> str:
    """MAE / naive MAE as a sentence part: "12,3% menos que o último preço"."""
    if is_missing(ratio):
        return "sem comparação possível (o último preço não errou)"
    diff = 1.0 - float(ratio)
    if abs(diff) < 0.0005:
        return "o mesmo que o último preço"
    word = "menos" if diff > 0 else "mais"
    return f"{format_pct(abs(diff))} {word} que o último preço"


def model_sentence(metrics: Mapping[str, Any] | None) -> str:
    """ "Modelo usado: degraus de preço. No holdout, errou 12,3% menos que o último preço; na
    validação com o passado do produto, 8,0% menos que o último preço." """
    m = metrics or {}
    text = f"Modelo usado: {model_label(m.get('model'))}."
    if "mase_naive" in m:
        text += f" No holdout, errou {versus_naive(m.get('mase_naive'))}"
        if not is_missing(m.get("validation_mase_naive")):
            text += (
                "; na validação com o passado do produto, "
                f"{versus_naive(m.get('validation_mase_naive'))}"
            )
        text += "."
    return text


def models_used_text(counts: Mapping[str, int]) -> str:
    """{"steps": 1200, "drift": 800} -> "degraus de preço: 1.200 · tendência amortecida: 800"."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return " \u00b7 ".join(f"{model_label(name)}: {format_int(n)}" for name, n in ordered)
