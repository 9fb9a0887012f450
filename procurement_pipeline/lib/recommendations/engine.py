"""Buying recommendations: what to buy, when, how much, and why — one row per active product.

Inputs per product: the stock position ``S`` (current stock plus ``on_order``, deliveries
already ordered), the minimum stock ``M``, the lead time ``L`` days, the expected daily use
``d`` with its day-to-day standard deviation ``s`` (see
:mod:`procurement_pipeline.lib.consumption.estimate`), today's observed price ``p0`` (the
catalog's reference price when no market price was ever observed) and, when the product's
model is trustworthy, the price forecast ``yhat[k]`` (with its interval) for the next ``H``
days (``horizon_days``, 30).

The decision rule
-----------------

1. **Reorder level** ``R = M + SS`` with the safety stock ``SS = z * s * sqrt(L)``
   (``safety_z`` 1.28: the lead time's use is exceeded about one time in ten).
2. **Latest safe order day** ``T = (S - R) / d - L`` days from today: an order placed on day
   ``T`` arrives just as the position reaches the reorder level, so the stock never goes
   below the minimum through the lead time. ``urgency_days`` is ``T`` (negative: late).
3. **No need** when ``T > H``: the stock lasts past the horizon plus the lead time (also when
   nothing is used and the stock is at or above the minimum).
4. **Buy now** when ``T < 1``: an order tomorrow would already be late (or the stock is below
   the minimum with no use to wait for).
5. Otherwise the **order window** is today (``k = 0``, price ``p0``) to the deadline
   ``K = floor(T)``. With a trusted model the candidate prices are ``p0`` today and
   ``yhat[k]`` for ``k = 1..K``; the cheapest day ``k*`` (the earliest on ties) is chosen:

   * **wait until** ``k*`` when ``(p0 - yhat[k*]) / p0 >= min_saving_share`` (2 %) and the
     expected saving ``(p0 - yhat[k*]) * Q`` is at least ``min_saving_brl``;
   * **buy now** when even the cheapest future day of the window is expected to cost at
     least ``min_rise_share`` (3 %) more than today (a rise is coming, or today is a dip)
     and the order today is worth placing (at least ``min_order_days``, 7, of use — no
     top-ups of a few units);
   * **buy by** ``K`` otherwise (no price move worth acting on: any day until the deadline).

   Without a trusted model (skipped or failed training, no forecast for the window, or a
   model that does not beat both the naive and the seasonal-naive baselines on the holdout)
   the price plays no part: **buy by** ``K`` at today's price, and the reason says so.
6. **Quantity** for an order on day ``k``: enough to keep the position at or above the
   reorder level through the lead time and the horizon after it,
   ``Q = R + d * (k + L + H) - S`` (at least 0; when nothing is used, what restores the
   minimum), rounded up to whole items (unidade, caixa, rolo, pacote, par, chapa, galão,
   lata, balde, folha) or to 0.1 (metro, kg, litro, m³).
7. **Expected unit price** is the price expected on the action date (``p0`` today; ``yhat``
   on a later date with a trusted model; ``p0`` otherwise) and the **expected saving** is
   ``(p0 - expected_unit_price) * Q``, i.e. against buying the same quantity now.

All of it is numpy over the products (3,000 products in a few tens of milliseconds); only the
reason sentences are built in a Python loop.

Opportunities (:func:`opportunities`): a newly observed price below the forecast's lower
bound by more than ``opportunity_margin`` (``price < yhat_lower * (1 - margin)``) for a product
whose recommendation is not ``no_need`` (it will be bought within the horizon) raises an
alert keyed ``opportunity:{sku}:{window_start:%Y-%m-%dT%H:%M}`` so it is e-mailed once.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from procurement_pipeline.lib.reporting.formatting import (
    format_brl,
    format_date_br,
    format_number,
    format_pct,
)

ACTIONS = ("buy_now", "buy_by", "wait_until", "no_need")
WHOLE_UNITS = frozenset(
    {"unidade", "caixa", "rolo", "pacote", "par", "chapa", "galão", "lata", "balde", "folha"}
)
PLURALS = {
    "metro": "metros",
    "unidade": "unidades",
    "caixa": "caixas",
    "rolo": "rolos",
    "pacote": "pacotes",
    "chapa": "chapas",
    "galão": "galões",
    "lata": "latas",
    "balde": "baldes",
    "folha": "folhas",
    "par": "pares",
    "litro": "litros",
    "kg": "kg",
    "m³": "m³",
}
UNTRUSTED_MODEL_NOTE = (
    "Modelo não confiável (não supera as referências): regra de estoque pelo preço de hoje."
)
NO_MODEL_NOTE = "Sem modelo de previsão para o produto: regra de estoque pelo preço de hoje."
NO_FORECAST_NOTE = (
    "Sem previsão de preço para os próximos dias: regra de estoque pelo preço de hoje."
)
REFERENCE_PRICE_NOTE = "sem cotação de mercado, vale o preço de referência do catálogo"

RECOMMENDATION_COLUMNS = [
    "sku",
    "name",
    "category",
    "unit",
    "as_of",
    "action",
    "action_date",
    "suggested_quantity",
    "expected_unit_price",
    "price_today",
    "price_source",
    "expected_saving",
    "expected_saving_pct",
    "urgency_days",
    "days_of_cover",
    "daily_consumption",
    "daily_consumption_std",
    "stock_position",
    "reorder_level",
    "trusted_model",
    "model_note",
    "reason",
]
OPPORTUNITY_COLUMNS = [
    "sku",
    "window_start",
    "price",
    "yhat",
    "yhat_lower",
    "yhat_upper",
    "below_lower_pct",
    "below_yhat_pct",
    "action",
    "action_date",
    "suggested_quantity",
    "unit",
    "name",
    "expected_saving",
    "notification_key",
]


@dataclass(frozen=True)
class RecommendationSettings:
    """Knobs of the decision rule (see the module docstring)."""

    horizon_days: int = 30
    safety_z: float = 1.28
    min_saving_share: float = 0.02
    min_saving_brl: float = 0.0
    min_rise_share: float = 0.03
    min_order_days: float = 7.0
    opportunity_margin: float = 0.05
    consumption_window_days: int = 56
    require_beats_naive: bool = True
    require_beats_seasonal_naive: bool = True

    def __post_init__(self) -> None:
        if self.horizon_days < 1:
            raise ValueError("horizon_days must be at least 1")
        if self.safety_z < 0:
            raise ValueError("safety_z must not be negative")
        for name in ("min_saving_share", "min_rise_share", "opportunity_margin"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise ValueError(f"{name} must be in [0, 1)")


def _to_day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def _day_numbers(values: Any) -> np.ndarray:
    """Dates / datetimes / Timestamps -> day ordinals (int64), vectorised."""
    series = pd.Series(values)
    if series.dtype == object:
        series = pd.to_datetime(series)
    return series.to_numpy(dtype="datetime64[D]").astype(np.int64) + 719163


def _bool_column(frame: pd.DataFrame, name: str, default: bool) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), default)
    col = frame[name]
    return np.array([default if v is None or v is pd.NA or v != v else bool(v) for v in col])


def round_quantity(quantity: Any, units: Any) -> np.ndarray:
    """Round up to the unit's step: whole items for counted units, 0.1 otherwise."""
    q = np.clip(np.asarray(quantity, dtype=float), 0.0, None)
    whole = np.isin(np.asarray(units, dtype=object), list(WHOLE_UNITS))
    step = np.where(whole, 1.0, 0.1)
    # The small tolerance keeps 40.0000000001 from becoming 41.
    return np.round(np.ceil(q / step - 1e-9) * step, 1)


def quantity_text(quantity: float, unit: str) -> str:
    whole = unit in WHOLE_UNITS or float(quantity).is_integer()
    text = format_number(quantity, 0 if whole else 1)
    word = unit if abs(quantity - 1.0) < 1e-9 else PLURALS.get(unit, unit)
    return f"{text} {word}"


def _days_text(days: float) -> str:
    if not math.isfinite(days):
        return "muito tempo"
    n = max(int(math.floor(days)), 0)
    return "1 dia" if n == 1 else f"{n} dias"


def recommend(
    products_df: pd.DataFrame,
    consumption_df: pd.DataFrame,
    forecasts_df: pd.DataFrame,
    models_df: pd.DataFrame,
    today_prices_df: pd.DataFrame,
    as_of: dt.date,
    settings: RecommendationSettings | None = None,
) -> pd.DataFrame:
    """One recommendation per active product (columns :data:`RECOMMENDATION_COLUMNS`).

    * ``products_df``: sku, name, category, unit, current_stock, minimum_stock,
      lead_time_days, reference_price; optional ``on_order`` (quantity ordered, not yet
      delivered) and ``active`` (inactive rows are left out).
    * ``consumption_df``: sku, daily_mean, daily_std (missing products: no use).
    * ``forecasts_df``: sku, ds, yhat, yhat_lower, yhat_upper (rows outside ``as_of + 1 ..
      as_of + horizon`` are ignored; with a ``kind`` column only ``"future"`` rows count).
    * ``models_df``: sku, status, beats_naive, beats_seasonal_naive.
    * ``today_prices_df``: sku, price, observed_day (the latest observed daily price).
    """
    settings = settings or RecommendationSettings()
    as_of = _to_day(as_of)
    horizon = settings.horizon_days
    products = products_df
    if "active" in products.columns:
        products = products[_bool_column(products, "active", True)]
    products = products.reset_index(drop=True)
    n = len(products)
    skus = products["sku"].astype(str).to_numpy(dtype=object)
    sku_index = pd.Index(skus)
    units = products["unit"].astype(str).to_numpy(dtype=object)

    stock = products["current_stock"].to_numpy(dtype=float)
    on_order = (
        products["on_order"].fillna(0).to_numpy(dtype=float)
        if "on_order" in products.columns
        else np.zeros(n)
    )
    position = stock + on_order
    minimum = products["minimum_stock"].to_numpy(dtype=float)
    lead = products["lead_time_days"].to_numpy(dtype=float)
    reference = products["reference_price"].to_numpy(dtype=float)

    # Consumption.
    d = np.zeros(n)
    s = np.zeros(n)
    if len(consumption_df):
        pos = sku_index.get_indexer(consumption_df["sku"].astype(str))
        ok = pos >= 0
        d[pos[ok]] = consumption_df["daily_mean"].to_numpy(dtype=float)[ok]
        s[pos[ok]] = consumption_df["daily_std"].to_numpy(dtype=float)[ok]
    d = np.nan_to_num(np.clip(d, 0.0, None))
    s = np.nan_to_num(np.clip(s, 0.0, None))

    # Today's price.
    p0 = np.full(n, np.nan)
    if len(today_prices_df):
        pos = sku_index.get_indexer(today_prices_df["sku"].astype(str))
        ok = pos >= 0
        p0[pos[ok]] = today_prices_df["price"].to_numpy(dtype=float)[ok]
    from_market = np.isfinite(p0) & (p0 > 0)
    p0 = np.where(from_market, p0, reference)
    price_source = np.where(from_market, "market", "reference")

    # Forecast matrix: column 0 is today (p0), column k the forecast for as_of + k.
    yhat = np.full((n, horizon + 1), np.nan)
    ylo = np.full((n, horizon + 1), np.nan)
    yhi = np.full((n, horizon + 1), np.nan)
    fc = forecasts_df
    if len(fc) and "kind" in fc.columns:
        fc = fc[fc["kind"] == "future"]
    if len(fc):
        rows = sku_index.get_indexer(fc["sku"].astype(str))
        cols = _day_numbers(fc["ds"].to_numpy()) - as_of.toordinal()
        ok = (rows >= 0) & (cols >= 1) & (cols <= horizon)
        yhat[rows[ok], cols[ok]] = fc["yhat"].to_numpy(dtype=float)[ok]
        if "yhat_lower" in fc.columns:
            ylo[rows[ok], cols[ok]] = fc["yhat_lower"].to_numpy(dtype=float)[ok]
        if "yhat_upper" in fc.columns:
            yhi[rows[ok], cols[ok]] = fc["yhat_upper"].to_numpy(dtype=float)[ok]
    has_forecast = np.isfinite(yhat[:, 1:]).any(axis=1)

    # Trust.
    status = np.full(n, None, dtype=object)
    beats_n = np.zeros(n, dtype=bool)
    beats_s = np.zeros(n, dtype=bool)
    if len(models_df):
        pos = sku_index.get_indexer(models_df["sku"].astype(str))
        ok = pos >= 0
        status[pos[ok]] = models_df["status"].astype(object).to_numpy()[ok]
        beats_n[pos[ok]] = _bool_column(models_df, "beats_naive", False)[ok]
        beats_s[pos[ok]] = _bool_column(models_df, "beats_seasonal_naive", False)[ok]
    trained = status == "trained"
    good = trained.copy()
    if settings.require_beats_naive:
        good &= beats_n
    if settings.require_beats_seasonal_naive:
        good &= beats_s
    trusted = good & has_forecast & from_market
    model_note = np.where(
        trusted,
        "trusted",
        np.where(
            ~trained,
            "no_model",
            np.where(
                ~good,
                "not_beating_baselines",
                np.where(~has_forecast, "no_forecast", "reference_price"),
            ),
        ),
    )

    # Stock rule.
    safety = settings.safety_z * s * np.sqrt(lead)
    reorder = minimum + safety
    with np.errstate(divide="ignore", invalid="ignore"):
        t_order = np.where(
            d > 0,
            (position - reorder) / np.where(d > 0, d, 1.0) - lead,
            np.where(position >= minimum, np.inf, -np.inf),
        )
    no_need = t_order > horizon
    buy_now = t_order < 1
    deadline = np.where(np.isfinite(t_order), np.clip(np.floor(t_order), 0, horizon), 0).astype(
        np.int64
    )

    # Cheapest day of the window for trusted models.
    prices = yhat.copy()
    prices[:, 0] = p0
    ks = np.arange(horizon + 1)
    in_window = ks[None, :] <= deadline[:, None]
    candidate = np.where(in_window & np.isfinite(prices) & trusted[:, None], prices, np.inf)
    candidate[:, 0] = p0
    k_best = np.argmin(candidate, axis=1)
    best = candidate[np.arange(n), k_best]
    future_only = candidate.copy()
    future_only[:, 0] = np.inf
    cheapest_future = future_only.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        drop_share = (p0 - best) / p0
        rise_share = (cheapest_future - p0) / p0

    def quantity_at(k: np.ndarray) -> np.ndarray:
        q = np.where(
            d > 0,
            reorder + d * (k + lead + horizon) - position,
            np.clip(minimum - position, 0.0, None),
        )
        return round_quantity(q, units)

    q_wait = quantity_at(k_best)
    wait_saving = (p0 - best) * q_wait
    flexible = ~no_need & ~buy_now
    wait = (
        flexible
        & trusted
        & (k_best > 0)
        & (drop_share >= settings.min_saving_share)
        & (wait_saving >= settings.min_saving_brl)
    )
    # Buying early for a price rise only when the order is worth placing (at least
    # ``min_order_days`` of use), not to top up a few units.
    q_now = quantity_at(np.zeros(n, dtype=np.int64))
    rise = (
        flexible
        & trusted
        & ~wait
        & np.isfinite(rise_share)
        & (rise_share >= settings.min_rise_share)
        & (q_now >= d * settings.min_order_days)
    )
    action = np.select(
        [no_need, buy_now | rise, wait], ["no_need", "buy_now", "wait_until"], default="buy_by"
    ).astype(object)
    k_action = np.select([action == "buy_now", action == "wait_until"], [0, k_best], deadline)
    quantity = np.where(action == "no_need", 0.0, quantity_at(k_action))
    expected = np.where(
        action == "no_need",
        np.nan,
        np.where(
            trusted & (k_action > 0),
            prices[np.arange(n), k_action],
            p0,
        ),
    )
    expected = np.where(np.isfinite(expected) | (action == "no_need"), expected, p0)
    saving = np.where(action == "no_need", 0.0, (p0 - expected) * quantity)
    with np.errstate(invalid="ignore", divide="ignore"):
        saving_pct = np.where(action == "no_need", 0.0, (p0 - expected) / p0)
    action_ord = np.where(action == "no_need", -1, as_of.toordinal() + k_action)
    action_date = np.array(
        [None if o < 0 else dt.date.fromordinal(int(o)) for o in action_ord], dtype=object
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(d > 0, np.clip(position, 0.0, None) / np.where(d > 0, d, 1.0), np.inf)
    urgency = np.where(np.isfinite(t_order), t_order, np.nan)

    reasons = [
        _reason(
            action=action[i],
            trusted=bool(trusted[i]),
            note=model_note[i],
            rise=bool(rise[i]),
            unit=units[i],
            quantity=float(quantity[i]),
            cover=float(cover[i]),
            position=float(position[i]),
            minimum=float(minimum[i]),
            lead=int(lead[i]),
            use=float(d[i]),
            p0=float(p0[i]),
            expected=float(expected[i]),
            drop=float(drop_share[i]),
            rise_share=float(rise_share[i]),
            saving=float(saving[i]),
            date=action_date[i],
            deadline=dt.date.fromordinal(as_of.toordinal() + int(deadline[i])),
            horizon=horizon,
            from_market=bool(from_market[i]),
        )
        for i in range(n)
    ]
    return pd.DataFrame(
        {
            "sku": skus,
            "name": products["name"].astype(str).to_numpy(dtype=object)
            if "name" in products.columns
            else skus,
            "category": products["category"].astype(str).to_numpy(dtype=object)
            if "category" in products.columns
            else np.full(n, None, dtype=object),
            "unit": units,
            "as_of": np.full(n, as_of, dtype=object),
            "action": action,
            "action_date": action_date,
            "suggested_quantity": quantity,
            "expected_unit_price": np.round(expected, 4),
            "price_today": np.round(p0, 4),
            "price_source": price_source.astype(object),
            "expected_saving": np.round(saving, 2),
            "expected_saving_pct": saving_pct,
            "urgency_days": np.round(urgency, 1),
            "days_of_cover": np.round(np.where(np.isfinite(cover), cover, np.nan), 1),
            "daily_consumption": d,
            "daily_consumption_std": s,
            "stock_position": position,
            "reorder_level": reorder,
            "trusted_model": trusted,
            "model_note": model_note.astype(object),
            "reason": np.array(reasons, dtype=object),
        },
        columns=RECOMMENDATION_COLUMNS,
    )


def _reason(
    *,
    action: str,
    trusted: bool,
    note: str,
    rise: bool,
    unit: str,
    quantity: float,
    cover: float,
    position: float,
    minimum: float,
    lead: int,
    use: float,
    p0: float,
    expected: float,
    drop: float,
    rise_share: float,
    saving: float,
    date: dt.date | None,
    deadline: dt.date,
    horizon: int,
    from_market: bool,
) -> str:
    """One sentence in Portuguese a buyer understands."""
    qty = quantity_text(quantity, unit)
    price = format_brl(p0)
    if not from_market:
        price = f"{price} ({REFERENCE_PRICE_NOTE})"
    if action == "no_need":
        if use <= 0:
            text = "Sem consumo recente e estoque no mínimo ou acima; não é preciso comprar agora."
        else:
            text = (
                f"Estoque cobre {_days_text(cover)}, além do prazo de entrega ({lead} dias) "
                f"e do horizonte de {horizon} dias; não é preciso comprar agora."
            )
    elif action == "wait_until":
        text = (
            f"Estoque cobre {_days_text(cover)} e o preço deve cair "
            f"{format_pct(drop)} até {format_date_br(date)}; espere até lá e compre {qty} "
            f"(economia esperada de {format_brl(saving)})."
        )
    elif action == "buy_now" and rise:
        text = (
            f"O preço deve subir ao menos {format_pct(rise_share)} até "
            f"{format_date_br(deadline)}, quando o estoque precisa de reposição; "
            f"compre {qty} agora a {price}."
        )
    elif action == "buy_now":
        if use <= 0:
            text = (
                f"Estoque ({quantity_text(position, unit)}) abaixo do mínimo "
                f"({quantity_text(minimum, unit)}) e sem consumo recente; compre {qty} agora "
                f"para repor o mínimo, a {price}."
            )
        elif position < minimum:
            text = (
                f"Estoque ({quantity_text(position, unit)}) já está abaixo do mínimo "
                f"({quantity_text(minimum, unit)}); compre {qty} agora a {price}."
            )
        else:
            text = (
                f"Estoque cobre só {_days_text(cover)} e chega ao mínimo antes de uma "
                f"entrega pedida hoje (prazo de {lead} dias); compre {qty} agora a {price}."
            )
    else:  # buy_by
        if trusted:
            text = (
                f"Estoque cobre {_days_text(cover)} e não há queda de preço relevante "
                f"prevista; compre {qty} até {format_date_br(date)} (prazo de entrega de "
                f"{lead} dias), hoje a {price}."
            )
        else:
            text = (
                f"Estoque cobre {_days_text(cover)}; compre {qty} até "
                f"{format_date_br(date)} (prazo de entrega de {lead} dias), hoje a {price}."
            )
    if trusted:
        return text
    prefix = {
        "not_beating_baselines": UNTRUSTED_MODEL_NOTE,
        "no_model": NO_MODEL_NOTE,
        "no_forecast": NO_FORECAST_NOTE,
    }.get(note)
    if prefix is None:
        return text
    return f"{prefix[:-1]} — {text[0].lower()}{text[1:]}"


def opportunity_key(sku: str, window_start: Any) -> str:
    """Deterministic key of the one e-mail per product and price window."""
    moment = pd.Timestamp(window_start)
    return f"opportunity:{sku}:{moment:%Y-%m-%dT%H:%M}"


def opportunities(
    new_prices_df: pd.DataFrame,
    forecasts_df: pd.DataFrame,
    recommendations_df: pd.DataFrame,
    settings: RecommendationSettings | None = None,
) -> pd.DataFrame:
    """New observed prices below the forecast's lower bound by more than the margin, for
    products that will be bought within the horizon (recommendation not ``no_need``).

    ``new_prices_df``: sku, price, window_start (the forecast row of the window's day is
    used; a window whose day the forecast does not cover raises nothing). Returns
    :data:`OPPORTUNITY_COLUMNS`, one row per (sku, window_start), sorted by discount.
    ``expected_saving`` is ``(yhat - price) * suggested_quantity``: buying the suggested
    quantity at the observed price instead of the expected price.
    """
    settings = settings or RecommendationSettings()
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in OPPORTUNITY_COLUMNS})
    if new_prices_df.empty or forecasts_df.empty or recommendations_df.empty:
        return empty
    prices = new_prices_df[["sku", "price", "window_start"]].copy()
    prices["sku"] = prices["sku"].astype(str)
    prices["window_start"] = pd.to_datetime(prices["window_start"])
    prices["_day"] = prices["window_start"].dt.normalize().astype("datetime64[ns]")
    fc = forecasts_df
    if "kind" in fc.columns:
        fc = fc[fc["kind"] == "future"]
    fc = fc[["sku", "ds", "yhat", "yhat_lower", "yhat_upper"]].copy()
    fc["sku"] = fc["sku"].astype(str)
    fc["_day"] = pd.to_datetime(fc["ds"]).dt.normalize().astype("datetime64[ns]")
    fc = fc.drop(columns="ds").drop_duplicates(["sku", "_day"], keep="last")
    recs = recommendations_df[
        ["sku", "name", "unit", "action", "action_date", "suggested_quantity"]
    ].copy()
    recs["sku"] = recs["sku"].astype(str)
    merged = prices.merge(fc, on=["sku", "_day"], how="inner").merge(recs, on="sku", how="inner")
    lower = merged["yhat_lower"].astype(float)
    price = merged["price"].astype(float)
    hit = (
        lower.notna()
        & (price < lower * (1.0 - settings.opportunity_margin))
        & (merged["action"] != "no_need")
    )
    merged = merged[hit].copy()
    if merged.empty:
        return empty
    merged["below_lower_pct"] = 1.0 - merged["price"] / merged["yhat_lower"]
    merged["below_yhat_pct"] = 1.0 - merged["price"] / merged["yhat"]
    merged["expected_saving"] = (
        (merged["yhat"] - merged["price"]) * merged["suggested_quantity"]
    ).round(2)
    merged["notification_key"] = [
        opportunity_key(s, w) for s, w in zip(merged["sku"], merged["window_start"], strict=True)
    ]
    merged = merged.sort_values(
        ["below_lower_pct", "sku", "window_start"], ascending=[False, True, True]
    ).drop_duplicates("notification_key")
    return merged[OPPORTUNITY_COLUMNS].reset_index(drop=True)


def recommendation_counts(recommendations_df: pd.DataFrame) -> Mapping[str, int]:
    """Products per action (every action present, zeros included) for asset metadata."""
    counts = recommendations_df["action"].value_counts()
    return {a: int(counts.get(a, 0)) for a in ACTIONS}
