"""consumption_history: the ERP export loaded (SQLite and MySQL), re-loads replace, bad input
fails clearly and leaves the table exactly as it was."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy import func, select

from procurement_pipeline.defs.recommendations.assets import consumption_history
from procurement_pipeline.lib.warehouse.recommendations import (
    load_consumption,
    load_consumption_estimates,
)
from procurement_pipeline.lib.warehouse.schema import consumption_history as table
from procurement_pipeline_tests.defs.recommendations.seed import (
    DAILY_USE,
    NO_MODEL,
    TRUSTED,
    UNUSED,
    seed_tiny_warehouse,
)


def load(tiny, path, instance=None, raise_on_error=True):
    return dg.materialize(
        [consumption_history],
        instance=instance,
        resources=tiny.resources(),
        run_config=dg.RunConfig({"consumption_history": {"config": {"csv_path": str(path)}}}),
        raise_on_error=raise_on_error,
    )


def meta(result) -> dict:
    (m,) = result.asset_materializations_for_node("consumption_history")
    return {k: v.value for k, v in m.metadata.items()}


def test_loads_estimates_and_reloads_without_duplicates(tmp_path, database_url):
    tiny = seed_tiny_warehouse(tmp_path / "w", database_url)
    first = meta(load(tiny, tiny.consumption_csv))
    assert first["rows"] == 60 * 3 and first["products"] == 3
    assert first["last_day"] == (tiny.today - dt.timedelta(days=1)).isoformat()
    assert first["replaced_rows"] == 0 and first["zero_use_products"] == 1
    assert first["zero_use_examples"] == [UNUSED]

    engine = tiny.engine()
    estimates = load_consumption_estimates(engine).set_index("sku")
    assert set(estimates.index) == set(DAILY_USE)  # every active product, unused ones too
    assert estimates.loc[TRUSTED, "daily_mean"] == pytest.approx(6.0)
    assert estimates.loc[TRUSTED, "daily_std"] == pytest.approx(0.0)
    assert estimates.loc[TRUSTED, "days_observed"] == 56
    assert estimates.loc[TRUSTED, "days_of_cover"] == pytest.approx(300.5 / 6.0)
    assert estimates.loc[NO_MODEL, "days_of_cover"] == pytest.approx(4 / 0.5)
    assert estimates.loc[UNUSED, "daily_mean"] == 0
    assert pd.isna(estimates.loc[UNUSED, "days_of_cover"])  # nothing used: lasts indefinitely

    # The same file again replaces its day range: no duplicates, same content.
    again = meta(load(tiny, tiny.consumption_csv))
    assert again["replaced_rows"] == 180
    stored = load_consumption(engine)
    assert len(stored) == 180
    assert stored.groupby("sku")["quantity"].sum().to_dict() == {
        sku: use * 60 for sku, use in DAILY_USE.items() if use
    }
    engine.dispose()


def test_bad_input_fails_naming_file_line_field_and_changes_nothing(tmp_path):
    tiny = seed_tiny_warehouse(tmp_path / "w")
    with dg.instance_for_test() as instance:
        load(tiny, tiny.consumption_csv, instance)
        engine = tiny.engine()
        before = load_consumption(engine)
        estimates_before = load_consumption_estimates(engine)

        lines = tiny.consumption_csv.read_text(encoding="utf-8").splitlines()
        day = lines[1].split(",")[0]
        # Valid rows first (they would replace the whole range), then the bad ones.
        bad_rows = [lines[0], f"{day},{TRUSTED},99", f"{day},XYZ-99999,1", f"{day},{UNUSED},abc"]
        bad = tmp_path / "consumo_ruim.csv"
        bad.write_text("\n".join(bad_rows) + "\n", encoding="utf-8")
        result = load(tiny, bad, instance, raise_on_error=False)

        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        text = failure.step_failure_data.user_failure_data.description
        assert str(bad) in text
        assert "line 3, field 'sku': unknown SKU 'XYZ-99999'" in text
        assert "line 4, field 'quantity': 'abc' is not a number" in text
        assert "Traceback" not in text

        after = load_consumption(engine)
        assert after.equals(before)  # nothing half loaded
        assert load_consumption_estimates(engine).equals(estimates_before)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 180
        engine.dispose()
