"""Replay a price and consumption history day by day and count what a buying policy spends.

Each simulated day ``t`` (from ``start`` to ``end``, inclusive):

1. **morning** — orders due today arrive (an order placed on day ``t`` with lead time ``L``
   arrives on the morning of ``t + L``);
2. **during the day** — the day's real consumption is served from stock; what the stock
   cannot serve is unmet demand and the product-day counts as a **stockout** (stock never
   goes below zero);
3. **end of day** — the policy decides with what is known by then: prices observed up to
   ``t`` and consumption up to ``t``. Orders are paid at the day's market price (the last
   observed daily price when the day has none).

Policies:

* ``"recommended"`` — calls :func:`~procurement_pipeline.lib.recommendations.recommend` with
  the stock position (stock + on order), the consumption estimate, the forecaster's forecast
  and today's price, and buys the suggested quantity of every ``buy_now`` product (``buy_by``
  and ``wait_until`` are re-evaluated the next day, which is what a buyer following the list
  does: on the deadline the action turns into ``buy_now``);
* ``"naive"`` — reorders when the stock position (stock + on order) is at or below the
  minimum, buying lead time + horizon days of expected use (plus what is missing to the
  minimum) at the day's price.

**No future data, structurally**: the price history is a wide frame (one row per day, one
column per SKU) and the forecaster receives ``history.iloc[: t + 1]`` — a slice that ends
today, so no later row exists in what it gets; consumption is a day-sorted frame and the
estimate receives the rows up to today only (``frame.iloc[:cut]``). Today's price comes from
the same slice's last row. Tests wrap the forecaster to check every call and perturb the
future to check decisions up to a day do not change.

Forecasters: ``forecaster(history) -> forecasts`` or ``(forecasts, models)`` where
``history`` is that wide frame (``DatetimeIndex`` named ``day``, float prices, NaN when a day
has no observation) and ``forecasts`` has sku, ds, yhat, yhat_lower, yhat_upper for the days
after the last row. The default :class:`RecentLevelForecaster` is cheap (no Prophet: 3,000
products x 180 days in well under a minute); a Prophet one can be injected.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from procurement_pipeline.lib.consumption.estimate import expected_consumption
from procurement_pipeline.lib.recommendations.engine import (
    RecommendationSettings,
    recommend,
    round_quantity,
)

POLICIES = ("recommended", "naive")
Forecaster = Callable[[pd.DataFrame], "pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]"]


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


@dataclass
class ReplayResult:
    policy: str
    start: dt.date
    end: dt.date
    products: int
    days: int
    spend: float
    quantity_bought: float
    orders: pd.DataFrame  # day, sku, quantity, price, cost, arrival_day
    stockout_days: int  # product-days with unmet demand
    products_with_stockout: int
    unmet_quantity: float
    demand_quantity: float
    ending_value: float  # stock on hand + on order at the end, at the last known prices
    min_stock: float
    actions: dict[str, int] = field(default_factory=dict)  # recommendation actions, all days

    @property
    def net_spend(self) -> float:
        """Spend minus what is still in stock or on order at the end (valued at the last
        prices): policies that end with more stock are not penalised for it."""
        return self.spend - self.ending_value

    def summary(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "products": self.products,
            "days": self.days,
            "spend": round(self.spend, 2),
            "net_spend": round(self.net_spend, 2),
            "ending_value": round(self.ending_value, 2),
            "orders": len(self.orders),
            "stockouts": self.stockout_days,
            "products_with_stockout": self.products_with_stockout,
            "unmet_quantity": round(self.unmet_quantity, 1),
            "min_stock": self.min_stock,
        }


def _to_day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


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
    start: dt.date,
    end: dt.date,
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

    ``catalog_df``: sku, name, category, unit, current_stock (the stock on the morning of
    ``start`` unless ``initial_stock`` is given), minimum_stock, lead_time_days,
    reference_price. ``daily_prices_df``: sku, day, price. ``consumption_df``: day, sku,
    quantity (the real use, served each day; the estimate sees it only up to each day).
    ``models_df`` overrides the models the forecaster reports (e.g. to test the fallback).
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}")
    settings = settings or RecommendationSettings()
    forecaster = forecaster or RecentLevelForecaster(horizon_days=settings.horizon_days)
    start, end = _to_day(start), _to_day(end)
    if end < start:
        raise ValueError("end must not be before start")
    catalog = catalog_df.reset_index(drop=True).copy()
    skus = [str(s) for s in catalog["sku"]]
    catalog["sku"] = skus
    n = len(skus)
    units = catalog["unit"].astype(str).to_numpy(dtype=object)
    minimum = catalog["minimum_stock"].to_numpy(dtype=float)
    lead = catalog["lead_time_days"].to_numpy(dtype=np.int64)
    horizon = settings.horizon_days

    prices = price_matrix(daily_prices_df, skus, end)
    if pd.Timestamp(start) < prices.index[0]:
        raise ValueError("the price history must start on or before the replay start")
    price_values = prices.to_numpy(dtype=float)
    day_pos = {d.date(): i for i, d in enumerate(prices.index)}

    cons = consumption_df[["day", "sku", "quantity"]].copy()
    cons["day"] = pd.to_datetime(cons["day"]).dt.normalize().astype("datetime64[ns]")
    cons["sku"] = cons["sku"].astype(str)
    cons = cons.sort_values("day", kind="stable", ignore_index=True)
    cons_days = cons["day"].to_numpy()
    n_days = (end - start).days + 1
    sim_days = [start + dt.timedelta(days=i) for i in range(n_days)]
    # The real use, served day by day (the policies never read it directly).
    demand = np.zeros((n, n_days))
    in_sim = (cons["day"] >= pd.Timestamp(start)) & (cons["day"] <= pd.Timestamp(end))
    rows = pd.Index(skus).get_indexer(cons.loc[in_sim, "sku"])
    cols = (cons.loc[in_sim, "day"] - pd.Timestamp(start)).dt.days.to_numpy()
    ok = rows >= 0
    np.add.at(demand, (rows[ok], cols[ok]), cons.loc[in_sim, "quantity"].to_numpy(float)[ok])

    stock = (
        catalog["current_stock"].to_numpy(dtype=float).copy()
        if initial_stock is None
        else np.asarray(initial_stock, dtype=float).copy()
    )
    arrivals = np.zeros((n, n_days + int(lead.max(initial=0)) + 2))
    on_order = np.zeros(n)
    last_price = np.full(n, np.nan)
    last_day = np.full(n, None, dtype=object)
    first_pos = day_pos[sim_days[0]]
    # Prices observed before the replay starts are known on its first day.
    for i in range(first_pos):
        row = price_values[i]
        seen = np.isfinite(row)
        last_price[seen] = row[seen]
        last_day[seen] = prices.index[i].date()
    reference = catalog["reference_price"].to_numpy(dtype=float)

    orders: list[pd.DataFrame] = []
    spend = 0.0
    stockout_days = 0
    had_stockout = np.zeros(n, dtype=bool)
    unmet_total = 0.0
    min_stock = float(stock.min(initial=0.0))
    actions: dict[str, int] = {}

    for t, today in enumerate(sim_days):
        # 1. Deliveries.
        stock += arrivals[:, t]
        on_order -= arrivals[:, t]
        # 2. Consumption.
        served = np.minimum(stock, demand[:, t])
        unmet = demand[:, t] - served
        stock -= served
        short = unmet > 1e-9
        stockout_days += int(short.sum())
        had_stockout |= short
        unmet_total += float(unmet.sum())
        min_stock = min(min_stock, float(stock.min(initial=0.0)))
        # 3. What is known at the end of the day.
        p_idx = day_pos[today]
        history = prices.iloc[: p_idx + 1]  # ends today: no later row exists in it
        todays_row = price_values[p_idx]
        seen = np.isfinite(todays_row)
        last_price[seen] = todays_row[seen]
        last_day[seen] = today
        pay_price = np.where(np.isfinite(last_price), last_price, reference)
        cut = int(np.searchsorted(cons_days, np.datetime64(today, "ns"), side="right"))
        known_use = cons.iloc[:cut]  # rows up to today only
        estimate = expected_consumption(
            known_use, today, settings.consumption_window_days, skus=skus
        )
        if policy == "recommended":
            result = forecaster(history)
            forecasts, models = result if isinstance(result, tuple) else (result, None)
            if models_df is not None:
                models = models_df
            if models is None:
                models = pd.DataFrame(
                    columns=["sku", "status", "beats_naive", "beats_seasonal_naive"]
                )
            products = catalog.assign(current_stock=stock.copy(), on_order=on_order.copy())
            known = np.isfinite(last_price)
            today_prices = pd.DataFrame(
                {
                    "sku": np.asarray(skus, dtype=object)[known],
                    "price": last_price[known],
                    "observed_day": last_day[known],
                }
            )
            recs = recommender(products, estimate, forecasts, models, today_prices, today, settings)
            for action, count in recs["action"].value_counts().items():
                actions[action] = actions.get(action, 0) + int(count)
            rec_idx = pd.Index(skus).get_indexer(recs["sku"].astype(str))
            quantity = np.zeros(n)
            buy = (recs["action"] == "buy_now").to_numpy()
            quantity[rec_idx[buy]] = recs["suggested_quantity"].to_numpy(dtype=float)[buy]
        else:
            d = np.zeros(n)
            pos_ix = pd.Index(skus).get_indexer(estimate["sku"])
            d[pos_ix[pos_ix >= 0]] = estimate["daily_mean"].to_numpy(float)[pos_ix >= 0]
            position = stock + on_order
            need = position <= minimum
            raw = d * (lead + horizon) + np.clip(minimum - position, 0.0, None)
            quantity = np.where(need, round_quantity(raw, units), 0.0)
        # 4. Orders.
        placed = quantity > 0
        if placed.any():
            cost = quantity[placed] * pay_price[placed]
            spend += float(cost.sum())
            on_order[placed] += quantity[placed]
            np.add.at(arrivals, (np.nonzero(placed)[0], t + lead[placed]), quantity[placed])
            orders.append(
                pd.DataFrame(
                    {
                        "day": today,
                        "sku": np.asarray(skus, dtype=object)[placed],
                        "quantity": quantity[placed],
                        "price": pay_price[placed],
                        "cost": cost,
                        "arrival_day": [today + dt.timedelta(days=int(x)) for x in lead[placed]],
                    }
                )
            )
        if progress is not None:
            progress(today)

    final_price = np.where(np.isfinite(last_price), last_price, reference)
    ending_value = float(((stock + on_order) * final_price).sum())
    order_frame = (
        pd.concat(orders, ignore_index=True)
        if orders
        else pd.DataFrame(columns=["day", "sku", "quantity", "price", "cost", "arrival_day"])
    )
    return ReplayResult(
        policy=policy,
        start=start,
        end=end,
        products=n,
        days=n_days,
        spend=spend,
        quantity_bought=float(order_frame["quantity"].sum()) if len(order_frame) else 0.0,
        orders=order_frame,
        stockout_days=stockout_days,
        products_with_stockout=int(had_stockout.sum()),
        unmet_quantity=unmet_total,
        demand_quantity=float(demand.sum()),
        ending_value=ending_value,
        min_stock=min_stock,
        actions=actions,
    )
