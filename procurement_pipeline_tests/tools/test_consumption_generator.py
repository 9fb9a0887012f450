import datetime as dt

import pandas as pd

from procurement_pipeline.lib.consumption import expected_consumption, read_consumption
from procurement_pipeline_tests.conftest import REPO_ROOT
from tools.consumption_generator import (
    base_daily_use,
    consumption_csv_text,
    generate_consumption,
    main,
)

CATALOG = REPO_ROOT / "data" / "products_seed.csv"
COMMITTED = REPO_ROOT / "data" / "consumption_demo.csv"


def small_catalog() -> pd.DataFrame:
    return pd.read_csv(CATALOG, dtype={"sku": str}).iloc[::300].reset_index(drop=True)


def test_deterministic_and_span_independent():
    catalog = small_catalog()
    a = generate_consumption(catalog, dt.date(2026, 11, 24), 60)
    b = generate_consumption(catalog, dt.date(2026, 11, 24), 60)
    assert consumption_csv_text(a, catalog) == consumption_csv_text(b, catalog)
    # A longer span contains the shorter one, day for day.
    longer = generate_consumption(catalog, dt.date(2026, 11, 24), 90)
    tail = longer[longer["day"] >= dt.date(2026, 9, 26)].reset_index(drop=True)
    pd.testing.assert_frame_equal(tail, a)


def test_weekly_pattern_units_and_coherent_mean():
    catalog = small_catalog()
    frame = generate_consumption(catalog, dt.date(2026, 11, 24), 182)
    assert not any(d.weekday() == 6 for d in frame["day"])  # no use on Sundays
    assert (frame["quantity"] > 0).all()
    whole = catalog.loc[catalog["unit"].isin(["unidade", "caixa", "chapa"]), "sku"]
    assert (frame.loc[frame["sku"].isin(whole), "quantity"] % 1 == 0).all()
    est = expected_consumption(frame, dt.date(2026, 11, 24), 182, skus=catalog["sku"])
    ratio = est["daily_mean"].to_numpy() / base_daily_use(catalog)
    assert 0.75 < ratio.mean() < 1.25
    # Zero-use working days exist (not only Sundays).
    per_sku_days = frame.groupby("sku")["day"].nunique()
    assert (per_sku_days < 156).any()


def test_committed_demo_file_is_a_fresh_generation(tmp_path):
    out = tmp_path / "consumption.csv"
    code = main(
        [
            "--catalog", str(CATALOG), "--output", str(out),
            "--end", "2026-11-24", "--days", "180",
        ]
    )  # fmt: skip
    assert code == 0
    assert out.read_bytes() == COMMITTED.read_bytes()
    assert COMMITTED.stat().st_size < 15_000_000


def test_committed_demo_file_validates_against_the_catalog():
    catalog = pd.read_csv(CATALOG, dtype={"sku": str})
    frame = read_consumption(COMMITTED, known_skus=catalog["sku"])
    assert frame["day"].min() == dt.date(2026, 5, 29)
    assert frame["day"].max() == dt.date(2026, 11, 24)
    assert set(frame["sku"]) <= set(catalog["sku"])
