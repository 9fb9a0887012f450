"""Model settings for the price forecasts: the one place where the defaults live.

The defaults were chosen by measurement (``benchmarks/forecast_tuning.py``, results in
``benchmarks/FORECAST_TUNING.md``): rolling-origin holdouts on seeded price-like series, ranked
by median MASE against the naive "tomorrow equals today" forecast.

The model is Prophet on the log of the price (so weekly effects are proportional and the
back-transformed forecast is always positive) with a flat trend and weekly seasonality, anchored
to the last observed price: the forecast is the last in-sample residual carried forward on top
of Prophet's path, i.e. "tomorrow's price equals today's" plus Prophet's weekly shape. On the
benchmark that tied the naive forecast on median MASE (1.01) and had the best geometric-mean
MASE (0.96) and the best record against seasonal naive (60 %); Prophet's default configuration
scored 1.10 / 1.19 / 41 %. Intervals are empirical: quantiles of the in-sample h-step-ahead
errors of the same forecast, which widen with the horizon and need no posterior sampling;
scaled by 1.1 they covered 80 % of held-out days (0.80).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

# Bump whenever the model code or the defaults change: registry rows with another version are
# stale and get retrained.
CODE_VERSION = "forecast-2026.3"


@dataclass(frozen=True)
class ModelSettings:
    # How much history a product needs before it gets a model, and how far ahead to forecast.
    min_history_days: int = 30
    # The holdout is shortened on short histories so that at least this many points train.
    min_train_days: int = 21
    horizon: int = 30
    interval_width: float = 0.8

    # Prophet.
    growth: Literal["flat", "linear"] = "flat"
    changepoint_prior_scale: float = 0.05
    n_changepoints: int = 25
    changepoint_range: float = 0.8
    seasonality_mode: Literal["additive", "multiplicative"] = "additive"
    seasonality_prior_scale: float = 10.0
    weekly_seasonality: bool = True
    weekly_fourier_order: int = 3
    # Yearly seasonality needs two full years to be told apart from trend.
    yearly_min_days: int = 730
    yearly_fourier_order: int = 10
    # Prices are sampled daily: there is no within-day cycle to model.
    daily_seasonality: bool = False
    # Model log(price): multiplicative effects, positive forecasts.
    log_scale: bool = True
    # Posterior draws for Prophet's own intervals; only used when interval_method == "prophet".
    uncertainty_samples: int = 0
    # True: Prophet through the faster subclass and CmdStan backend of model.py (the same
    # numbers, compared with stock Prophet in test_fast_paths.py). False: stock Prophet and
    # its cmdstanpy backend, the way back if a Prophet or cmdstanpy upgrade breaks the
    # overrides (PROCUREMENT_FAST_PROPHET=0; each Prophet fit then takes about twice as long).
    fast_prophet: bool = True

    # Post-processing of Prophet's path.
    # "ar1": carry the last residual forward, decaying by its estimated lag-1 autocorrelation;
    # "last": carry it forward undamped (naive level + Prophet's seasonal changes);
    # "none": Prophet's forecast as it is.
    level_correction: Literal["ar1", "last", "none"] = "last"
    # "empirical": quantiles of in-sample h-step errors (cheap, widen with the horizon);
    # "prophet": Prophet's sampled intervals (needs uncertainty_samples > 0).
    interval_method: Literal["empirical", "prophet"] = "empirical"
    # Multiplies the empirical interval half-widths (in-sample errors are a little optimistic).
    interval_scale: float = 1.1

    # Model choice per series (selection.py): every candidate forecasts the 30 days after each
    # of the last ``validation_origins`` monthly cutoffs of the series' own past (expanding
    # window); the lowest pooled MAE wins, a non-naive one only if it beats naive's by
    # ``selection_margin`` (weak evidence keeps the last price). Chosen on the older origins
    # of the real-price development set (benchmarks/FORECAST_TUNING.md, "Real prices").
    candidates: tuple[str, ...] = ("naive", "steps", "drift", "prophet")
    validation_origins: int = 3
    selection_margin: float = 0.1
    # Prophet is a candidate only where the weekday explains day-to-day changes (F statistic
    # of weekday means, candidates.weekly_evidence; 4 is p < 0.001 for 6 and 100+ degrees of
    # freedom): elsewhere it costs fits and adds only noise to the naive level.
    prophet_min_weekly_f: float = 4.0
    # Used when the history is too short for any validation origin.
    fallback_model: str = "naive"
    # The numpy candidates (candidates.py): the window of past changes the "steps" median
    # comes from, the window of the intervals' spread, the drift's window and its daily
    # damping factor (0.9: the trend of the last two months, fading within about 10 days).
    steps_window_days: int = 60
    interval_window_days: int = 180
    drift_window_days: int = 60
    damping: float = 0.9
    # Multiplies the numpy candidates' interval spreads.
    change_interval_scale: float = 1.0
    # The expected price path (candidates.expected_offsets): the mean of the series' own
    # h-day price changes in this window. A purchase costs the mean price, not the median the
    # served forecast gives (the MAE-best forecast of a price that mostly holds and sometimes
    # steps up is "it holds"; its expectation still rises), so the advice's buy-ahead rule
    # uses this path. 60 days: measured on the real development set with the replay
    # (benchmarks/FORECAST_TUNING.md, "Advice").
    expected_window_days: int = 60
    # Only for a sticky price (candidates.expected_path): one that held on at least this share
    # of its consecutive observations in that window (listings: most; market prices: none).
    expected_min_unchanged_share: float = 0.5

    def __post_init__(self) -> None:
        if self.min_train_days < 2:
            raise ValueError("min_train_days must be at least 2")
        if self.min_history_days < self.min_train_days:
            raise ValueError("min_history_days must be >= min_train_days")
        if self.horizon < 1:
            raise ValueError("horizon must be at least 1")
        if not 0 < self.interval_width < 1:
            raise ValueError("interval_width must be between 0 and 1")
        if self.interval_method == "prophet" and self.uncertainty_samples <= 0:
            raise ValueError("interval_method 'prophet' needs uncertainty_samples > 0")
        known = {"naive", "steps", "drift", "prophet"}
        unknown = sorted(set(self.candidates) - known)
        if unknown or not self.candidates:
            raise ValueError(f"unknown or no candidate models: {unknown}")
        if self.fallback_model not in self.candidates:
            raise ValueError("fallback_model must be one of the candidates")
        if self.validation_origins < 1:
            raise ValueError("validation_origins must be at least 1")
        if not 0 < self.damping <= 1:
            raise ValueError("damping must be in (0, 1]")
        if self.expected_window_days < 2:
            raise ValueError("expected_window_days must be at least 2")
        if not 0 <= self.expected_min_unchanged_share <= 1:
            raise ValueError("expected_min_unchanged_share must be in [0, 1]")

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable view, e.g. for model metadata."""
        return {**asdict(self), "code_version": CODE_VERSION}
