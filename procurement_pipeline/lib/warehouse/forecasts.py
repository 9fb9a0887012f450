"""Model registry, forecasts and the global model: writes of the training assets, reads of
everything downstream."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from procurement_pipeline.lib.forecasting import TrainingResult
from procurement_pipeline.lib.logging import get_logger
from procurement_pipeline.lib.warehouse.history import sku_chunks
from procurement_pipeline.lib.warehouse.schema import (
    daily_price_history,
    forecasts,
    global_forecasts,
    global_models,
    global_price_index,
    model_registry,
    product_forecast_summary,
)

_ROW_CHUNK = 20_000
_log = get_logger(__name__)
_MYSQL_DEADLOCK = 1213  # ER_LOCK_DEADLOCK
_DEADLOCK_ATTEMPTS = 5
_FORECAST_VALUE_COLUMNS = (
    "yhat",
    "yhat_lower",
    "yhat_upper",
    "yhat_expected",
    "y",
    "naive",
    "seasonal_naive",
)


def _chunks(values: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _db_value(value: Any) -> Any:
    """pandas' missing values (NaN, NaT, None) to SQL NULL; Timestamps to datetimes."""
    if isinstance(value, dict | list | str | bool):
        return value
    if value is None or pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def json_safe(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Metrics as JSON: numpy scalars to Python, NaN/inf to None (JSON has no NaN)."""
    safe: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        safe[key] = value
    return safe


def _json_value(value: Any) -> Any:
    """A nested dict/list as JSON allows: numpy scalars to Python, NaN/inf to None."""
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return json_safe({"v": value})["v"]


def forecast_rows(
    result: TrainingResult, generated_at: datetime, *, sku: str | None = None
) -> list[dict[str, Any]]:
    """The holdout days (with actuals and baselines) and the future days of one result, each
    row with every column (executemany needs one shape; NaN as NULL), led by ``sku`` when
    given. Column-wise: 3,000 products make 180,000 rows per training."""
    lead = {} if sku is None else {"sku": sku}
    keys = (*lead, "kind", "ds", "generated_at", *_FORECAST_VALUE_COLUMNS)
    rows: list[dict[str, Any]] = []
    for kind, frame in (("holdout", result.holdout), ("future", result.forecast)):
        if frame is None or frame.empty:
            continue
        # One conversion of the whole frame: on pandas 3 each column lookup costs 0.04-1 ms,
        # which made this the slowest step of publishing 3,000 products.
        block = frame.to_numpy()
        position = {name: i for i, name in enumerate(frame.columns.tolist())}
        present = [j for j, name in enumerate(_FORECAST_VALUE_COLUMNS) if name in position]
        floats = np.full((len(block), len(_FORECAST_VALUE_COLUMNS)), np.nan)
        floats[:, present] = block[
            :, [position[_FORECAST_VALUE_COLUMNS[j]] for j in present]
        ].astype(float)
        listed = floats.tolist()
        if np.isnan(floats).any():  # a column the frame lacks, or a missing value: NULL
            listed = [[None if v != v else v for v in row] for row in listed]
        days = frame["ds"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").tolist()
        head = (*lead.values(), kind)
        rows.extend(
            dict(zip(keys, (*head, day, generated_at, *values), strict=True))
            for day, values in zip(days, listed, strict=True)
        )
    return rows


def registry_row(
    result: TrainingResult, trained_at: datetime, artifact_path: str | None
) -> dict[str, Any]:
    return {
        "trained_at": trained_at,
        "code_version": result.code_version,
        "status": result.status,
        "reason": (result.reason or None) and result.reason[:512],
        "train_start": _as_date(result.train_start),
        "train_end": _as_date(result.train_end),
        "points": int(result.points),
        "holdout_days": int(result.holdout_days),
        "metrics": json_safe(result.metrics) if result.metrics else None,
        "artifact_path": artifact_path,
        "duration_s": round(float(result.duration_s), 4),
    }


def _is_deadlock(exc: OperationalError) -> bool:
    """MySQL/MariaDB chose this transaction as a deadlock victim and rolled it back (1213)."""
    args = getattr(exc.orig, "args", ())
    return bool(args) and args[0] == _MYSQL_DEADLOCK


def _in_transaction(engine: Engine, work: Callable[[Connection], Any]) -> Any:
    """``work(conn)`` in one transaction, run again (from the start, on a fresh transaction)
    when MySQL rolled it back as a deadlock victim: two first trainings of the same new
    products both take gap locks where their rows go, and InnoDB refuses one of the inserts."""
    for attempt in range(1, _DEADLOCK_ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except OperationalError as exc:
            if attempt == _DEADLOCK_ATTEMPTS or not _is_deadlock(exc):
                raise
            _log.warning("transaction_deadlock_retried", attempt=attempt)
            time.sleep(random.uniform(0.05, 0.25) * attempt)
    raise AssertionError("unreachable")


def store_product_results(
    engine: Engine,
    results: Sequence[TrainingResult],
    artifact_paths: Mapping[str, str],
    trained_at: datetime,
    history_fingerprints: Mapping[str, str] | None = None,
) -> list[str]:
    """Replace the registry row and forecast rows of each product in `results`, in one
    transaction: re-training replaces, never duplicates. ``history_fingerprints`` (sku ->
    lib.history.fingerprint of the series trained on) is what change detection compares.

    ``artifact_paths`` (sku -> model file, already written under a name of its own) are what
    the new rows point to: a row points to its new file exactly when the transaction commits.
    Returns the files the replaced rows pointed to and the new ones do not: nothing refers to
    them once this returns, so the caller removes them.

    Two trainings of the same products serialize: the first statement deletes their forecast
    rows (on SQLite it takes the write lock, on MySQL the rows' locks), so the old paths are
    read, under lock, only once the other training has committed; the paths returned are
    exactly the ones this transaction replaced."""
    skus = [r.sku for r in results]
    fingerprints = history_fingerprints or {}
    registry = [
        {
            "sku": r.sku,
            **registry_row(r, trained_at, artifact_paths.get(r.sku)),
            "history_fingerprint": fingerprints.get(r.sku),
            "model_name": r.model_name,
            "validation": _json_value(r.validation) if r.validation else None,
        }
        for r in results
    ]
    forecast_records = [row for r in results for row in forecast_rows(r, trained_at, sku=r.sku)]
    new_paths = {path for path in artifact_paths.values() if path}

    def work(conn: Connection) -> set[str]:
        replaced: set[str] = set()
        for chunk in sku_chunks(skus):
            conn.execute(delete(forecasts).where(forecasts.c.sku.in_(chunk)))
            replaced.update(
                conn.execute(
                    select(model_registry.c.artifact_path)
                    .where(model_registry.c.sku.in_(chunk))
                    .with_for_update()
                ).scalars()
            )
            conn.execute(delete(model_registry).where(model_registry.c.sku.in_(chunk)))
        if registry:
            conn.execute(insert(model_registry), registry)
        for chunk in _chunks(forecast_records, _ROW_CHUNK):
            conn.execute(insert(forecasts), list(chunk))
        return replaced

    replaced = _in_transaction(engine, work)
    return sorted(p for p in replaced if p and p not in new_paths)


def referenced_artifacts(engine: Engine) -> set[str]:
    """Every artifact path a warehouse row points to (model registry, global models)."""
    g = global_models
    with engine.connect() as conn:
        paths = set(conn.execute(select(model_registry.c.artifact_path)).scalars())
        for row in conn.execute(select(g.c.artifact_path, g.c.metadata_path)):
            paths.update(row)
    paths.discard(None)
    return paths


def load_registry(engine: Engine, skus: Sequence[str] | None = None) -> pd.DataFrame:
    query = select(model_registry).order_by(model_registry.c.sku)
    with engine.connect() as conn:
        if skus is None:
            rows = conn.execute(query).mappings().all()
        else:
            rows = [
                row
                for chunk in sku_chunks(skus)
                for row in conn.execute(query.where(model_registry.c.sku.in_(chunk))).mappings()
            ]
    return pd.DataFrame(rows, columns=list(model_registry.c.keys()))


def load_forecast_rows(
    engine: Engine, skus: Sequence[str] | None = None, kind: str | None = None
) -> pd.DataFrame:
    query = select(forecasts).order_by(forecasts.c.sku, forecasts.c.kind, forecasts.c.ds)
    if kind is not None:
        query = query.where(forecasts.c.kind == kind)
    with engine.connect() as conn:
        if skus is None:
            rows = conn.execute(query).mappings().all()
        else:
            rows = [
                row
                for chunk in sku_chunks(skus)
                for row in conn.execute(query.where(forecasts.c.sku.in_(chunk))).mappings()
            ]
    return pd.DataFrame(rows, columns=list(forecasts.c.keys()))


def _last_observed_prices(conn) -> pd.DataFrame:
    t = daily_price_history
    newest = (
        select(t.c.sku, func.max(t.c.day).label("day"))
        .where(t.c.value_source == "observed")
        .group_by(t.c.sku)
        .subquery()
    )
    query = select(t.c.sku, t.c.day, t.c.price).join(
        newest, (t.c.sku == newest.c.sku) & (t.c.day == newest.c.day)
    )
    frame = pd.DataFrame(conn.execute(query).all(), columns=["sku", "last_price_day", "last_price"])
    frame["last_price"] = frame["last_price"].astype(float)
    return frame


def rebuild_forecast_summary(
    engine: Engine, active_skus: Sequence[str], built_at: datetime
) -> pd.DataFrame:
    """Rebuild `product_forecast_summary` (one row per active product) in one transaction and
    return it."""
    with engine.connect() as conn:
        registry = pd.DataFrame(
            conn.execute(select(model_registry)).mappings().all(),
            columns=list(model_registry.c.keys()),
        )
        last_future = (
            select(forecasts.c.sku, func.max(forecasts.c.ds).label("ds"))
            .where(forecasts.c.kind == "future")
            .group_by(forecasts.c.sku)
            .subquery()
        )
        ends = pd.DataFrame(
            conn.execute(
                select(
                    forecasts.c.sku,
                    forecasts.c.ds,
                    forecasts.c.yhat,
                    forecasts.c.yhat_lower,
                    forecasts.c.yhat_upper,
                ).join(
                    last_future,
                    (forecasts.c.sku == last_future.c.sku)
                    & (forecasts.c.ds == last_future.c.ds)
                    & (forecasts.c.kind == "future"),
                )
            ).all(),
            columns=[
                "sku",
                "forecast_end_day",
                "forecast_end",
                "forecast_end_lower",
                "forecast_end_upper",
            ],
        )
        last_prices = _last_observed_prices(conn)

    summary = pd.DataFrame({"sku": list(active_skus)})
    summary = summary.merge(registry, on="sku", how="left")
    summary = summary.merge(ends, on="sku", how="left").merge(last_prices, on="sku", how="left")
    summary["status"] = summary["status"].fillna("untrained")
    summary.loc[summary["status"] == "untrained", "reason"] = "no model trained yet"
    metrics = summary["metrics"].apply(lambda m: m if isinstance(m, dict) else {})
    for key in ("mase_naive", "mase_seasonal_naive", "coverage_80", "mape"):
        summary[key] = metrics.apply(lambda m, k=key: m.get(k)).astype(float)
    for key in ("beats_naive", "beats_seasonal_naive"):
        summary[key] = metrics.apply(lambda m, k=key: m.get(k))
    summary["expected_move"] = (summary["forecast_end"] - summary["last_price"]) / summary[
        "last_price"
    ]
    summary["built_at"] = built_at
    columns = list(product_forecast_summary.c.keys())
    records = []
    for row in summary[columns].to_dict("records"):
        record = {key: _db_value(value) for key, value in row.items()}
        for key in ("last_price_day", "forecast_end_day"):
            record[key] = _as_date(record[key])
        records.append(record)
    with engine.begin() as conn:
        conn.execute(delete(product_forecast_summary))
        for chunk in _chunks(records, _ROW_CHUNK):
            conn.execute(insert(product_forecast_summary), list(chunk))
    return summary[columns]


def load_forecast_summary(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(select(product_forecast_summary).order_by(product_forecast_summary.c.sku))
            .mappings()
            .all(),
            columns=list(product_forecast_summary.c.keys()),
        )


class StoredGlobalModel(NamedTuple):
    model_id: int
    # Files of older global models the transaction stopped pointing to: the caller removes them.
    superseded: list[str]


def store_global_model(
    engine: Engine,
    result: TrainingResult,
    index: pd.DataFrame,
    *,
    products: int,
    trained_at: datetime,
    artifact_path: str | None,
    metadata_path: str | None,
) -> StoredGlobalModel:
    """Record a global training (a new global_models row, its forecasts) and replace the price
    index, in one transaction.

    ``artifact_path`` and ``metadata_path`` are this training's own files, already written.
    Only the newest model keeps files: the same transaction clears the paths of the older rows
    (trained no later than this one, so the row :func:`latest_global_model` returns never loses
    its files) and returns those files, to be removed after the commit. Two global trainings
    serialize on the first statement (the price index is replaced: SQLite's write lock, the
    index rows' locks on MySQL), and the older rows are read under lock after it."""
    row = registry_row(result, trained_at, artifact_path)
    row.pop("duration_s")
    row.update(products=products, metadata_path=metadata_path)
    index_rows = [
        {
            "day": _as_date(r.day),
            "index_value": float(r.index_value),
            "products": int(r.products),
            "value_source": r.value_source,
        }
        for r in index.itertuples(index=False)
    ]
    g = global_models
    own = {artifact_path, metadata_path}  # never this training's own files

    def work(conn: Connection) -> StoredGlobalModel:
        conn.execute(delete(global_price_index))
        with_files = conn.execute(
            select(g.c.id, g.c.trained_at, g.c.artifact_path, g.c.metadata_path)
            .where(g.c.artifact_path.is_not(None) | g.c.metadata_path.is_not(None))
            .with_for_update()
        ).all()
        model_id = conn.execute(insert(g).values(**row)).inserted_primary_key[0]
        stored_at = conn.execute(select(g.c.trained_at).where(g.c.id == model_id)).scalar_one()
        older = [r for r in with_files if r.trained_at <= stored_at]
        if older:
            conn.execute(
                update(g)
                .where(g.c.id.in_([r.id for r in older]))
                .values(artifact_path=None, metadata_path=None)
            )
        forecast_records = [
            {"model_id": model_id, **{k: v for k, v in r.items() if k != "generated_at"}}
            for r in forecast_rows(result, trained_at)
        ]
        if forecast_records:
            conn.execute(insert(global_forecasts), forecast_records)
        if index_rows:
            conn.execute(insert(global_price_index), index_rows)
        # A file is removed only when no row points to it any more (the unversioned layout
        # had every row share one file name).
        cleared = {r.id for r in older}
        files = {r.id: {r.artifact_path, r.metadata_path} for r in with_files}
        kept = own.union(*(paths for id_, paths in files.items() if id_ not in cleared))
        superseded = set().union(*(files[id_] for id_ in cleared)) - kept
        superseded.discard(None)
        return StoredGlobalModel(int(model_id), sorted(superseded))

    return _in_transaction(engine, work)


def latest_global_model(engine: Engine) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(global_models)
                .order_by(global_models.c.trained_at.desc(), global_models.c.id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        model = dict(row)
        model["forecasts"] = pd.DataFrame(
            conn.execute(
                select(global_forecasts)
                .where(global_forecasts.c.model_id == model["id"])
                .order_by(global_forecasts.c.kind, global_forecasts.c.ds)
            )
            .mappings()
            .all(),
            columns=list(global_forecasts.c.keys()),
        )
        model["index"] = pd.DataFrame(
            conn.execute(select(global_price_index).order_by(global_price_index.c.day))
            .mappings()
            .all(),
            columns=list(global_price_index.c.keys()),
        )
    return model
