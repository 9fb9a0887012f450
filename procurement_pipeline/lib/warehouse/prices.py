"""Price-feed queries: storing one scrape window idempotently, seeding demo history, health."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, and_, delete, func, select

from procurement_pipeline.lib.scraping.collect import WindowScrape
from procurement_pipeline.lib.warehouse.history import insert_observation_rows
from procurement_pipeline.lib.warehouse.schema import offers, price_observations, scrape_attempts

_INSERT_CHUNK = 5_000


def _insert(conn, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), _INSERT_CHUNK):
        conn.execute(table.insert(), rows[start : start + _INSERT_CHUNK])


def replace_window(engine: Engine, scrape: WindowScrape) -> None:
    """Store one window's observations, offers and attempts, replacing any earlier run of the
    same window (never a duplicate). One transaction: all of the window or none of it."""
    window_start = scrape.window_start
    with engine.begin() as conn:
        conn.execute(
            delete(price_observations).where(
                and_(
                    price_observations.c.window_start == window_start,
                    price_observations.c.is_synthetic.is_(False),
                )
            )
        )
        conn.execute(delete(offers).where(offers.c.window_start == window_start))
        conn.execute(delete(scrape_attempts).where(scrape_attempts.c.window_start == window_start))
        _insert(conn, price_observations, scrape.observations)
        _insert(conn, offers, scrape.offers)
        _insert(conn, scrape_attempts, scrape.attempts)


def replace_demo_observations(
    engine: Engine, frame: pd.DataFrame, first_window: datetime, last_window: datetime
) -> int:
    """Replace the demo market's observations in [first_window, last_window] by `frame`.

    Only rows with source "demo" in that range go: real market data is never touched, and a
    re-run of the seed gives the same rows again."""
    with engine.begin() as conn:
        conn.execute(
            delete(price_observations).where(
                and_(
                    price_observations.c.source == "demo",
                    price_observations.c.window_start >= first_window,
                    price_observations.c.window_start <= last_window,
                )
            )
        )
        return insert_observation_rows(conn, frame)


def window_duplicates(engine: Engine, window_start: datetime) -> int:
    """(product, window) pairs with more than one real observation."""
    per_sku = (
        select(price_observations.c.sku)
        .where(
            price_observations.c.window_start == window_start,
            price_observations.c.is_synthetic.is_(False),
        )
        .group_by(price_observations.c.sku)
        .having(func.count() > 1)
        .subquery()
    )
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(per_sku)).scalar_one()


def scrape_health(engine: Engine, windows: int = 6) -> pd.DataFrame:
    """Saved and failed attempts (by reason) for the newest `windows` scrape windows."""
    latest = (
        select(scrape_attempts.c.window_start)
        .group_by(scrape_attempts.c.window_start)
        .order_by(scrape_attempts.c.window_start.desc())
        .limit(windows)
        .subquery()
    )
    query = (
        select(
            scrape_attempts.c.window_start,
            scrape_attempts.c.outcome,
            scrape_attempts.c.reason,
            func.count().label("products"),
        )
        .where(scrape_attempts.c.window_start.in_(select(latest.c.window_start)))
        .group_by(
            scrape_attempts.c.window_start, scrape_attempts.c.outcome, scrape_attempts.c.reason
        )
        .order_by(scrape_attempts.c.window_start.desc(), scrape_attempts.c.outcome)
    )
    with engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(query).mappings().all(),
            columns=["window_start", "outcome", "reason", "products"],
        )
