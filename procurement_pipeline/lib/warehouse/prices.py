"""Price-feed queries: storing one scrape window idempotently (never losing a stored
observation to a failed re-run), seeding demo history, health."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, and_, delete, func, select

from procurement_pipeline.lib.scraping.collect import WindowScrape
from procurement_pipeline.lib.warehouse.history import insert_observation_rows, sku_chunks
from procurement_pipeline.lib.warehouse.schema import offers, price_observations, scrape_attempts

_INSERT_CHUNK = 5_000
_DETAIL_MAX = 1024  # scrape_attempts.detail


def _insert(conn, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), _INSERT_CHUNK):
        conn.execute(table.insert(), rows[start : start + _INSERT_CHUNK])


@dataclass(frozen=True)
class WindowStoreResult:
    """What storing one window's scrape did, per product."""

    stored: list[str] = field(default_factory=list)  # new observation stored (or replaced)
    kept: list[str] = field(default_factory=list)  # failed now: the earlier observation stays
    missing: list[str] = field(default_factory=list)  # failed now, nothing stored before either
    offers_stored: int = 0


KEPT_NOTE = "earlier observation kept"


def store_window(engine: Engine, scrape: WindowScrape) -> WindowStoreResult:
    """Store one window's scrape, keeping per product the better of the stored and the new
    result, in one transaction (all of it or none of it); never a duplicate.

    - A product with a new observation: its earlier observation, offers and attempt of the
      window are replaced by the new ones.
    - A product whose new attempt failed but that has a stored (real) observation for the
      window: the observation and its offers stay; its attempt row becomes the new, failed
      attempt (the failure is recorded, with "earlier observation kept" in the detail).
    - A product that failed now and had no observation: its rows are replaced by the new
      attempt and offers (as before).
    Products of the window that the scrape did not target are left alone."""
    window_start = scrape.window_start
    attempted = [a["sku"] for a in scrape.attempts]
    observed = {o["sku"] for o in scrape.observations}
    with engine.begin() as conn:
        stored_before: set[str] = set()
        for chunk in sku_chunks(set(attempted) - observed):
            stored_before.update(
                conn.execute(
                    select(price_observations.c.sku).where(
                        price_observations.c.window_start == window_start,
                        price_observations.c.is_synthetic.is_(False),
                        price_observations.c.sku.in_(chunk),
                    )
                ).scalars()
            )
        replaced = set(attempted) - stored_before
        for chunk in sku_chunks(replaced):
            conn.execute(
                delete(price_observations).where(
                    price_observations.c.window_start == window_start,
                    price_observations.c.is_synthetic.is_(False),
                    price_observations.c.sku.in_(chunk),
                )
            )
            conn.execute(
                delete(offers).where(offers.c.window_start == window_start, offers.c.sku.in_(chunk))
            )
        for chunk in sku_chunks(attempted):
            conn.execute(
                delete(scrape_attempts).where(
                    scrape_attempts.c.window_start == window_start,
                    scrape_attempts.c.sku.in_(chunk),
                )
            )
        attempts = [
            {**a, "detail": _kept_detail(a.get("detail"))} if a["sku"] in stored_before else a
            for a in scrape.attempts
        ]
        _insert(conn, price_observations, scrape.observations)
        new_offers = [o for o in scrape.offers if o["sku"] in replaced]
        _insert(conn, offers, new_offers)
        _insert(conn, scrape_attempts, attempts)
    return WindowStoreResult(
        stored=sorted(observed),
        kept=sorted(stored_before),
        missing=sorted(set(attempted) - observed - stored_before),
        offers_stored=len(new_offers),
    )


def _kept_detail(detail: str | None) -> str:
    text = f"{KEPT_NOTE}; {detail}" if detail else KEPT_NOTE
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 1] + "…"


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
