"""Calendar days from the many shapes a date arrives in (``date``, ``datetime``, pandas
``Timestamp``, ``datetime64``, ISO text)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd


def to_day(value: Any) -> dt.date:
    """The calendar day of ``value``; a datetime keeps its own (wall-clock) date."""
    # datetime before date: a datetime is a date too, and its .date() drops the time.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


# 1970-01-01's proleptic ordinal: datetime64[D] counts days from it.
_UNIX_EPOCH_ORDINAL = 719163


def day_ordinals(values: Any) -> np.ndarray:
    """Dates / datetimes / Timestamps / datetime64 -> proleptic day ordinals (int64, the
    numbers ``date.toordinal`` gives), vectorised."""
    series = pd.Series(values)
    if series.dtype == object:
        series = pd.to_datetime(series)
    return series.to_numpy(dtype="datetime64[D]").astype(np.int64) + _UNIX_EPOCH_ORDINAL


def day_values(values: Any) -> np.ndarray:
    """Dates in any of those shapes (a Series, an index, an array, a list) -> datetime64 at
    midnight of each day, NaT kept; a time zone is dropped, keeping the wall-clock day.

    The unit of a datetime64 input is kept. numpy all the way for datetime64 input: on
    pandas 3 ``pd.to_datetime(...).dt.normalize()`` costs ~0.5 ms per call, and the
    training calls this several times per product."""
    array = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else values
    array = np.asarray(array) if not isinstance(array, np.ndarray) else array
    if array.dtype.kind != "M":
        stamps = pd.to_datetime(pd.Series(values))
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_localize(None)
        array = stamps.to_numpy()
    return array.astype("datetime64[D]").astype(array.dtype)


def epoch_days(values: Any) -> np.ndarray:
    """Days since 1970-01-01 (int64) of dates in any shape :func:`day_values` takes: day
    arithmetic without Timestamps (``day_ordinals`` + 719163 when the dates are naive)."""
    return day_values(values).astype("datetime64[D]").astype(np.int64)
