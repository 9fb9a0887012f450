"""History fingerprints compare content: same rows, same hash, wherever they come from."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.history.fingerprint import catalog_fingerprint, history_fingerprints
from procurement_pipeline.lib.warehouse.catalog import upsert_catalog
from procurement_pipeline.lib.warehouse.history import load_daily_history, replace_daily_history
from procurement_pipeline.lib.warehouse.reports import history_changes
from procurement_pipeline_tests.conftest import catalog_csv

START = dt.date(2026, 1, 1)


def daily(prices: dict[str, list[float]], source: str = "observed") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "sku": sku,
                "day": pd.Timestamp(START + dt.timedelta(days=i)),
                "price": price,
                "observations": 1,
                "value_source": source,
            }
            for sku, series in prices.items()
            for i, price in enumerate(series)
        ]
    )


def by_sku(frame: pd.DataFrame) -> dict[str, str]:
    return history_fingerprints(frame).set_index("sku")["fingerprint"].to_dict()


def test_same_shape_other_price_is_another_fingerprint():
    base = by_sku(daily({"A": [10.0, 11.0, 12.0], "B": [5.0, 5.0, 5.0]}))
    recleaned = by_sku(daily({"A": [10.0, 11.5, 12.0], "B": [5.0, 5.0, 5.0]}))
    assert base["A"] != recleaned["A"]
    assert base["B"] == recleaned["B"]
    # Same prices, one day now interpolated instead of observed: a change too.
    relabelled = by_sku(daily({"A": [10.0, 11.0, 12.0]}, source="interpolated"))
    assert relabelled["A"] != base["A"]


def test_row_order_and_precision_beyond_storage_do_not_matter():
    frame = daily({"A": [10.0, 11.0, 12.0]})
    shuffled = frame.iloc[[2, 0, 1]]
    tiny = frame.assign(price=frame["price"] + 1e-7)  # below the stored 4 decimals
    assert by_sku(frame) == by_sku(shuffled) == by_sku(tiny)
    summary = history_fingerprints(frame).iloc[0]
    assert summary["days"] == 3 and summary["last_day"] == START + dt.timedelta(days=2)


def test_catalog_fingerprint_changes_with_any_product():
    one = history_fingerprints(daily({"A": [1.0, 2.0], "B": [3.0, 4.0]}))
    two = history_fingerprints(daily({"A": [1.0, 2.0], "B": [3.0, 4.5]}))
    assert catalog_fingerprint(one) == catalog_fingerprint(one.iloc[::-1])
    assert catalog_fingerprint(one) != catalog_fingerprint(two)


def test_stored_fingerprint_equals_the_one_of_the_series_read_back(warehouse_engine):
    """What the history asset stores equals what the training asset computes from the rows it
    loads, on both backends (DECIMAL round trip included)."""
    rows = [f"{s},Produto {s},cat,un,termo,1,1,1,10.00" for s in ("A", "B", "C")]
    upsert_catalog(warehouse_engine, parse_catalog(catalog_csv(rows)))
    frame = daily({"A": [10.12345, 11.0, 12.33335], "B": [5.5, 5.25]})
    replace_daily_history(warehouse_engine, frame, built_at=dt.datetime(2026, 2, 1))
    loaded = by_sku(load_daily_history(warehouse_engine))
    changes = history_changes(warehouse_engine).set_index("sku")
    assert changes.loc[["A", "B"], "fingerprint"].to_dict() == loaded
    # C has no history: no fingerprint; nothing trained yet: every product counts as changed.
    assert pd.isna(changes.loc["C", "fingerprint"])
    assert changes["changed"].all()
