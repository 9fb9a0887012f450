"""Replay a price and consumption history day by day and count what a buying policy spends.

Each product is replayed over its own days (``start`` and ``end`` may differ per product);
each simulated day ``t``:

1. **morning** — orders due today arrive (an order placed on day ``t`` with lead time ``L``
   arrives on the morning of ``t + L``);
2. **during the day** — the day's real consumption is served from stock; what the stock
   cannot serve is unmet demand and the product-day counts as a **stockout** (stock never
   goes below zero);
3. **end of day** — the policy decides with what is known by then: prices observed up to
   ``t`` and consumption up to ``t``. Orders are paid at the day's market price (the last
   observed daily price when the day has none). The stock left on hand costs
   ``holding_cost_rate / 365`` of its value at the day's price (the same rate the engine
   weighs its decisions with).

Policies:

* ``"recommended"`` — calls :func:`~procurement_pipeline.lib.recommendations.recommend` with
  the stock position (stock + on order), the consumption estimate, the forecaster's forecast
  and today's price, and follows it like a buyer would: ``buy_now`` is bought today (the
  suggested quantity, extra included); ``wait_until`` and ``buy_by`` put the purchase in the
  calendar on their date (the cheapest forecast day, the day before a forecast rise, or the
  stock rule's deadline) and on that date it is bought, the quantity the list then gives for
  an order that day. A later advice may bring the date forward, never push it back; a
  ``buy_now`` in between replaces it, a ``no_need`` cancels it;
* ``"naive"`` — reorders when the stock position (stock + on order) is at or below the
  minimum, buying lead time + horizon days of expected use (plus what is missing to the
  minimum) at the day's price.

The same engine without any forecast (the stock rule alone, at today's price) is the
``"recommended"`` policy with :func:`no_forecast`: the difference between the two is what the
forecast itself earns.

**No future data, structurally**: the price history is a wide frame (one row per day, one
column per SKU) and the forecaster receives ``history.iloc[: t + 1]`` (the columns of the
products replayed that day) — a slice that ends today, so no later row exists in what it
gets; consumption is a day-sorted frame and the estimate receives the rows up to today only
(``frame.iloc[:cut]``). Today's price comes from the same slice's last row. Tests wrap the
forecaster to check every call and perturb the future to check decisions up to a day do not
change.

Forecasters: ``forecaster(history) -> forecasts`` or ``(forecasts, models)`` where
``history`` is that wide frame (``DatetimeIndex`` named ``day``, float prices, NaN when a day
has no observation) and ``forecasts`` has sku, ds, yhat, yhat_lower, yhat_upper for the days
after the last row. :class:`RecentLevelForecaster` is cheap (no model fit: 3,000 products x
180 days in well under a minute); :class:`ServedForecaster` trains the served model
(:func:`procurement_pipeline.lib.forecasting.train_many`, what ``product_price_models`` runs)
on each product's history as it stood that day.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from procurement_pipeline.lib.consumption.estimate import expected_consumption
from procurement_pipeline.lib.dates import to_day
from procurement_pipeline.lib.recommendations.engine import (
    RecommendationSettings,
    recommend,
)
from procurement_pipeline.lib.recommendations.units import round_quantity

POLICIES = ("recommended", "naive")
Forecaster = Callable[[pd.DataFrame], "pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]"]
FORECAST_FRAME_COLUMNS = ["sku", "ds", "yhat", "yhat_lower", "yhat_upper", "yhat_expected"]
MODEL_FRAME_COLUMNS = ["sku", "status", "beats_naive", "beats_seasonal_naive"]
ORDER_COLUMNS = ["day", "sku", "quantity", "price", "cost", "arrival_day"]
PRODUCT_RESULT_COLUMNS = [
    "sku",
    "start",
    "end",
    "days",
    "orders",
    "quantity_bought",
    "spend",
    "ending_value",
    "holding_cost",
    "total_cost",
    "demand_quantity",
    "unmet_quantity",
    "stockout_days",
    "min_stock",
    "average_price_paid",
    "mean_price",
]


def daily_prices_from_observations(observations: pd.DataFrame) -> pd.DataFrame:
    """Price observations ``[sku, observed_at, price, ...]`` -> daily median ``[sku, day,
    price]`` (``day`` a ``datetime64`` at midnight; synthetic rows left out)."""
    obs = observations
    if "is_synthetic" in obs.columns:
        obs = obs[~obs["is_synthetic"].astype(bool)]
    frame = pd.DataFrame(
        {
            "sku": obs["sku"].astype(str).to_numpy(),
            "day": pd.to_datetime(obs["observed_at"]).dt.normalize().to_numpy(),
            "price": obs["price"].astype(float).to_numpy(),
        }
    )
    return frame.groupby(["sku", "day"], as_index=False, sort=True)["price"].median()


@dataclass
class RecentLevelForecaster:
    """A cheap, trend-free forecast: the level is the median of the last ``level_days``
    observed daily prices (robust to a promotion or a spike in progress); the 80 % interval
    comes from the spread of the last ``lookback_days`` prices around that level (log
    residuals), widening with the horizon like a random walk. Every product with a price in
    the lookback gets a forecast and is reported as trained and beating both baselines (the
    replay measures the decision rule, not model selection; inject ``models`` to test it)."""

    horizon_days: int = 30
    lookback_days: int = 28
    level_days: int = 7
    interval_z: float = 1.2816
    min_sigma: float = 0.005

    def __call__(self, history: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        today = pd.Timestamp(history.index[-1])
        recent = history.iloc[-self.lookback_days :].to_numpy(dtype=float)
        # "All-NaN slice" warnings are expected for products without prices.
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            level = np.nanmedian(recent[-self.level_days :], axis=0)
            fallback = np.nanmedian(recent, axis=0)
            level = np.where(np.isfinite(level), level, fallback)
            resid = np.log(recent) - np.log(level)[None, :]
            sigma = np.nanstd(resid, axis=0)
        sigma = np.where(np.isfinite(sigma), np.maximum(sigma, self.min_sigma), self.min_sigma)
        ok = np.isfinite(level) & (level > 0)
        skus = np.asarray(history.columns, dtype=object)[ok]
        level, sigma = level[ok], sigma[ok]
        h = np.arange(1, self.horizon_days + 1, dtype=float)
        width = self.interval_z * sigma[:, None] * np.sqrt(1.0 + h[None, :] / self.level_days)
        yhat = np.repeat(level[:, None], self.horizon_days, axis=1)
        days = today + pd.to_timedelta(np.arange(1, self.horizon_days + 1), unit="D")
        forecasts = pd.DataFrame(
            {
                "sku": np.repeat(skus, self.horizon_days),
                "ds": np.tile(days.to_numpy(), len(skus)),
                "yhat": yhat.ravel(),
                "yhat_lower": (yhat * np.exp(-width)).ravel(),
                "yhat_upper": (yhat * np.exp(width)).ravel(),
            }
        )
        models = pd.DataFrame(
            {
                "sku": skus,
                "status": "trained",
                "beats_naive": True,
                "beats_seasonal_naive": True,
            }
        )
        return forecasts, models


def no_forecast(history: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """No forecast and no model for anything: the engine falls back to the stock rule at
    today's price (the baseline that shows what a forecast itself earns)."""
    return (
        pd.DataFrame({c: [] for c in FORECAST_FRAME_COLUMNS}),
        pd.DataFrame({c: [] for c in MODEL_FRAME_COLUMNS}),
    )


@dataclass
class ServedForecaster:
    """The served model, as ``product_price_models`` trains it: every product's history as it
    stood that day goes through :func:`~procurement_pipeline.lib.forecasting.train_many`
    (model choice, holdout metrics, forecast); its status and whether it beats the baselines
    go to the engine with the forecast, so the engine's trust rule sees what production sees.

    Production retrains a product whenever its history changed; so does this with
    ``refit_days`` 1. With ``refit_days`` > 1 a product is retrained at most every that many
    days (cheaper) and in between its last model forecasts from the newer history, re-anchored
    on the newest price without refitting
    (:func:`~procurement_pipeline.lib.forecasting.forecast_from_model`). ``fits`` counts the
    trainings.
    """

    refit_days: int = 1
    workers: int = 1
    settings: Any = None  # ModelSettings; None: the served defaults

    def __post_init__(self) -> None:
        if self.refit_days < 1:
            raise ValueError("refit_days must be at least 1")
        self._fitted_on: dict[str, pd.Timestamp] = {}
        self._anchor: dict[str, pd.Timestamp] = {}  # last observed day of the last training
        self._served: dict[str, Any] = {}  # the last training's model (ServedModel)
        self._forecasts: dict[str, pd.DataFrame] = {}
        self._models: dict[str, dict[str, Any]] = {}
        self.fits = 0

    def __call__(self, history: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        from procurement_pipeline.lib.forecasting import forecast_from_model, train_many
        from procurement_pipeline.lib.forecasting.served import from_json

        today = pd.Timestamp(history.index[-1])
        values = history.to_numpy(dtype=float)
        frames: dict[str, pd.DataFrame] = {}
        due: list[tuple[str, pd.DataFrame]] = []
        stale: list[str] = []
        for j, sku in enumerate(history.columns):
            seen = np.isfinite(values[:, j])
            if not seen.any():
                continue
            frames[sku] = pd.DataFrame({"ds": history.index[seen], "y": values[seen, j]})
            newer = self._anchor.get(sku) != frames[sku]["ds"].iloc[-1]
            fitted = self._fitted_on.get(sku)
            if fitted is None or (newer and (today - fitted).days >= self.refit_days):
                due.append((sku, frames[sku]))
            elif newer:
                stale.append(sku)
        for result in train_many(due, self.settings, workers=self.workers) if due else ():
            sku = result.sku
            self._fitted_on[sku] = today
            self._anchor[sku] = frames[sku]["ds"].iloc[-1]
            trained = result.status == "trained" and result.model_json is not None
            self._served[sku] = from_json(result.model_json) if trained else None
            self._forecasts[sku] = result.forecast.assign(sku=sku)
            self._models[sku] = {
                "sku": sku,
                "status": result.status,
                "beats_naive": bool(result.metrics.get("beats_naive", False)),
                "beats_seasonal_naive": bool(result.metrics.get("beats_seasonal_naive", False)),
            }
            self.fits += 1
        for sku in stale:
            if self._served.get(sku) is not None:
                reanchored = forecast_from_model(
                    self._served[sku], self.settings, history=frames[sku]
                )
                self._forecasts[sku] = reanchored.assign(sku=sku)
        skus = [s for s in history.columns if s in self._models]
        parts = [self._forecasts[s] for s in skus if len(self._forecasts[s])]
        forecasts = (
            pd.concat(parts, ignore_index=True)[FORECAST_FRAME_COLUMNS]
            if parts
            else no_forecast(history)[0]
        )
        forecasts = forecasts[pd.to_datetime(forecasts["ds"]) > today]
        models = pd.DataFrame([self._models[s] for s in skus], columns=MODEL_FRAME_COLUMNS)
        return forecasts.reset_index(drop=True), models


@dataclass
class ReplayResult:
    policy: str
    start: dt.date  # the first replayed day (of any product)
    end: dt.date  # the last replayed day (of any product)
    products: int
    days: int  # product-days replayed
    spend: float
    quantity_bought: float
    orders: pd.DataFrame  # day, sku, quantity, price, cost, arrival_day
    stockout_days: int  # product-days with unmet demand
    products_with_stockout: int
    unmet_quantity: float
    demand_quantity: float
    ending_value: float  # stock on hand + on order at each product's end, at its last price
    holding_cost: float  # end-of-day stock on hand x the day's price x holding rate / 365
    min_stock: float  # lowest stock on hand of any product on any replayed day
    per_product: pd.DataFrame  # PRODUCT_RESULT_COLUMNS, one row per product
    actions: dict[str, int] = field(default_factory=dict)  # recommendation actions, all days

    @property
    def net_spend(self) -> float:
        """Spend minus what is still in stock or on order at the end (valued at the last
        prices): policies that end with more stock are not penalised for it."""
        return self.spend - self.ending_value

    @property
    def total_cost(self) -> float:
        """Net spend plus the cost of holding the stock along the way."""
        return self.net_spend + self.holding_cost

    def summary(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "products": self.products,
            "days": self.days,
            "spend": round(self.spend, 2),
            "net_spend": round(self.net_spend, 2),
            "holding_cost": round(self.holding_cost, 2),
            "total_cost": round(self.total_cost, 2),
            "ending_value": round(self.ending_value, 2),
            "orders": len(self.orders),
            "stockouts": self.stockout_days,
            "products_with_stockout": self.products_with_stockout,
            "unmet_quantity": round(self.unmet_quantity, 1),
            "min_stock": self.min_stock,
        }


def _per_product_days(value: Any, skus: list[str], name: str) -> np.ndarray:
    """A date for every product, or a SKU -> date mapping/Series covering each of them, as
    day ordinals in ``skus`` order."""
    if isinstance(value, (Mapping, pd.Series)):
        mapping = value if isinstance(value, Mapping) else value.to_dict()
        missing = [s for s in skus if s not in mapping]
        if missing:
            raise ValueError(f"{name} has no date for {missing[:5]}")
        return np.array([to_day(mapping[s]).toordinal() for s in skus], dtype=np.int64)
    return np.full(len(skus), to_day(value).toordinal(), dtype=np.int64)


def price_matrix(daily_prices_df: pd.DataFrame, skus: list[str], end: dt.date) -> pd.DataFrame:
    """Wide daily prices (``DatetimeIndex`` ``day`` from the first price day to ``end``, one
    column per SKU in ``skus`` order, NaN where a day has no price)."""
    frame = daily_prices_df.copy()
    frame["day"] = pd.to_datetime(frame["day"]).dt.normalize()
    frame = frame[frame["day"] <= pd.Timestamp(end)]
    wide = frame.pivot_table(index="day", columns="sku", values="price", aggfunc="median")
    first = wide.index.min() if len(wide) else pd.Timestamp(end)
    days = pd.date_range(first, pd.Timestamp(end), freq="D", name="day")
    wide = wide.reindex(index=days, columns=skus).astype(float)
    wide.columns.name = "sku"
    return wide


def replay(
    catalog_df: pd.DataFrame,
    daily_prices_df: pd.DataFrame,
    consumption_df: pd.DataFrame,
    start: Any,
    end: Any,
    policy: str = "recommended",
    forecaster: Forecaster | None = None,
    settings: RecommendationSettings | None = None,
    *,
    models_df: pd.DataFrame | None = None,
    recommender: Callable[..., pd.DataFrame] = recommend,
    initial_stock: Any = None,
    progress: Callable[[dt.date], None] | None = None,
) -> ReplayResult:
    """Simulate ``policy`` from ``start`` to ``end`` (inclusive); see the module docstring.

    ``start`` / ``end``: a date for every product, or a SKU -> date mapping (or Series) for
    products replayed over different days. ``catalog_df``: sku, name, category, unit,
    current_stock (the stock on the morning of the product's start unless ``initial_stock``
    is given), minimum_stock, lead_time_days, reference_price. ``daily_prices_df``: sku,
    day, price (each product's prices must start on or before its start).
    ``consumption_df``: day, sku, quantity (the real use, served each day; the estimate sees
    it only up to each day). ``models_df`` overrides the models the forecaster reports (e.g.
    to test the fallback).
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}")
    settings = settings or RecommendationSettings()
    forecaster = forecaster or RecentLevelForecaster(horizon_days=settings.horizon_days)
    catalog = catalog_df.reset_index(drop=True).copy()
    skus = [str(s) for s in catalog["sku"]]
    catalog["sku"] = skus
    sku_array = np.asarray(skus, dtype=object)
    n = len(skus)
    first_day = _per_product_days(start, skus, "start")
    last_day_of = _per_product_days(end, skus, "end")
    if (last_day_of < first_day).any():
        raise ValueError("end must not be before start")
    sim_start = dt.date.fromordinal(int(first_day.min()))
    sim_end = dt.date.fromordinal(int(last_day_of.max()))
    units = catalog["unit"].astype(str).to_numpy(dtype=object)
    minimum = catalog["minimum_stock"].to_numpy(dtype=float)
    lead = catalog["lead_time_days"].to_numpy(dtype=np.int64)
    horizon = settings.horizon_days
    holding_per_day = settings.holding_per_day

    prices = price_matrix(daily_prices_df, skus, sim_end)
    price_values = prices.to_numpy(dtype=float)
    index_ord = np.array([d.toordinal() for d in prices.index.date], dtype=np.int64)
    observed = np.isfinite(price_values)
    first_price = np.where(
        observed.any(axis=0), index_ord[np.argmax(observed, axis=0)], np.iinfo(np.int64).max
    )
    if (first_price > first_day).any():
        late = sku_array[first_price > first_day][:5].tolist()
        raise ValueError(f"the price history must start on or before the replay start: {late}")
    day_pos = {int(o): i for i, o in enumerate(index_ord)}

    cons = consumption_df[["day", "sku", "quantity"]].copy()
    cons["day"] = pd.to_datetime(cons["day"]).dt.normalize().astype("datetime64[ns]")
    cons["sku"] = cons["sku"].astype(str)
    cons = cons.sort_values("day", kind="stable", ignore_index=True)
    cons_days = cons["day"].to_numpy()
    n_days = (sim_end - sim_start).days + 1
    sim_days = [sim_start + dt.timedelta(days=i) for i in range(n_days)]
    sim_ord = np.array([d.toordinal() for d in sim_days], dtype=np.int64)
    # active[i, t]: product i is replayed on day t.
    active = (sim_ord[None, :] >= first_day[:, None]) & (sim_ord[None, :] <= last_day_of[:, None])
    # The real use, served day by day (the policies never read it directly).
    demand = np.zeros((n, n_days))
    rows = pd.Index(skus).get_indexer(cons["sku"])
    cols = ((cons["day"] - pd.Timestamp(sim_start)).dt.days).to_numpy()
    ok = (rows >= 0) & (cols >= 0) & (cols < n_days)
    np.add.at(demand, (rows[ok], cols[ok]), cons["quantity"].to_numpy(float)[ok])
    demand = np.where(active, demand, 0.0)

    stock = (
        catalog["current_stock"].to_numpy(dtype=float).copy()
        if initial_stock is None
        else np.asarray(initial_stock, dtype=float).copy()
    )
    arrivals = np.zeros((n, n_days + int(lead.max(initial=0)) + 2))
    on_order = np.zeros(n)
    last_price = np.full(n, np.nan)
    last_day = np.full(n, None, dtype=object)
    first_pos = day_pos[int(sim_ord[0])]
    # Prices observed before the replay starts are known on its first day.
    for i in range(first_pos):
        row = price_values[i]
        seen = np.isfinite(row)
        last_price[seen] = row[seen]
        last_day[seen] = prices.index[i].date()
    reference = catalog["reference_price"].to_numpy(dtype=float)

    orders: list[pd.DataFrame] = []
    spend = np.zeros(n)
    bought = np.zeros(n)
    order_count = np.zeros(n, dtype=np.int64)
    stockouts = np.zeros(n, dtype=np.int64)
    unmet_total = np.zeros(n)
    holding = np.zeros(n)
    min_stock = np.where(active.any(axis=1), stock, np.nan)
    ending_value = np.zeros(n)
    final_price = np.full(n, np.nan)
    # The list followed like a buyer would: a purchase in the calendar for a day.
    plan_day = np.full(n, -1, dtype=np.int64)
    actions: dict[str, int] = {}

    for t, today in enumerate(sim_days):
        live = active[:, t]
        # 1. Deliveries.
        stock += arrivals[:, t]
        on_order -= arrivals[:, t]
        # 2. Consumption.
        served = np.minimum(stock, demand[:, t])
        unmet = demand[:, t] - served
        stock -= served
        short = unmet > 1e-9
        stockouts += short
        unmet_total += unmet
        min_stock = np.where(live, np.fmin(min_stock, stock), min_stock)
        # 3. What is known at the end of the day.
        p_idx = day_pos[int(sim_ord[t])]
        todays_row = price_values[p_idx]
        seen = np.isfinite(todays_row)
        last_price[seen] = todays_row[seen]
        last_day[seen] = today
        pay_price = np.where(np.isfinite(last_price), last_price, reference)
        quantity = np.zeros(n)
        live_ix = np.flatnonzero(live)
        if len(live_ix):
            live_skus = [skus[i] for i in live_ix]
            cut = int(np.searchsorted(cons_days, np.datetime64(today, "ns"), side="right"))
            known_use = cons.iloc[:cut]  # rows up to today only
            estimate = expected_consumption(
                known_use, today, settings.consumption_window_days, skus=live_skus
            )
            if policy == "recommended":
                # Ends today: no later row exists in it.
                history = prices.iloc[: p_idx + 1][live_skus]
                result = forecaster(history)
                forecasts, models = result if isinstance(result, tuple) else (result, None)
                if models_df is not None:
                    models = models_df
                if models is None:
                    models = pd.DataFrame(columns=MODEL_FRAME_COLUMNS)
                products = catalog.iloc[live_ix].assign(
                    current_stock=stock[live_ix], on_order=on_order[live_ix]
                )
                known = live & np.isfinite(last_price)
                today_prices = pd.DataFrame(
                    {
                        "sku": sku_array[known],
                        "price": last_price[known],
                        "observed_day": last_day[known],
                    }
                )
                recs = recommender(
                    products, estimate, forecasts, models, today_prices, today, settings
                )
                quantity = _follow(recs, skus, today, plan_day, actions)
            else:
                d = np.zeros(n)
                pos_ix = pd.Index(skus).get_indexer(estimate["sku"])
                d[pos_ix[pos_ix >= 0]] = estimate["daily_mean"].to_numpy(float)[pos_ix >= 0]
                position = stock + on_order
                need = live & (position <= minimum)
                raw = d * (lead + horizon) + np.clip(minimum - position, 0.0, None)
                quantity = np.where(need, round_quantity(raw, units), 0.0)
        # 4. Orders.
        placed = quantity > 0
        if placed.any():
            cost = quantity[placed] * pay_price[placed]
            spend[placed] += cost
            bought[placed] += quantity[placed]
            order_count[placed] += 1
            on_order[placed] += quantity[placed]
            np.add.at(arrivals, (np.nonzero(placed)[0], t + lead[placed]), quantity[placed])
            orders.append(
                pd.DataFrame(
                    {
                        "day": today,
                        "sku": sku_array[placed],
                        "quantity": quantity[placed],
                        "price": pay_price[placed],
                        "cost": cost,
                        "arrival_day": [today + dt.timedelta(days=int(x)) for x in lead[placed]],
                    }
                )
            )
        # 5. Holding the stock left on hand tonight; what each product ends with.
        holding += np.where(live, stock * pay_price * holding_per_day, 0.0)
        ends = live & (last_day_of == sim_ord[t])
        ending_value[ends] = ((stock + on_order) * pay_price)[ends]
        final_price[ends] = pay_price[ends]
        if progress is not None:
            progress(today)

    order_frame = (
        pd.concat(orders, ignore_index=True)
        if orders
        else pd.DataFrame({c: [] for c in ORDER_COLUMNS})
    )
    per_product = _per_product_frame(
        skus,
        first_day,
        last_day_of,
        prices,
        order_count=order_count,
        bought=bought,
        spend=spend,
        ending_value=ending_value,
        holding=holding,
        demand=demand.sum(axis=1),
        unmet=unmet_total,
        stockouts=stockouts,
        min_stock=min_stock,
    )
    return ReplayResult(
        policy=policy,
        start=sim_start,
        end=sim_end,
        products=n,
        days=int(active.sum()),
        spend=float(spend.sum()),
        quantity_bought=float(bought.sum()),
        orders=order_frame,
        stockout_days=int(stockouts.sum()),
        products_with_stockout=int((stockouts > 0).sum()),
        unmet_quantity=float(unmet_total.sum()),
        demand_quantity=float(demand.sum()),
        ending_value=float(ending_value.sum()),
        holding_cost=float(holding.sum()),
        min_stock=float(np.nanmin(min_stock)) if np.isfinite(min_stock).any() else 0.0,
        per_product=per_product,
        actions=actions,
    )


def _follow(
    recs: pd.DataFrame,
    skus: list[str],
    today: dt.date,
    plan_day: np.ndarray,
    actions: dict[str, int],
) -> np.ndarray:
    """Today's purchases when following the list like a buyer (module docstring); updates
    the calendar of planned purchase days (``plan_day``, ordinals, -1: none) in place."""
    for action, count in recs["action"].value_counts().items():
        actions[action] = actions.get(action, 0) + int(count)
    idx = pd.Index(skus).get_indexer(recs["sku"].astype(str))
    action = recs["action"].to_numpy(dtype=object)
    suggested = recs["suggested_quantity"].to_numpy(dtype=float)
    use = recs["daily_consumption"].to_numpy(dtype=float)
    dates = recs["action_date"].to_numpy(dtype=object)
    quantity = np.zeros(len(skus))
    today_ord = today.toordinal()
    for j, i in enumerate(idx):
        if action[j] == "buy_now":
            quantity[i], plan_day[i] = suggested[j], -1
            continue
        if action[j] == "no_need":
            plan_day[i] = -1
            continue
        # buy_by / wait_until: the date goes in the calendar; an earlier one moves it.
        day = to_day(dates[j]).toordinal()
        if plan_day[i] < 0 or day < plan_day[i]:
            plan_day[i] = day
        if plan_day[i] == today_ord:
            # The list's quantity is for its own date: an order today needs that date's use
            # less (the same rule, k days earlier).
            quantity[i] = max(suggested[j] - use[j] * (day - today_ord), 0.0)
            plan_day[i] = -1
    units = recs["unit"].to_numpy(dtype=object) if "unit" in recs.columns else None
    if units is not None and (quantity > 0).any():
        order = np.full(len(skus), "kg", dtype=object)
        order[idx] = units
        quantity = round_quantity(quantity, order)
    return quantity


def _per_product_frame(
    skus: list[str],
    first_day: np.ndarray,
    last_day: np.ndarray,
    prices: pd.DataFrame,
    **totals: np.ndarray,
) -> pd.DataFrame:
    """One row per product: what it cost, what it held, the prices it paid and saw."""
    index_ord = np.array([d.toordinal() for d in prices.index.date], dtype=np.int64)
    in_range = (index_ord[:, None] >= first_day[None, :]) & (
        index_ord[:, None] <= last_day[None, :]
    )
    values = np.where(in_range, prices.to_numpy(dtype=float), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a product without prices in range
        mean_price = np.nanmean(values, axis=0)
    bought, spend = totals["bought"], totals["spend"]
    with np.errstate(invalid="ignore", divide="ignore"):
        average_paid = np.where(bought > 0, spend / bought, np.nan)
    net = spend - totals["ending_value"]
    return pd.DataFrame(
        {
            "sku": skus,
            "start": [dt.date.fromordinal(int(o)) for o in first_day],
            "end": [dt.date.fromordinal(int(o)) for o in last_day],
            "days": (last_day - first_day + 1).astype(np.int64),
            "orders": totals["order_count"],
            "quantity_bought": bought,
            "spend": spend,
            "ending_value": totals["ending_value"],
            "holding_cost": totals["holding"],
            "total_cost": net + totals["holding"],
            "demand_quantity": totals["demand"],
            "unmet_quantity": totals["unmet"],
            "stockout_days": totals["stockouts"],
            "min_stock": totals["min_stock"],
            "average_price_paid": average_paid,
            "mean_price": mean_price,
        },
        columns=PRODUCT_RESULT_COLUMNS,
    )
