"""Buying recommendations: what to buy, when, how much, and why — one row per active product.

Inputs per product: the stock position ``S`` (current stock plus ``on_order``, deliveries
already ordered), the minimum stock ``M``, the lead time ``L`` days, the expected daily use
``d`` with its day-to-day standard deviation ``s`` (see
:mod:`procurement_pipeline.lib.consumption.estimate`), today's observed price ``p0`` (the
catalog's reference price when no market price was ever observed) and, when the product's
model is trustworthy, the price forecast ``yhat[k]`` (with its interval) for the next ``H``
days (``horizon_days``, 30). Stock costs money to hold: ``holding_cost_rate`` a year (25 %:
capital, storage, insurance, losses), i.e. ``c = rate / 365`` of its price per day.

:func:`recommend` runs six stages, each a function of its own (tested on its own):

1. **Position** (:func:`stock_position`): stock + on order, minimum, lead time, unit.
2. **Expected use** (:func:`expected_use`): ``d`` and ``s`` per product (0 when unknown).
3. **Price outlook** (:func:`price_outlook`): ``p0``, the forecast path ``price[0] = p0``,
   ``price[k] = yhat[k]``, and whether it is trusted: a trained model that beats both the
   naive and the seasonal-naive baselines on its holdout, a forecast for the window and a
   market price today. Otherwise the price plays no part (stock rule at today's price, and
   the reason says why). Its *normal level* is the median of ``yhat`` (and of
   ``yhat_lower``) over the horizon. Beside it, the *expected* path ``expected[k]`` (the
   model's ``yhat_expected``: the mean of the series' own recent k-day price changes), known
   for any trained model with a market price today: a purchase costs the mean price, and for
   a price that holds for weeks and then steps up the median forecast (``yhat``, what the
   trust rule judges) says "it holds" while the expectation rises.
4. **Action** (:func:`order_window`, :func:`choose_action`):

   * reorder level ``R = M + SS``, safety stock ``SS = z * s * sqrt(L)`` (``safety_z`` 1.28:
     the lead time's use is exceeded about one time in ten);
   * latest safe order day ``T = (S - R) / d - L`` days from today (``urgency_days``):
     ordered then, the delivery arrives as the position reaches ``R``;
   * **no need** when ``T > H``; **buy now** when ``T < 1`` (an order tomorrow is late);
   * otherwise the order window is today to ``K = floor(T)``. With a trusted forecast each
     day ``k`` of the window costs ``price[k] * (1 + c * (K - k))`` — its price plus holding
     the stock ``K - k`` days longer than an order on the deadline — and the cheapest ``k*``
     is the candidate:

     - **wait until** ``k*`` when ``price[k*]`` is at least ``min_saving_share`` (2 %) below
       ``p0`` and the saving ``(p0 - price[k*]) * Q`` is at least ``min_saving_brl``;
     - **buy now** (ahead of need) when today is the cheapest day and an order on the
       deadline would cost at least ``min_rise_share`` (3 %) of today's price more *with the
       holding cost included* (a rise, in a step or gradual, beyond the cost of holding the
       stock), and the order is worth placing (at least ``min_order_days``, 7, of use);
     - **buy now** ahead of an *expected* rise (any trained model, trusted or not, and no
       trusted forecast of a fall or of a cheaper later day): when
       ``expected[K] - p0 * (1 + c * K)``, the expected deadline price against today's with
       the holding cost, is at least ``min_rise_share`` of ``p0``, with the same minimum
       order; the reason says the rise is the recent trend's, not a forecast's;
     - **buy by** ``k*`` (before a rise later in the window) when ``k*`` is a later day and
       saves the same ``min_rise_share`` against the deadline;
     - **buy by** ``K`` otherwise (no price move worth acting on).
   * **opportunity**: today's price more than ``opportunity_margin`` (5 %) below the normal
     lower bound (``p0 < median(yhat_lower) * (1 - margin)``, the rule of the opportunity
     e-mail) and the normal level pays for holding the extra stock until it would otherwise
     be bought (``H`` days later, or ``T`` for a product with no need yet): **buy now**, the
     regular quantity plus an extra.
5. **Quantity** (:func:`order_quantity`) for an order on day ``k``: enough to keep the
   position at or above the reorder level through the lead time and the horizon after it,
   ``Q = R + d * (k + L + H) - S`` (at least 0; when nothing is used, what restores the
   minimum), rounded up to whole items (unidade, caixa, ...) or to 0.1 (metro, kg, litro,
   m³). On an opportunity, an extra of up to ``extra_cover_days`` (30) of use, never past
   ``max_cover_days`` (120) of use above the reorder level (the stock limit) and, across the
   list, never costing more than ``extra_budget`` (the budget limit, best discounts first;
   no limit when unset); the extra is rounded down so both limits hold.
6. **Reason** (:func:`~procurement_pipeline.lib.recommendations.messages.reason_text`): one
   sentence in Portuguese with the numbers behind the action.

**Expected unit price** is the price expected on the action date (``p0`` today; ``yhat`` on a
later date with a trusted model; ``p0`` otherwise). **Expected saving**: waiting, against
buying the same quantity now; buying ahead of a rise, against buying on the deadline, holding
included; the extra of an opportunity, against buying it later at the normal
level, holding included.

All of it is numpy over the products (3,000 products in a few tens of milliseconds); only the
reason sentences are built in a Python loop.

Opportunities (:func:`opportunities`): a newly observed price below the forecast's lower
bound by more than ``opportunity_margin`` (``price < yhat_lower * (1 - margin)``) for a product
whose recommendation is not ``no_need`` (it will be bought within the horizon) raises an
alert keyed ``opportunity:{sku}:{window_start:%Y-%m-%dT%H:%M}`` so it is e-mailed once.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from procurement_pipeline.lib.dates import day_ordinals, to_day
from procurement_pipeline.lib.recommendations.messages import (
    NO_MODEL_NOTE,
    UNTRUSTED_MODEL_NOTE,
    AdviceFacts,
    quantity_text,
    reason_text,
)
from procurement_pipeline.lib.recommendations.units import (
    WHOLE_UNITS,
    round_quantity,
    round_quantity_down,
)
from procurement_pipeline.lib.settings import DEFAULT_HOLDING_COST_RATE, DEFAULT_OPPORTUNITY_MARGIN

# Re-exported: callers import these from the engine.
__all__ = [
    "ACTIONS",
    "NO_MODEL_NOTE",
    "OPPORTUNITY_COLUMNS",
    "RECOMMENDATION_COLUMNS",
    "UNTRUSTED_MODEL_NOTE",
    "WHOLE_UNITS",
    "RecommendationSettings",
    "opportunities",
    "opportunity_key",
    "quantity_text",
    "recommend",
    "recommendation_counts",
    "round_quantity",
]

ACTIONS = ("buy_now", "buy_by", "wait_until", "no_need")
# What moved the date or the quantity away from the stock rule's deadline.
SIGNALS = ("stock", "rise", "fall", "opportunity", "none")

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
    # normal | low (no consumption history: the use is the one the minimum stock implies)
    "confidence",
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
    opportunity_margin: float = DEFAULT_OPPORTUNITY_MARGIN
    # Yearly cost of holding stock, as a share of its price (capital, storage, losses).
    holding_cost_rate: float = DEFAULT_HOLDING_COST_RATE
    extra_cover_days: float = 30.0
    max_cover_days: float = 120.0
    extra_budget: float | None = None
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
        if not 0 <= self.holding_cost_rate <= 5:
            raise ValueError("holding_cost_rate must be a yearly share in [0, 5]")
        if self.extra_cover_days < 0 or self.max_cover_days < 0:
            raise ValueError("extra_cover_days and max_cover_days must not be negative")
        if self.extra_budget is not None and self.extra_budget < 0:
            raise ValueError("extra_budget must not be negative")

    @property
    def holding_per_day(self) -> float:
        return self.holding_cost_rate / 365.0


def _bool_column(frame: pd.DataFrame, name: str, default: bool) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), default)
    col = frame[name]
    return np.array([default if v is None or v is pd.NA or v != v else bool(v) for v in col])


def _by_sku(sku_index: pd.Index, frame: pd.DataFrame, column: str, fill: float) -> np.ndarray:
    """``frame[column]`` aligned on ``sku_index`` (``fill`` for SKUs the frame lacks)."""
    out = np.full(len(sku_index), fill, dtype=float)
    if len(frame):
        pos = sku_index.get_indexer(frame["sku"].astype(str))
        ok = pos >= 0
        out[pos[ok]] = frame[column].to_numpy(dtype=float)[ok]
    return out


# --------------------------------------------------------------------------- 1. position


@dataclass(frozen=True)
class Position:
    """The active products and their stock position (arrays in the products' order)."""

    products: pd.DataFrame  # the active rows, index 0..n-1
    skus: np.ndarray
    units: np.ndarray
    stock: np.ndarray
    on_order: np.ndarray
    minimum: np.ndarray
    lead: np.ndarray
    reference_price: np.ndarray

    @property
    def position(self) -> np.ndarray:
        return self.stock + self.on_order

    @property
    def sku_index(self) -> pd.Index:
        return pd.Index(self.skus)


def stock_position(products_df: pd.DataFrame) -> Position:
    """Active products (``active`` column, default active) with stock, on order, minimum,
    lead time, unit and reference price."""
    products = products_df
    if "active" in products.columns:
        products = products[_bool_column(products, "active", True)]
    products = products.reset_index(drop=True)
    n = len(products)
    on_order = (
        products["on_order"].fillna(0).to_numpy(dtype=float)
        if "on_order" in products.columns
        else np.zeros(n)
    )
    return Position(
        products=products,
        skus=products["sku"].astype(str).to_numpy(dtype=object),
        units=products["unit"].astype(str).to_numpy(dtype=object),
        stock=products["current_stock"].to_numpy(dtype=float),
        on_order=on_order,
        minimum=products["minimum_stock"].to_numpy(dtype=float),
        lead=products["lead_time_days"].to_numpy(dtype=float),
        reference_price=products["reference_price"].to_numpy(dtype=float),
    )


# --------------------------------------------------------------------------- 2. expected use


@dataclass(frozen=True)
class ExpectedUse:
    daily: np.ndarray  # expected use per day (0 when unknown)
    std: np.ndarray  # its day-to-day standard deviation
    measured: np.ndarray  # from a consumption history (False: implied by the minimum stock)


def expected_use(consumption_df: pd.DataFrame, sku_index: pd.Index) -> ExpectedUse:
    """``daily_mean`` / ``daily_std`` per product; products without a row use nothing. A
    ``measured`` column (lib.consumption.use_for_advice) says which uses come from a
    consumption history; without it every use does."""
    daily = _by_sku(sku_index, consumption_df, "daily_mean", 0.0)
    std = _by_sku(sku_index, consumption_df, "daily_std", 0.0)
    if "measured" in consumption_df.columns:
        flags = consumption_df.assign(measured=consumption_df["measured"].astype(float))
        measured = _by_sku(sku_index, flags, "measured", 0.0) > 0
    else:
        measured = np.ones(len(sku_index), dtype=bool)
    return ExpectedUse(
        daily=np.nan_to_num(np.clip(daily, 0.0, None)),
        std=np.nan_to_num(np.clip(std, 0.0, None)),
        measured=measured,
    )


# --------------------------------------------------------------------------- 3. price outlook


@dataclass(frozen=True)
class PriceOutlook:
    today: np.ndarray  # p0: the market price, or the catalog's reference price
    from_market: np.ndarray
    path: np.ndarray  # (n, H + 1): column 0 today's price, column k the forecast for day k
    lower: np.ndarray  # (n, H + 1): the forecast's lower bound (column 0 unused)
    trusted: np.ndarray
    note: np.ndarray  # trusted | no_model | not_beating_baselines | no_forecast | reference_price
    normal: np.ndarray  # median forecast over the horizon (NaN when not trusted)
    normal_lower: np.ndarray  # median lower bound over the horizon (NaN when not trusted)
    # (n, H + 1): column 0 today's price, column k the expected (mean) price for day k; NaN
    # where the model gave none.
    expected: np.ndarray
    expected_known: np.ndarray  # a trained model's expected path and a market price today

    @property
    def price_source(self) -> np.ndarray:
        return np.where(self.from_market, "market", "reference").astype(object)


def price_outlook(
    forecasts_df: pd.DataFrame,
    models_df: pd.DataFrame,
    today_prices_df: pd.DataFrame,
    sku_index: pd.Index,
    reference_price: np.ndarray,
    as_of: dt.date,
    settings: RecommendationSettings,
) -> PriceOutlook:
    """Today's price, the forecast path over ``as_of + 1 .. as_of + H`` (with a ``kind``
    column only ``"future"`` rows count) and whether the model behind it is trusted."""
    n, horizon = len(sku_index), settings.horizon_days
    p0 = _by_sku(sku_index, today_prices_df, "price", np.nan)
    from_market = np.isfinite(p0) & (p0 > 0)
    p0 = np.where(from_market, p0, reference_price)

    path = np.full((n, horizon + 1), np.nan)
    lower = np.full((n, horizon + 1), np.nan)
    expected = np.full((n, horizon + 1), np.nan)
    fc = forecasts_df
    if len(fc) and "kind" in fc.columns:
        fc = fc[fc["kind"] == "future"]
    if len(fc):
        rows = sku_index.get_indexer(fc["sku"].astype(str))
        cols = day_ordinals(fc["ds"].to_numpy()) - as_of.toordinal()
        ok = (rows >= 0) & (cols >= 1) & (cols <= horizon)
        for target, column in ((path, "yhat"), (lower, "yhat_lower"), (expected, "yhat_expected")):
            if column in fc.columns:
                target[rows[ok], cols[ok]] = fc[column].to_numpy(dtype=float)[ok]
    has_forecast = np.isfinite(path[:, 1:]).any(axis=1)
    path[:, 0] = p0
    # Any day will do, like the forecast: a model anchored before today covers fewer days of
    # the window, and the rule reads only the deadline's (NaN there: no buy-ahead).
    has_expected = np.isfinite(expected[:, 1:]).any(axis=1)
    expected[:, 0] = p0

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
    expected_known = trained & has_expected & from_market
    note = np.select(
        [trusted, ~trained, ~good, ~has_forecast],
        ["trusted", "no_model", "not_beating_baselines", "no_forecast"],
        default="reference_price",
    ).astype(object)
    # "All-NaN slice" warnings are expected for products without a forecast.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        normal = np.where(trusted, np.nanmedian(path[:, 1:], axis=1), np.nan)
        normal_lower = np.where(trusted, np.nanmedian(lower[:, 1:], axis=1), np.nan)
    return PriceOutlook(
        today=p0,
        from_market=from_market,
        path=path,
        lower=lower,
        trusted=trusted,
        note=note,
        normal=normal,
        normal_lower=normal_lower,
        expected=expected,
        expected_known=expected_known,
    )


# --------------------------------------------------------------------------- 4. action


@dataclass(frozen=True)
class OrderWindow:
    reorder_level: np.ndarray
    latest_order_day: np.ndarray  # T, days from today (inf / -inf without use)
    deadline: np.ndarray  # K = floor(T) clipped to 0..H (int)
    no_need: np.ndarray  # T > H
    late: np.ndarray  # T < 1


def order_window(
    position: Position, use: ExpectedUse, settings: RecommendationSettings
) -> OrderWindow:
    """The stock rule: reorder level, latest safe order day, deadline."""
    horizon = settings.horizon_days
    reorder = position.minimum + settings.safety_z * use.std * np.sqrt(position.lead)
    d = use.daily
    with np.errstate(divide="ignore", invalid="ignore"):
        latest = np.where(
            d > 0,
            (position.position - reorder) / np.where(d > 0, d, 1.0) - position.lead,
            np.where(position.position >= position.minimum, np.inf, -np.inf),
        )
    deadline = np.where(np.isfinite(latest), np.clip(np.floor(latest), 0, horizon), 0)
    return OrderWindow(
        reorder_level=reorder,
        latest_order_day=latest,
        deadline=deadline.astype(np.int64),
        no_need=latest > horizon,
        late=latest < 1,
    )


def regular_quantity(
    position: Position,
    use: ExpectedUse,
    window: OrderWindow,
    day: np.ndarray,
    settings: RecommendationSettings,
) -> np.ndarray:
    """What an order on ``day`` needs: the position stays at or above the reorder level
    through the lead time and the horizon after it (no use: what restores the minimum)."""
    q = np.where(
        use.daily > 0,
        window.reorder_level
        + use.daily * (day + position.lead + settings.horizon_days)
        - position.position,
        np.clip(position.minimum - position.position, 0.0, None),
    )
    return round_quantity(q, position.units)


@dataclass(frozen=True)
class Decision:
    action: np.ndarray  # ACTIONS
    day: np.ndarray  # days from today of the action (the deadline for no_need)
    signal: np.ndarray  # SIGNALS
    drop_share: np.ndarray  # (p0 - price[k*]) / p0
    # Buying now: the cheapest later day of the window / p0 - 1; buying by a day before a
    # rise: the deadline's price / that day's - 1 (holding not included).
    rise_share: np.ndarray
    rise_holding_share: np.ndarray  # holding the stock bought ahead until the deadline
    rise_from_trend: np.ndarray  # the rise is the expected path's, not the trusted forecast's
    opportunity_wait: np.ndarray  # days the extra would otherwise wait to be bought


def choose_action(
    position: Position,
    use: ExpectedUse,
    outlook: PriceOutlook,
    window: OrderWindow,
    settings: RecommendationSettings,
) -> Decision:
    """Buy now, wait until the cheapest day, buy by the deadline or no need (module
    docstring, stage 4)."""
    n, horizon, c = len(position.skus), settings.horizon_days, settings.holding_per_day
    p0, path, trusted = outlook.today, outlook.path, outlook.trusted
    deadline = window.deadline
    ks = np.arange(horizon + 1)
    in_window = (ks[None, :] <= deadline[:, None]) & np.isfinite(path) & trusted[:, None]
    in_window[:, 0] = True
    # Each day's price plus holding the stock until the deadline.
    cost = np.where(in_window, path * (1.0 + c * (deadline[:, None] - ks[None, :])), np.inf)
    k_best = np.argmin(cost, axis=1)
    rows = np.arange(n)
    best = path[rows, k_best]
    with np.errstate(invalid="ignore", divide="ignore"):
        drop_share = (p0 - best) / p0

    flexible = ~window.no_need & ~window.late
    q_best = regular_quantity(position, use, window, k_best, settings)
    wait = (
        flexible
        & trusted
        & (k_best > 0)
        & (drop_share >= settings.min_saving_share)
        & ((p0 - best) * q_best >= settings.min_saving_brl)
    )
    # The stock rule's own plan is an order on the deadline: the forecast moves it to the
    # cheapest day (holding included) when that saves at least min_rise_share of today's
    # price against the deadline, whether the rise is a step or gradual.
    rows_k = path[rows, deadline]
    with np.errstate(invalid="ignore", divide="ignore"):
        later_rise_share = rows_k / best - 1.0
        deadline_saving = (cost[rows, deadline] - cost[rows, k_best]) / p0
    # Buying ahead of a rise only when the order is worth placing (at least
    # ``min_order_days`` of use), not to top up a few units.
    q_now = regular_quantity(position, use, window, np.zeros(n, dtype=np.int64), settings)
    rise = (
        flexible
        & trusted
        & ~wait
        & (k_best == 0)
        & np.isfinite(deadline_saving)
        & (deadline_saving >= settings.min_rise_share)
        & (q_now >= use.daily * settings.min_order_days)
    )
    rise_later = (
        flexible
        & trusted
        & ~wait
        & ~rise
        & (k_best > 0)
        & (k_best < deadline)
        & (deadline_saving >= settings.min_rise_share)
    )
    # Ahead of the expected rise: the deadline's expected price against today's, holding
    # included; a trusted forecast of a fall or of a cheaper later day goes first.
    expected_deadline = outlook.expected[rows, deadline]
    with np.errstate(invalid="ignore", divide="ignore"):
        expected_saving = (expected_deadline - p0 * (1.0 + c * deadline)) / p0
    rise_from_trend = (
        flexible
        & outlook.expected_known
        & ~wait
        & ~rise
        & ~rise_later
        & np.isfinite(expected_saving)
        & (expected_saving >= settings.min_rise_share)
        & (q_now >= use.daily * settings.min_order_days)
    )
    rise |= rise_from_trend
    # Extra stock bought today would otherwise be bought with the next order: a horizon
    # later, or at the latest safe order day for a product with no need yet.
    wait_days = np.where(window.no_need, np.clip(window.latest_order_day, 0.0, 1e6), float(horizon))
    with np.errstate(invalid="ignore", divide="ignore"):
        pays_holding = outlook.normal > p0 * (1.0 + c * wait_days)
    opportunity = (
        trusted
        & (use.daily > 0)
        & (p0 < outlook.normal_lower * (1.0 - settings.opportunity_margin))
        & pays_holding
    )
    action = np.select(
        [opportunity | window.late | rise, window.no_need, wait],
        ["buy_now", "no_need", "wait_until"],
        default="buy_by",
    ).astype(object)
    signal = np.select(
        [opportunity, rise | rise_later, wait, window.late | window.no_need, trusted],
        ["opportunity", "rise", "fall", "stock", "none"],
        default="stock",
    ).astype(object)
    day = np.select(
        [action == "buy_now", (action == "wait_until") | rise_later], [0, k_best], deadline
    )
    return Decision(
        action=action,
        day=day.astype(np.int64),
        signal=signal,
        drop_share=drop_share,
        # The rise the buyer avoids: to the deadline's price, from the day bought.
        rise_share=np.where(rise_from_trend, expected_deadline / p0 - 1.0, later_rise_share),
        rise_holding_share=c * np.where(rise_later, deadline - k_best, deadline),
        rise_from_trend=rise_from_trend,
        opportunity_wait=wait_days,
    )


# --------------------------------------------------------------------------- 5. quantity


@dataclass(frozen=True)
class OrderQuantity:
    regular: np.ndarray  # what the stock rule needs for an order on the action day
    extra: np.ndarray  # bought ahead on an opportunity, within the stock and budget limits
    extra_limit: np.ndarray  # "" | "stock" | "budget": which limit cut the extra

    @property
    def total(self) -> np.ndarray:
        return self.regular + self.extra


def order_quantity(
    position: Position,
    use: ExpectedUse,
    outlook: PriceOutlook,
    window: OrderWindow,
    decision: Decision,
    settings: RecommendationSettings,
) -> OrderQuantity:
    """Regular quantity for the action day, plus the extra of an opportunity (module
    docstring, stage 5)."""
    d, p0 = use.daily, outlook.today
    needed = decision.action != "no_need"
    regular = np.where(
        needed & (window.latest_order_day <= settings.horizon_days),
        regular_quantity(position, use, window, decision.day, settings),
        0.0,
    )
    opportunity = decision.signal == "opportunity"
    # Up to extra_cover_days of use beyond the regular order's cover (orders are today).
    after = position.position + regular
    horizon_cover = window.reorder_level + d * (position.lead + settings.horizon_days)
    wanted = np.clip(horizon_cover + d * settings.extra_cover_days - after, 0.0, None)
    room = np.clip(window.reorder_level + d * settings.max_cover_days - after, 0.0, None)
    extra = np.where(opportunity, np.minimum(wanted, room), 0.0)
    limit = np.where(opportunity & (room < wanted), "stock", "").astype(object)
    # Without a regular order, a purchase for the extra alone must be worth placing.
    extra = np.where((regular > 0) | (extra >= d * settings.min_order_days), extra, 0.0)
    extra = round_quantity_down(extra, position.units)
    if settings.extra_budget is not None and (extra > 0).any():
        with np.errstate(invalid="ignore", divide="ignore"):
            discount = np.where(extra > 0, 1.0 - p0 / outlook.normal, -np.inf)
        order = np.argsort(-discount, kind="stable")
        cost = (extra * p0)[order]
        spent_before = np.cumsum(cost) - cost
        allowed = np.clip(settings.extra_budget - spent_before, 0.0, cost)
        capped = np.zeros_like(extra)
        with np.errstate(invalid="ignore", divide="ignore"):
            capped[order] = np.where(cost > 0, allowed / p0[order], 0.0)
        capped = round_quantity_down(np.minimum(capped, extra), position.units)
        limit = np.where(capped < extra - 1e-9, "budget", limit).astype(object)
        extra = capped
    return OrderQuantity(regular=regular, extra=extra, extra_limit=limit)


# --------------------------------------------------------------------------- the list


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
    * ``consumption_df``: sku, daily_mean, daily_std (missing products: no use); optional
      ``measured`` (False: no consumption history, the advice says so with low confidence).
    * ``forecasts_df``: sku, ds, yhat, yhat_lower, yhat_upper (rows outside ``as_of + 1 ..
      as_of + horizon`` are ignored; with a ``kind`` column only ``"future"`` rows count).
    * ``models_df``: sku, status, beats_naive, beats_seasonal_naive.
    * ``today_prices_df``: sku, price, observed_day (the latest observed daily price).
    """
    settings = settings or RecommendationSettings()
    as_of = to_day(as_of)
    position = stock_position(products_df)
    use = expected_use(consumption_df, position.sku_index)
    outlook = price_outlook(
        forecasts_df,
        models_df,
        today_prices_df,
        position.sku_index,
        position.reference_price,
        as_of,
        settings,
    )
    window = order_window(position, use, settings)
    decision = choose_action(position, use, outlook, window, settings)
    quantity = order_quantity(position, use, outlook, window, decision, settings)
    # An opportunity with nothing left to buy within the limits leaves the stock rule's
    # verdict (no need yet) standing.
    nothing = (decision.signal == "opportunity") & (quantity.total <= 0) & window.no_need
    action = np.where(nothing, "no_need", decision.action).astype(object)
    signal = np.where(nothing, "stock", decision.signal).astype(object)
    return _frame(position, use, outlook, window, decision, quantity, action, signal, as_of,
                  settings)  # fmt: skip


def _frame(
    position: Position,
    use: ExpectedUse,
    outlook: PriceOutlook,
    window: OrderWindow,
    decision: Decision,
    quantity: OrderQuantity,
    action: np.ndarray,
    signal: np.ndarray,
    as_of: dt.date,
    settings: RecommendationSettings,
) -> pd.DataFrame:
    """Prices, savings, dates and reasons of the decided actions, as the output frame."""
    n, c = len(position.skus), settings.holding_per_day
    rows = np.arange(n)
    p0, k = outlook.today, decision.day
    no_need = action == "no_need"
    total = np.where(no_need, 0.0, quantity.total)
    expected = np.where(outlook.trusted & (k > 0), outlook.path[rows, k], p0)
    expected = np.where(np.isfinite(expected), expected, p0)
    expected = np.where(no_need, np.nan, expected)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Buying ahead of a rise: against the later price, holding included.
        rise_saving = (
            expected * (decision.rise_share - decision.rise_holding_share) * quantity.regular
        )
        regular_saving = np.where(signal == "rise", rise_saving, (p0 - expected) * quantity.regular)
        extra_saving = (
            outlook.normal - p0 * (1.0 + c * decision.opportunity_wait)
        ) * quantity.extra
        saving = np.where(no_need, 0.0, regular_saving + np.nan_to_num(extra_saving))
        saving_pct = np.where(total > 0, saving / (p0 * total), 0.0)
        below_normal = 1.0 - p0 / outlook.normal
        cover = np.where(
            use.daily > 0,
            np.clip(position.position, 0.0, None) / np.where(use.daily > 0, use.daily, 1.0),
            np.inf,
        )
    action_ord = np.where(no_need, -1, as_of.toordinal() + k)
    action_date = np.array(
        [None if o < 0 else dt.date.fromordinal(int(o)) for o in action_ord], dtype=object
    )
    latest = window.latest_order_day
    reasons = [
        reason_text(
            AdviceFacts(
                action=action[i],
                signal=signal[i],
                trusted=bool(outlook.trusted[i]),
                note=outlook.note[i],
                unit=position.units[i],
                quantity=float(total[i]),
                extra_quantity=float(quantity.extra[i]),
                extra_limit=quantity.extra_limit[i],
                cover_days=float(cover[i]),
                position=float(position.position[i]),
                minimum=float(position.minimum[i]),
                lead_days=int(position.lead[i]),
                daily_use=float(use.daily[i]),
                price_today=float(p0[i]),
                from_market=bool(outlook.from_market[i]),
                expected_price=float(expected[i]),
                drop_share=float(decision.drop_share[i]),
                rise_share=float(decision.rise_share[i]),
                rise_from_trend=bool(decision.rise_from_trend[i]),
                holding_share=float(
                    c * decision.opportunity_wait[i]
                    if signal[i] == "opportunity"
                    else decision.rise_holding_share[i]
                ),
                normal_price=float(outlook.normal[i]),
                below_normal_share=float(below_normal[i]),
                saving=float(saving[i]),
                date=action_date[i],
                deadline=dt.date.fromordinal(as_of.toordinal() + int(window.deadline[i])),
                horizon_days=settings.horizon_days,
                max_cover_days=settings.max_cover_days,
                measured_use=bool(use.measured[i]),
            )
        )
        for i in range(n)
    ]
    products = position.products
    return pd.DataFrame(
        {
            "sku": position.skus,
            "name": products["name"].astype(str).to_numpy(dtype=object)
            if "name" in products.columns
            else position.skus,
            "category": products["category"].astype(str).to_numpy(dtype=object)
            if "category" in products.columns
            else np.full(n, None, dtype=object),
            "unit": position.units,
            "as_of": np.full(n, as_of, dtype=object),
            "action": action,
            "action_date": action_date,
            "suggested_quantity": total,
            "expected_unit_price": np.round(expected, 4),
            "price_today": np.round(p0, 4),
            "price_source": outlook.price_source,
            "expected_saving": np.round(saving, 2),
            "expected_saving_pct": saving_pct,
            "urgency_days": np.round(np.where(np.isfinite(latest), latest, np.nan), 1),
            "days_of_cover": np.round(np.where(np.isfinite(cover), cover, np.nan), 1),
            "daily_consumption": use.daily,
            "daily_consumption_std": use.std,
            "stock_position": position.position,
            "reorder_level": window.reorder_level,
            "trusted_model": outlook.trusted,
            "model_note": outlook.note,
            "confidence": np.where(use.measured, "normal", "low").astype(object),
            "reason": np.array(reasons, dtype=object),
        },
        columns=RECOMMENDATION_COLUMNS,
    )


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
