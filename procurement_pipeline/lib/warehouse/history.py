"""Warehouse queries for the price history: real observations in, daily history and synthetic
gap-fillers out.

Bulk paths go through the DBAPI cursor (``executemany`` / ``fetchmany``) rather than
SQLAlchemy's per-row type processing: on MySQL, PyMySQL rewrites an ``INSERT ... VALUES``
executemany into multi-row statements; on SQLite, one prepared statement is reused. Values are
sent in the storage format SQLAlchemy itself uses (SQLite keeps DATETIME as
``YYYY-MM-DD HH:MM:SS.ffffff`` text and DATE as ``YYYY-MM-DD``), so rows written here read
back through SQLAlchemy Core exactly like rows written by Core. Dialects other than SQLite and
MySQL fall back to Core ``executemany``.

Replacements run in one transaction: readers see the old table until the commit (SQLite WAL,
InnoDB MVCC) and a failure leaves it untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, case, false, func, select, true

from procurement_pipeline.lib.history.fingerprint import history_fingerprints
from procurement_pipeline.lib.warehouse.schema import (
    daily_price_history,
    price_observations,
)
from procurement_pipeline.lib.warehouse.schema import (
    history_fingerprints as history_fingerprints_table,
)

CHUNK_ROWS = 50_000
FETCH_ROWS = 200_000
SKU_CHUNK = 500
OBSERVATION_COLUMNS = ["sku", "observed_at", "price", "currency", "is_synthetic"]
DAILY_COLUMNS = ["sku", "day", "price", "observations", "value_source"]
VALUE_SOURCES = ("observed", "interpolated")
SYNTHETIC_INSERT_COLUMNS = [
    "sku",
    "observed_at",
    "window_start",
    "price",
    "currency",
    "seller",
    "source",
    "is_synthetic",
    "listing_url",
    "offers_considered",
]


# --------------------------------------------------------------------------- helpers


def _dialect(engine_or_conn: Engine | Connection) -> str:
    return engine_or_conn.dialect.name


def _placeholder(engine_or_conn: Engine | Connection) -> str | None:
    style = engine_or_conn.dialect.paramstyle
    if style == "qmark":
        return "?"
    if style in ("format", "pyformat"):
        return "%s"
    return None


def _datetime_strings(values: Any, dialect: str) -> np.ndarray:
    """Vectorised DATETIME literals in the dialect's storage format (None for NaT)."""
    arr = pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[us]")
    if dialect == "sqlite":
        text = np.datetime_as_string(arr, unit="us")
    else:  # MySQL DATETIME(0): send whole seconds (MySQL would round, MariaDB truncate)
        text = np.datetime_as_string(arr.astype("datetime64[s]"), unit="s")
    out = (
        pd.Series(text, dtype=object).str.replace("T", " ", regex=False).to_numpy(object, copy=True)
    )
    out[np.isnat(arr)] = None
    return out


def _date_strings(values: Any) -> np.ndarray:
    arr = pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")
    return np.datetime_as_string(arr, unit="D").astype(object)


def _to_python(values: np.ndarray) -> list:
    """numpy scalars -> Python scalars, NaN/NaT -> None (DBAPI drivers want plain types)."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        out = values.astype(object)
        out[np.isnan(values)] = None
        return out.tolist()
    if values.dtype.kind == "O":
        out = values.copy()
        out[pd.isna(values)] = None
        return out.tolist()
    return values.tolist()


def _bulk_insert(conn: Connection, table, columns: Sequence[str], data: dict[str, list]) -> int:
    """Insert column-oriented ``data`` (already in storage format) in chunks."""
    n = len(data[columns[0]]) if columns else 0
    if n == 0:
        return 0
    mark = _placeholder(conn)
    if mark is None or _dialect(conn) not in ("sqlite", "mysql"):
        records = [dict(zip(columns, row, strict=True)) for row in zip(*data.values(), strict=True)]
        for i in range(0, n, CHUNK_ROWS):
            conn.execute(table.insert(), records[i : i + CHUNK_ROWS])
        return n
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    cursor = conn.connection.cursor()
    try:
        rows = list(zip(*(data[c] for c in columns), strict=True))
        for i in range(0, n, CHUNK_ROWS):
            cursor.executemany(sql, rows[i : i + CHUNK_ROWS])
    finally:
        cursor.close()
    return n


def _fetch_columns(
    conn: Connection, sql: str, params: Sequence[Any], names: list[str]
) -> dict[str, np.ndarray]:
    """Run ``sql`` on the DBAPI cursor; return one object array per column.

    Rows are fetched in chunks and each chunk becomes a 2-D object array at C speed, which is
    several times faster than transposing tuples in Python."""
    cursor = conn.connection.cursor()
    blocks: list[np.ndarray] = []
    try:
        cursor.execute(sql, tuple(params))
        while True:
            rows = cursor.fetchmany(FETCH_ROWS)
            if not rows:
                break
            block = np.empty((len(rows), len(names)), dtype=object)
            block[:] = rows
            blocks.append(block)
    finally:
        cursor.close()
    table = np.concatenate(blocks) if blocks else np.empty((0, len(names)), dtype=object)
    return {name: table[:, i] for i, name in enumerate(names)}


def sku_chunks(skus: Iterable[str]) -> list[list[str]]:
    unique = sorted({str(s) for s in skus})
    return [unique[i : i + SKU_CHUNK] for i in range(0, len(unique), SKU_CHUNK)]


# --------------------------------------------------------------------------- reads


def load_real_observations(engine: Engine, since: datetime | None = None) -> pd.DataFrame:
    """Every real (``is_synthetic = false``) observation, optionally from ``since`` on.

    Columns sku, observed_at (datetime64, naive UTC), price (float), currency, is_synthetic
    (always False) -- the input of ``build_daily_history``."""
    dialect = _dialect(engine)
    mark = _placeholder(engine)
    params: list[Any] = []
    if dialect == "mysql":
        # Integer microseconds and DOUBLE spare PyMySQL its slow per-value datetime/Decimal
        # conversion.
        cols = (
            "sku, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', observed_at), "
            "price + 0E0, currency"
        )
    elif dialect == "sqlite":
        cols = "sku, observed_at, CAST(price AS REAL), currency"
    else:
        return _load_real_observations_core(engine, since)
    # Without a lower bound the whole table is read: a plain scan beats walking the
    # (is_synthetic, observed_at) index and fetching every row by rowid ("+" disables it).
    flag = "+is_synthetic" if dialect == "sqlite" and since is None else "is_synthetic"
    sql = f"SELECT {cols} FROM price_observations WHERE {flag} = 0"
    if since is not None:
        sql += f" AND observed_at >= {mark}"
        params.append(_datetime_strings([since], dialect)[0])
    names = ["sku", "observed_at", "price", "currency"]
    with engine.connect() as conn:
        data = _fetch_columns(conn, sql, params, names)
    if dialect == "mysql":
        micros = np.asarray(data["observed_at"], dtype=np.int64)
        observed_at = micros.astype("datetime64[us]").astype("datetime64[ns]")
    else:
        observed_at = pd.to_datetime(
            pd.Series(data["observed_at"], dtype=object), format="ISO8601"
        ).to_numpy(dtype="datetime64[ns]")
    n = len(observed_at)
    return pd.DataFrame(
        {
            "sku": pd.Series(data["sku"], dtype=object),
            "observed_at": observed_at,
            "price": np.asarray(data["price"], dtype=np.float64),
            "currency": pd.Series(data["currency"], dtype=object),
            "is_synthetic": np.zeros(n, dtype=bool),
        }
    )


def _load_real_observations_core(engine: Engine, since: datetime | None) -> pd.DataFrame:
    t = price_observations
    query = select(t.c.sku, t.c.observed_at, t.c.price, t.c.currency).where(
        t.c.is_synthetic == false()
    )
    if since is not None:
        query = query.where(t.c.observed_at >= since)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["sku", "observed_at", "price", "currency"])
    frame["observed_at"] = pd.to_datetime(frame["observed_at"]).astype("datetime64[ns]")
    frame["price"] = pd.to_numeric(frame["price"]).astype(float)
    frame["is_synthetic"] = False
    return frame


def newest_real_observation(engine: Engine) -> datetime | None:
    """The newest ``observed_at`` of a real observation, or None when there is none."""
    t = price_observations
    query = select(func.max(t.c.observed_at)).where(t.c.is_synthetic == false())
    with engine.connect() as conn:
        value = conn.execute(query).scalar()
    if value is None:
        return None
    if isinstance(value, str):  # defensive: a bare text value from an untyped driver path
        value = datetime.fromisoformat(value)
    return value


def last_real_prices(engine: Engine) -> pd.DataFrame:
    """The newest real observation of each product: columns sku, price (float), observed_at.
    Feeds ``synthetic_anchors``."""
    t = price_observations
    latest = (
        select(t.c.sku, func.max(t.c.observed_at).label("observed_at"))
        .where(t.c.is_synthetic == false())
        .group_by(t.c.sku)
        .subquery()
    )
    query = (
        select(t.c.sku, t.c.price, t.c.observed_at, t.c.id)
        .join(latest, (t.c.sku == latest.c.sku) & (t.c.observed_at == latest.c.observed_at))
        .where(t.c.is_synthetic == false())
        .order_by(t.c.sku, t.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["sku", "price", "observed_at", "id"])
    frame = frame.drop_duplicates("sku", keep="last").drop(columns="id").reset_index(drop=True)
    frame["price"] = pd.to_numeric(frame["price"]).astype(float)
    frame["observed_at"] = pd.to_datetime(frame["observed_at"]).astype("datetime64[ns]")
    return frame


def load_daily_history(engine: Engine, skus: Iterable[str] | None = None) -> pd.DataFrame:
    """The daily history, sorted by sku and day: columns sku, day (datetime64[ns] midnight,
    like ``build_daily_history``), price (float), observations (int), value_source,
    built_at (datetime64[ns])."""
    names = ["sku", "day", "price", "observations", "value_source", "built_at"]
    dialect = _dialect(engine)
    mark = _placeholder(engine)
    if dialect == "mysql":
        # integers instead of DATE/DATETIME objects: PyMySQL converts those slowly per value
        cols = (
            "sku, DATEDIFF(day, '1970-01-01'), price + 0E0, observations, value_source, "
            "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', built_at)"
        )
    else:
        cols = "sku, day, CAST(price AS REAL), observations, value_source, built_at"
    base = f"SELECT {cols} FROM daily_price_history"
    chunks: list[tuple[str, list]] = []
    if skus is None:
        chunks.append((base, []))
    else:
        for chunk in sku_chunks(skus):
            chunks.append((f"{base} WHERE sku IN ({', '.join([mark] * len(chunk))})", chunk))
    parts: list[dict[str, np.ndarray]] = []
    with engine.connect() as conn:
        for sql, params in chunks:
            parts.append(_fetch_columns(conn, sql, params, names))
    data = {name: np.concatenate([part[name] for part in parts]) for name in names}
    if dialect == "mysql":
        day = np.asarray(data["day"], dtype=np.int64).astype("datetime64[D]")
        built = np.asarray(data["built_at"], dtype=np.int64).astype("datetime64[us]")
    else:
        day = pd.to_datetime(pd.Series(data["day"], dtype=object), format="ISO8601")
        built = pd.to_datetime(pd.Series(data["built_at"], dtype=object), format="ISO8601")
    frame = pd.DataFrame(
        {
            "sku": pd.Series(data["sku"], dtype=object),
            "day": pd.Series(day).astype("datetime64[ns]"),
            "price": np.asarray(data["price"], dtype=np.float64),
            "observations": np.asarray(data["observations"], dtype=np.int64),
            "value_source": pd.Series(data["value_source"], dtype=object),
            "built_at": pd.Series(built).astype("datetime64[ns]"),
        }
    )
    return frame.sort_values(["sku", "day"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- writes


def replace_daily_history(
    engine: Engine,
    daily_df: pd.DataFrame,
    built_at: datetime,
    fingerprints: pd.DataFrame | None = None,
) -> int:
    """Replace the whole ``daily_price_history`` table with ``daily_df``, and each product's
    content fingerprint (``history_fingerprints``) with that of its new series, in one
    transaction (``fingerprints``: history_fingerprints(daily_df), computed when not given).
    Returns the number of rows written."""
    missing = [c for c in DAILY_COLUMNS if c not in daily_df.columns]
    if missing:
        raise ValueError(f"daily history is missing column(s) {missing}; expected {DAILY_COLUMNS}")
    bad_source = ~daily_df["value_source"].isin(VALUE_SOURCES)
    if bad_source.any():
        row = daily_df[bad_source].iloc[0]
        raise ValueError(
            f"daily history row for SKU {row['sku']!r} on {row['day']} has value_source "
            f"{row['value_source']!r}; expected one of {VALUE_SOURCES}"
        )
    price = pd.to_numeric(daily_df["price"], errors="coerce").to_numpy(dtype=np.float64)
    if len(price) and not np.isfinite(price).all():
        row = daily_df[~np.isfinite(price)].iloc[0]
        raise ValueError(f"daily history row for SKU {row['sku']!r} on {row['day']} has no price")
    dialect = _dialect(engine)
    columns = ["sku", "day", "price", "observations", "value_source", "built_at"]
    n = len(daily_df)
    raw = _placeholder(engine) is not None and dialect in ("sqlite", "mysql")
    if raw:
        days = _date_strings(daily_df["day"]).tolist()
        stamp = _datetime_strings([built_at], dialect)[0]
    else:
        days = [d.date() for d in pd.to_datetime(daily_df["day"])]
        stamp = built_at
    data = {
        "sku": daily_df["sku"].astype(str).tolist(),
        "day": days,
        "price": np.round(price, 4).tolist(),
        "observations": daily_df["observations"].astype(np.int64).tolist(),
        "value_source": daily_df["value_source"].astype(str).tolist(),
        "built_at": [stamp] * n,
    }
    if fingerprints is None:
        fingerprints = history_fingerprints(daily_df)
    fingerprint_rows = [{**row, "built_at": built_at} for row in fingerprints.to_dict("records")]
    with engine.begin() as conn:
        conn.execute(daily_price_history.delete())
        _bulk_insert(conn, daily_price_history, columns, data)
        conn.execute(history_fingerprints_table.delete())
        if fingerprint_rows:
            conn.execute(history_fingerprints_table.insert(), fingerprint_rows)
    return n


def replace_synthetic_observations(
    engine: Engine, synthetic_df: pd.DataFrame, skus: Iterable[str] | None = None
) -> dict[str, int]:
    """Delete the synthetic observations of the given SKUs (default: the SKUs in
    ``synthetic_df``) and insert ``synthetic_df`` in one transaction. Real observations are
    never touched. Returns {"deleted": n, "inserted": n}."""
    missing = [c for c in ("sku", "observed_at", "price", "currency") if c not in synthetic_df]
    if missing:
        raise ValueError(f"synthetic observations are missing column(s) {missing}")
    if "is_synthetic" in synthetic_df and len(synthetic_df):
        flags = synthetic_df["is_synthetic"].fillna(False).astype(bool)
        if not flags.all():
            sku = synthetic_df.loc[~flags, "sku"].iloc[0]
            raise ValueError(
                f"refusing to write a non-synthetic row (SKU {sku!r}) as a synthetic observation"
            )
    target_skus = synthetic_df["sku"] if skus is None else skus
    dialect = _dialect(engine)
    raw = _placeholder(engine) is not None and dialect in ("sqlite", "mysql")
    n = len(synthetic_df)

    def column(name: str, default=None) -> list:
        if name in synthetic_df:
            return _to_python(synthetic_df[name].to_numpy())
        return [default] * n

    if raw:
        observed_at = _datetime_strings(synthetic_df["observed_at"], dialect).tolist()
        is_synthetic = [1] * n
    else:
        observed_at = list(pd.to_datetime(synthetic_df["observed_at"]).dt.to_pydatetime())
        is_synthetic = [True] * n
    price = pd.to_numeric(synthetic_df["price"], errors="coerce").to_numpy(dtype=np.float64)
    if n and not (np.isfinite(price) & (price > 0)).all():
        raise ValueError("synthetic observations must all have a positive price")
    data = {
        "sku": synthetic_df["sku"].astype(str).tolist(),
        "observed_at": observed_at,
        "window_start": [None] * n,
        "price": np.round(price, 2).tolist(),
        "currency": synthetic_df["currency"].astype(str).tolist(),
        "seller": column("seller"),
        "source": column("source", "synthetic"),
        "is_synthetic": is_synthetic,
        "listing_url": column("listing_url"),
        "offers_considered": column("offers_considered"),
    }
    t = price_observations
    deleted = 0
    with engine.begin() as conn:
        for chunk in sku_chunks(target_skus):
            result = conn.execute(
                t.delete().where(t.c.is_synthetic == true()).where(t.c.sku.in_(chunk))
            )
            deleted += max(result.rowcount or 0, 0)
        inserted = _bulk_insert(conn, t, SYNTHETIC_INSERT_COLUMNS, data)
    return {"deleted": deleted, "inserted": inserted}


def insert_observations(engine: Engine, observations: pd.DataFrame) -> int:
    """Bulk insert raw observation rows (any of the price_observations columns but id) in one
    transaction -- for loaders, fixtures and benchmarks."""
    with engine.begin() as conn:
        return insert_observation_rows(conn, observations)


def insert_observation_rows(conn: Connection, observations: pd.DataFrame) -> int:
    """Bulk insert observation rows inside the caller's transaction."""
    dialect = _dialect(conn)
    raw = _placeholder(conn) is not None and dialect in ("sqlite", "mysql")
    n = len(observations)
    columns = [c for c in SYNTHETIC_INSERT_COLUMNS if c in observations.columns]
    data: dict[str, list] = {}
    for name in columns:
        values = observations[name]
        if name in ("observed_at", "window_start"):
            if raw:
                data[name] = _datetime_strings(values, dialect).tolist()
            else:
                stamps = pd.to_datetime(values)
                data[name] = [None if pd.isna(v) else v.to_pydatetime() for v in stamps]
        elif name == "is_synthetic":
            flags = values.fillna(False).astype(bool).to_numpy()
            data[name] = flags.astype(int).tolist() if raw else flags.tolist()
        elif name == "price":
            data[name] = pd.to_numeric(values).astype(float).round(2).tolist()
        else:
            data[name] = _to_python(values.to_numpy(dtype=object))
    _bulk_insert(conn, price_observations, columns, data)
    return n


def daily_history_quality(engine: Engine) -> dict[str, Any]:
    """What the daily_price_history checks look at, computed in SQL on the stored table."""
    t = daily_price_history
    per_key = (
        select(t.c.sku, t.c.day).group_by(t.c.sku, t.c.day).having(func.count() > 1).subquery()
    )
    interpolated = func.sum(case((t.c.value_source == "interpolated", 1), else_=0))
    share_query = select(t.c.sku, (interpolated * 1.0 / func.count()).label("share")).group_by(
        t.c.sku
    )
    with engine.connect() as conn:
        duplicates = conn.execute(select(func.count()).select_from(per_key)).scalar_one()
        rows = conn.execute(select(func.count()).select_from(t)).scalar_one()
        # NaN/inf cannot be stored in DECIMAL: non-positive is what can go wrong here.
        non_positive = conn.execute(
            select(func.count()).select_from(t).where(t.c.price <= 0)
        ).scalar_one()
        shares = pd.DataFrame(conn.execute(share_query).all(), columns=["sku", "share"])
    shares["share"] = shares["share"].astype(float)
    return {
        "rows": int(rows),
        "duplicate_keys": int(duplicates),
        "non_positive_prices": int(non_positive),
        "interpolated_share_by_sku": shares.set_index("sku")["share"],
    }
