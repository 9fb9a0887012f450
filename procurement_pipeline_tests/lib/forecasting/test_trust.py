"""The global model's trust rule (lib/forecasting/trust.py), behind the blocking check."""

import pandas as pd

from procurement_pipeline.lib.forecasting.trust import global_model_problems


def model(**changes):
    forecasts = pd.DataFrame(
        {
            "kind": ["holdout", "future", "future"],
            "yhat": [1.0, 101.0, 102.0],
            "yhat_lower": [1.0, 99.0, 98.0],
            "yhat_upper": [1.0, 103.0, 106.0],
        }
    )
    row = {
        "status": "trained",
        "reason": None,
        "holdout_days": 30,
        "metrics": {"mase_naive": 1.2},
        "forecasts": forecasts,
    }
    return {**row, **changes}


def test_a_sound_model_has_no_problem():
    assert global_model_problems(model()) == []


def test_each_rule_names_its_problem():
    assert global_model_problems(model(holdout_days=6)) == ["only 6 holdout days"]
    assert global_model_problems(model(metrics={"mase_naive": 2.0})) == ["MASE vs naive 2.0"]
    assert global_model_problems(model(metrics=None)) == ["MASE vs naive None"]
    skipped = model(status="skipped", reason="poucos dias")
    assert global_model_problems(skipped) == ["status skipped: poucos dias"]
    bad = model()["forecasts"].copy()
    bad.loc[2, "yhat_lower"] = -1.0
    assert global_model_problems(model(forecasts=bad)) == [
        "forecast has missing or non-positive values"
    ]
    empty = bad[bad["kind"] == "holdout"]
    assert global_model_problems(model(forecasts=empty)) == [
        "forecast has missing or non-positive values"
    ]
