"""Helpers that turn lib results into Dagster metadata values."""

from __future__ import annotations

import dagster as dg
import pandas as pd


def preview(df: pd.DataFrame, rows: int = 10) -> dg.MetadataValue:
    """A markdown preview table of the first rows."""
    if df.empty:
        return dg.MetadataValue.md("_(no rows)_")
    return dg.MetadataValue.md(df.head(rows).to_markdown(index=False))
