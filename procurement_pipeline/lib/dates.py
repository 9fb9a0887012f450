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
