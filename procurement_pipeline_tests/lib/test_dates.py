"""lib/dates.py: one calendar day from every shape a date arrives in."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from procurement_pipeline.lib.dates import day_ordinals, day_values, epoch_days, to_day


def test_to_day_takes_every_date_shape():
    day = dt.date(2026, 11, 24)
    assert to_day(day) == day
    assert to_day(dt.datetime(2026, 11, 24, 23, 59)) == day
    assert to_day(pd.Timestamp("2026-11-24 18:00")) == day
    assert to_day(np.datetime64("2026-11-24T07:00")) == day
    assert to_day("2026-11-24") == day
    assert type(to_day(pd.Timestamp("2026-11-24"))) is dt.date


def test_an_aware_datetime_keeps_its_wall_clock_day():
    late = dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    assert to_day(late) == dt.date(2026, 11, 24)  # 02:00 UTC on the 25th


def test_day_ordinals_are_date_toordinal():
    days = [dt.date(1969, 12, 31), dt.date(1970, 1, 1), dt.date(2026, 11, 24)]
    expected = [d.toordinal() for d in days]
    assert day_ordinals(days).tolist() == expected
    assert day_ordinals(pd.Series(days, index=[7, 3, 5])).tolist() == expected
    stamps = pd.to_datetime(["1969-12-31 23:00", "1970-01-01 01:00", "2026-11-24 12:30"])
    assert day_ordinals(stamps.to_numpy()).tolist() == expected
    assert day_ordinals(pd.Series(stamps)).dtype == np.int64


@pytest.mark.parametrize(
    "values",
    [
        ["2024-01-01 10:00", "2024-01-02 05:00"],
        pd.Series(pd.to_datetime(["2024-01-01 10:00", "2024-01-02 23:59"])),
        pd.date_range("2024-01-01 22:00", periods=2, tz="America/Sao_Paulo"),
        pd.Series(pd.date_range("2024-01-01 23:00", periods=2, tz="UTC")),
        [dt.date(2024, 1, 1), dt.date(2024, 1, 2)],
        np.array(["2024-01-01T10", "2024-01-02T00"], dtype="datetime64[s]"),
    ],
)
def test_day_values_are_the_wall_clock_days_pandas_normalizes_to(values):
    expected = pd.to_datetime(pd.Series(values))
    if expected.dt.tz is not None:
        expected = expected.dt.tz_localize(None)
    got = day_values(values)
    assert got.tolist() == expected.dt.normalize().to_numpy().tolist()
    assert got.astype("datetime64[D]").tolist() == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]


def test_day_values_keep_missing_days_and_the_unit():
    got = day_values(pd.Series(pd.to_datetime(["2024-03-05 12:00", None])))
    assert got[0] == np.datetime64("2024-03-05") and np.isnat(got[1])
    assert day_values(np.array(["2024-03-05T12"], dtype="datetime64[s]")).dtype == "M8[s]"


def test_epoch_days_are_the_ordinals_from_1970():
    days = [dt.date(1970, 1, 1), dt.date(2024, 3, 5)]
    assert epoch_days(days).tolist() == [0, (dt.date(2024, 3, 5) - dt.date(1970, 1, 1)).days]
    assert (epoch_days(days) + 719163).tolist() == day_ordinals(days).tolist()
