"""Warehouse functions on SQLite and MariaDB/MySQL (``warehouse_engine`` runs both)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from procurement_pipeline.lib.history.cleaning import build_daily_history
from procurement_pipeline.lib.history.synthetic import (
    SyntheticSettings,
    generate_synthetic_history,
    synthetic_anchors,
)
from procurement_pipeline.lib.warehouse.history import (
    insert_observations,
    last_real_prices,
    load_daily_history,
    load_real_observations,
    newest_real_observation,
    replace_daily_history,
    replace_synthetic_observations,
)
from procurement_pipeline.lib.warehouse.schema import daily_price_history, price_observations

from .conftest import insert_products

DAY0 = datetime(2025, 3, 1)


def real_rows(sku: str, days: range, price: float = 100.0) -> pd.DataFrame:
    stamps = [DAY0 + timedelta(days=d, hours=h) for d in days for h in (0, 8, 16)]
    return pd.DataFrame(
        {
            "sku": sku,
            "observed_at": stamps,
            "window_start": stamps,
            "price": [price + (i % 3) * 0.5 for i in range(len(stamps))],
            "currency": "BRL",
            "seller": "loja",
            "source": "mercadolivre",
            "is_synthetic": False,
            "listing_url": "https://example.invalid/item",
            "offers_considered": 5,
        }
    )


def synthetic_rows(sku: str, price: float, day: datetime, days: int = 10) -> pd.DataFrame:
    anchor = pd.DataFrame({"sku": [sku], "anchor_price": [price], "anchor_day": [day]})
    return generate_synthetic_history(anchor, SyntheticSettings(days=days, noise=0.0))


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_load_real_observations_skips_synthetic_rows(warehouse_engine):
    insert_products(warehouse_engine, ["A", "B"])
    insert_observations(warehouse_engine, real_rows("A", range(3)))
    replace_synthetic_observations(
        warehouse_engine, synthetic_rows("A", 99999.0, DAY0 + timedelta(9))
    )
    replace_synthetic_observations(warehouse_engine, synthetic_rows("B", 5.0, DAY0))
    loaded = load_real_observations(warehouse_engine)
    assert list(loaded.columns) == ["sku", "observed_at", "price", "currency", "is_synthetic"]
    assert len(loaded) == 9 and set(loaded["sku"]) == {"A"}
    assert loaded["price"].dtype == "float64" and loaded["price"].max() == 101.0
    assert str(loaded["observed_at"].dtype) == "datetime64[ns]"
    assert not loaded["is_synthetic"].any()
    assert loaded["observed_at"].min() == pd.Timestamp(DAY0)
    since = load_real_observations(warehouse_engine, since=DAY0 + timedelta(days=1, hours=8))
    assert len(since) == 5
    assert since["observed_at"].min() == pd.Timestamp(DAY0 + timedelta(days=1, hours=8))


def test_newest_real_observation_ignores_synthetic(warehouse_engine):
    assert newest_real_observation(warehouse_engine) is None
    insert_products(warehouse_engine, ["A"])
    replace_synthetic_observations(
        warehouse_engine, synthetic_rows("A", 10.0, DAY0 + timedelta(30))
    )
    assert newest_real_observation(warehouse_engine) is None
    insert_observations(warehouse_engine, real_rows("A", range(2)))
    assert newest_real_observation(warehouse_engine) == DAY0 + timedelta(days=1, hours=16)


def test_last_real_prices(warehouse_engine):
    insert_products(warehouse_engine, ["A", "B"])
    insert_observations(warehouse_engine, real_rows("A", range(2), price=10.0))
    replace_synthetic_observations(warehouse_engine, synthetic_rows("A", 77.0, DAY0 + timedelta(5)))
    last = last_real_prices(warehouse_engine)
    assert list(last["sku"]) == ["A"]
    assert last["price"].iloc[0] == 11.0  # the 16:00 observation of day 1
    assert last["observed_at"].iloc[0] == pd.Timestamp(DAY0 + timedelta(days=1, hours=16))


def test_replace_daily_history_round_trip_and_full_replacement(warehouse_engine):
    insert_products(warehouse_engine, ["A", "B"])
    insert_observations(warehouse_engine, real_rows("A", range(3)))
    insert_observations(warehouse_engine, real_rows("B", [0, 3]))
    daily, report = build_daily_history(load_real_observations(warehouse_engine))
    built = datetime(2025, 4, 1, 6, 30, 15)
    assert replace_daily_history(warehouse_engine, daily, built) == len(daily) == 7
    loaded = load_daily_history(warehouse_engine)
    assert list(loaded.columns) == [
        "sku",
        "day",
        "price",
        "observations",
        "value_source",
        "built_at",
    ]
    pd.testing.assert_frame_equal(
        loaded.drop(columns="built_at"), daily.reset_index(drop=True), check_dtype=False
    )
    assert (loaded["built_at"] == pd.Timestamp(built)).all()
    assert report.interpolated_rows == 2
    only_b = load_daily_history(warehouse_engine, skus=["B"])
    assert set(only_b["sku"]) == {"B"} and len(only_b) == 4

    # a second build replaces every row, including products that disappeared
    smaller = daily[daily["sku"] == "A"].assign(price=1.2345)
    replace_daily_history(warehouse_engine, smaller, built + timedelta(hours=8))
    loaded = load_daily_history(warehouse_engine)
    assert set(loaded["sku"]) == {"A"} and len(loaded) == 3
    assert (loaded["price"] == 1.2345).all()
    assert (loaded["built_at"] == pd.Timestamp(built + timedelta(hours=8))).all()


def test_replace_daily_history_is_all_or_nothing(warehouse_engine):
    insert_products(warehouse_engine, ["A"])
    insert_observations(warehouse_engine, real_rows("A", range(3)))
    daily, _ = build_daily_history(load_real_observations(warehouse_engine))
    replace_daily_history(warehouse_engine, daily, datetime(2025, 4, 1))
    broken = pd.concat([daily, daily.iloc[[0]]])  # duplicate primary key fails mid-insert
    with pytest.raises(Exception):  # noqa: B017 - driver-specific IntegrityError
        replace_daily_history(warehouse_engine, broken, datetime(2025, 4, 2))
    loaded = load_daily_history(warehouse_engine)
    assert len(loaded) == 3 and (loaded["built_at"] == pd.Timestamp(2025, 4, 1)).all()


def test_replace_daily_history_rejects_bad_rows(warehouse_engine):
    bad = pd.DataFrame(
        {"sku": ["A"], "day": [DAY0], "price": [1.0], "observations": [1], "value_source": ["x"]}
    )
    with pytest.raises(ValueError, match="value_source"):
        replace_daily_history(warehouse_engine, bad, DAY0)


def test_replace_synthetic_touches_only_synthetic_rows_of_the_given_skus(warehouse_engine):
    insert_products(warehouse_engine, ["A", "B"])
    insert_observations(warehouse_engine, real_rows("A", range(2)))
    first = replace_synthetic_observations(
        warehouse_engine,
        pd.concat([synthetic_rows("A", 10.0, DAY0), synthetic_rows("B", 20.0, DAY0)]),
    )
    assert first == {"deleted": 0, "inserted": 20}
    second = replace_synthetic_observations(
        warehouse_engine, synthetic_rows("A", 11.0, DAY0 + timedelta(1), days=5)
    )
    assert second == {"deleted": 10, "inserted": 5}
    po = price_observations
    assert count(warehouse_engine, po, po.c.is_synthetic.is_(False)) == 6
    assert count(warehouse_engine, po, po.c.sku == "A", po.c.is_synthetic.is_(True)) == 5
    assert count(warehouse_engine, po, po.c.sku == "B", po.c.is_synthetic.is_(True)) == 10
    with warehouse_engine.connect() as conn:
        newest = conn.execute(
            select(po.c.price, po.c.observed_at, po.c.source, po.c.window_start)
            .where(po.c.sku == "A", po.c.is_synthetic.is_(True))
            .order_by(po.c.observed_at.desc())
        ).first()
    assert float(newest.price) == 11.0 and newest.source == "synthetic"
    assert newest.observed_at == DAY0 + timedelta(days=1, hours=12)
    assert newest.window_start is None
    # an empty frame with explicit SKUs clears them
    empty = synthetic_rows("B", 1.0, DAY0).iloc[0:0]
    assert replace_synthetic_observations(warehouse_engine, empty, skus=["B"])["deleted"] == 10


def test_replace_synthetic_refuses_real_rows(warehouse_engine):
    insert_products(warehouse_engine, ["A"])
    with pytest.raises(ValueError, match="non-synthetic"):
        replace_synthetic_observations(warehouse_engine, real_rows("A", range(1)))
    assert count(warehouse_engine, price_observations) == 0


def test_end_to_end_synthetic_values_never_reach_the_daily_history(warehouse_engine):
    insert_products(warehouse_engine, ["A", "B"], reference_price=33.0)
    insert_observations(warehouse_engine, real_rows("A", range(5), price=100.0))
    products = pd.DataFrame({"sku": ["A", "B"], "reference_price": [33.0, 33.0]})
    anchors = synthetic_anchors(products, last_real_prices(warehouse_engine), DAY0 + timedelta(20))
    anchors.loc[anchors["sku"] == "A", "anchor_price"] = 99999.0  # obviously different
    synthetic = generate_synthetic_history(anchors, SyntheticSettings(days=30))
    replace_synthetic_observations(warehouse_engine, synthetic)
    daily, report = build_daily_history(load_real_observations(warehouse_engine))
    replace_daily_history(warehouse_engine, daily, DAY0 + timedelta(21))
    stored = load_daily_history(warehouse_engine)
    assert set(stored["sku"]) == {"A"}
    assert stored["price"].max() < 101 and len(stored) == 5
    assert count(warehouse_engine, daily_price_history) == 5
