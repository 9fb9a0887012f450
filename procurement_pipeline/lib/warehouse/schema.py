"""The warehouse schema (SQLAlchemy Core). Changes go through an Alembic migration.

Conventions: timestamps are UTC, stored naive (SQLite and MySQL DATETIME have no zone);
money is an exact decimal; every string column that MySQL indexes stays under 768 bytes in
utf8mb4; JSON columns hold metrics. Artifact paths are relative to the artifact root.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Money = Numeric(14, 2)
Quantity = Numeric(14, 3)
# Daily medians of cent prices can land on half cents.
DailyPrice = Numeric(16, 4)
# BIGINT on MySQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY autoincrements).
Id = BigInteger().with_variant(Integer(), "sqlite")
# Every table utf8mb4 on MySQL, whatever the server default.
MYSQL_TABLE = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
    "mysql_engine": "InnoDB",
}

products = Table(
    "products",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("category", String(64), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("search_term", String(255), nullable=False),
    Column("current_stock", Quantity, nullable=False),
    Column("minimum_stock", Quantity, nullable=False),
    Column("lead_time_days", Integer, nullable=False),
    Column("reference_price", Money, nullable=False),
    Column("currency", String(3), nullable=False, server_default="BRL"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("deactivated_at", DateTime, nullable=True),
    Index(None, "active", "category"),
    **MYSQL_TABLE,
)

price_observations = Table(
    "price_observations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("observed_at", DateTime, nullable=False),
    # Start of the 8-hour scrape window (UTC); NULL for synthetic rows.
    Column("window_start", DateTime, nullable=True),
    Column("price", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("seller", String(255), nullable=True),
    # "mercadolivre" (real market), "demo" (offline demo market), "synthetic" (gap-filler).
    Column("source", String(32), nullable=False),
    Column("is_synthetic", Boolean, nullable=False, server_default="0"),
    Column("listing_url", Text, nullable=True),
    Column("offers_considered", Integer, nullable=True),
    UniqueConstraint("sku", "window_start"),
    Index(None, "sku", "observed_at"),
    Index(None, "window_start"),
    Index(None, "is_synthetic", "observed_at"),
    **MYSQL_TABLE,
)

offers = Table(
    "offers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("window_start", DateTime, nullable=False),
    Column("scraped_at", DateTime, nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(512), nullable=False),
    Column("price", Money, nullable=True),
    Column("previous_price", Money, nullable=True),
    Column("currency", String(3), nullable=False),
    Column("seller", String(255), nullable=True),
    Column("url", Text, nullable=True),
    Column("sponsored", Boolean, nullable=False),
    # Whether the title matched the product's search term (used for the observation).
    Column("relevant", Boolean, nullable=False),
    Column("source", String(32), nullable=False),
    Index(None, "sku", "window_start"),
    Index(None, "window_start"),
    **MYSQL_TABLE,
)

scrape_attempts = Table(
    "scrape_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("window_start", DateTime, nullable=False),
    Column("attempted_at", DateTime, nullable=False),
    # "saved" or "failed".
    Column("outcome", String(16), nullable=False),
    # Failure reason: http_<status>, timeout, connection_error, challenge, empty_page,
    # no_relevant_offer, parse_error. NULL when saved.
    Column("reason", String(64), nullable=True),
    Column("http_status", Integer, nullable=True),
    Column("detail", String(1024), nullable=True),
    Column("requests_made", Integer, nullable=False, server_default="1"),
    Column("duration_ms", Integer, nullable=False, server_default="0"),
    Column("source", String(32), nullable=False),
    UniqueConstraint("sku", "window_start"),
    Index(None, "window_start", "outcome"),
    **MYSQL_TABLE,
)

daily_price_history = Table(
    "daily_price_history",
    metadata,
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("price", DailyPrice, nullable=False),
    Column("observations", Integer, nullable=False),
    # "observed" (median of that day's observations) or "interpolated" (short gap).
    Column("value_source", String(16), nullable=False),
    Column("built_at", DateTime, nullable=False),
    **MYSQL_TABLE,
)

# The content fingerprint of each product's cleaned history, written in the same transaction
# as daily_price_history: a product is retrained when its model's fingerprint differs.
history_fingerprints = Table(
    "history_fingerprints",
    metadata,
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("days", Integer, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("built_at", DateTime, nullable=False),
    **MYSQL_TABLE,
)

model_registry = Table(
    "model_registry",
    metadata,
    # One row per product: re-training replaces it.
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    Column("trained_at", DateTime, nullable=False),
    Column("code_version", String(64), nullable=False),
    # "trained", "skipped" or "failed".
    Column("status", String(16), nullable=False),
    Column("reason", String(512), nullable=True),
    Column("train_start", Date, nullable=True),
    Column("train_end", Date, nullable=True),
    Column("points", Integer, nullable=False, server_default="0"),
    Column("holdout_days", Integer, nullable=False, server_default="0"),
    Column("metrics", JSON, nullable=True),
    Column("artifact_path", String(512), nullable=True),
    Column("duration_s", Double, nullable=True),
    # lib.history.fingerprint of the series the model was trained on (NULL: no history).
    Column("history_fingerprint", String(64), nullable=True),
    # The candidate served (lib.forecasting.selection) and its validation record: cutoffs,
    # days scored, each candidate's pooled MAE / naive's, the holdout's own choice.
    Column("model_name", String(32), nullable=True),
    Column("validation", JSON, nullable=True),
    Index(None, "status"),
    **MYSQL_TABLE,
)

forecasts = Table(
    "forecasts",
    metadata,
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    # "holdout" (evaluation days, with y and baselines) or "future" (the forecast ahead).
    Column("kind", String(16), primary_key=True),
    Column("ds", Date, primary_key=True),
    Column("yhat", Double, nullable=False),
    Column("yhat_lower", Double, nullable=True),
    Column("yhat_upper", Double, nullable=True),
    # The expected (mean) price, for buying decisions; yhat is the median forecast.
    Column("yhat_expected", Double, nullable=True),
    Column("y", Double, nullable=True),
    Column("naive", Double, nullable=True),
    Column("seasonal_naive", Double, nullable=True),
    Column("generated_at", DateTime, nullable=False),
    **MYSQL_TABLE,
)

global_models = Table(
    "global_models",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("trained_at", DateTime, nullable=False),
    Column("code_version", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(512), nullable=True),
    Column("train_start", Date, nullable=True),
    Column("train_end", Date, nullable=True),
    Column("points", Integer, nullable=False, server_default="0"),
    Column("products", Integer, nullable=False, server_default="0"),
    Column("holdout_days", Integer, nullable=False, server_default="0"),
    Column("metrics", JSON, nullable=True),
    Column("artifact_path", String(512), nullable=True),
    Column("metadata_path", String(512), nullable=True),
    Index(None, "trained_at"),
    **MYSQL_TABLE,
)

global_price_index = Table(
    "global_price_index",
    metadata,
    Column("day", Date, primary_key=True),
    Column("index_value", Double, nullable=False),
    Column("products", Integer, nullable=False),
    Column("value_source", String(16), nullable=False),
    **MYSQL_TABLE,
)

global_forecasts = Table(
    "global_forecasts",
    metadata,
    Column("model_id", Id, ForeignKey("global_models.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("ds", Date, primary_key=True),
    Column("yhat", Double, nullable=False),
    Column("yhat_lower", Double, nullable=True),
    Column("yhat_upper", Double, nullable=True),
    # The expected (mean) price, for buying decisions; yhat is the median forecast.
    Column("yhat_expected", Double, nullable=True),
    Column("y", Double, nullable=True),
    Column("naive", Double, nullable=True),
    Column("seasonal_naive", Double, nullable=True),
    **MYSQL_TABLE,
)

sent_notifications = Table(
    "sent_notifications",
    metadata,
    # Deterministic key, e.g. "run_success:<run_id>": the exactly-once guard for e-mail.
    Column("notification_key", String(191), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("run_id", String(64), nullable=True),
    Column("recipient", String(255), nullable=False),
    Column("subject", String(512), nullable=False),
    # "pending" until the SMTP server accepted it, then "sent".
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", String(1024), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime, nullable=True),
    **MYSQL_TABLE,
)

product_forecast_summary = Table(
    "product_forecast_summary",
    metadata,
    # The `product_forecasts` asset: one row per active product with its latest model status,
    # metrics and where its forecast ends. Reports, recommendations and the dashboard read this
    # instead of thousands of partitions.
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("reason", String(512), nullable=True),
    Column("trained_at", DateTime, nullable=True),
    Column("code_version", String(64), nullable=True),
    Column("last_price", Double, nullable=True),
    Column("last_price_day", Date, nullable=True),
    Column("forecast_end_day", Date, nullable=True),
    Column("forecast_end", Double, nullable=True),
    Column("forecast_end_lower", Double, nullable=True),
    Column("forecast_end_upper", Double, nullable=True),
    # (forecast_end - last_price) / last_price.
    Column("expected_move", Double, nullable=True),
    Column("mase_naive", Double, nullable=True),
    Column("mase_seasonal_naive", Double, nullable=True),
    Column("coverage_80", Double, nullable=True),
    Column("mape", Double, nullable=True),
    Column("beats_naive", Boolean, nullable=True),
    Column("beats_seasonal_naive", Boolean, nullable=True),
    Column("built_at", DateTime, nullable=False),
    Index(None, "status"),
    **MYSQL_TABLE,
)

consumption_history = Table(
    "consumption_history",
    metadata,
    # The `consumption_history` asset: daily use per product from the ERP export. A load
    # replaces the rows of the file's day range (every product), so re-loading a file or a
    # corrected export never duplicates. Days without a row mean no use.
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("quantity", Quantity, nullable=False),
    # The file it came from (its name, never a machine-local absolute path).
    Column("source", String(255), nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    Index(None, "day"),
    **MYSQL_TABLE,
)

consumption_estimates = Table(
    "consumption_estimates",
    metadata,
    # One row per active product, rebuilt by every load: the expected daily use over the
    # window ending on `as_of` (see lib/consumption/estimate.py) and the days of cover of the
    # current stock (NULL: nothing is used, the stock lasts indefinitely).
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("days_observed", Integer, nullable=False),
    Column("daily_mean", Double, nullable=False),
    Column("daily_std", Double, nullable=False),
    Column("daily_mean_se", Double, nullable=False),
    Column("days_of_cover", Double, nullable=True),
    Column("computed_at", DateTime, nullable=False),
    **MYSQL_TABLE,
)

purchase_recommendations = Table(
    "purchase_recommendations",
    metadata,
    # The `purchase_recommendations` asset: one row per active product per day it was computed
    # (`as_of`); a re-run on the same day replaces that day's rows. Readers take the newest
    # `as_of`; older days stay as the record of what was recommended.
    Column("as_of", Date, primary_key=True),
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    # buy_now | buy_by | wait_until | no_need
    Column("action", String(16), nullable=False),
    Column("action_date", Date, nullable=True),
    Column("suggested_quantity", Quantity, nullable=False),
    Column("expected_unit_price", DailyPrice, nullable=True),
    Column("price_today", DailyPrice, nullable=False),
    # "market" (latest observed daily price) or "reference" (the catalog's price).
    Column("price_source", String(16), nullable=False),
    Column("expected_saving", Money, nullable=False),
    Column("expected_saving_pct", Double, nullable=True),
    # Days until the latest safe order day (negative: late); NULL when not finite.
    Column("urgency_days", Double, nullable=True),
    Column("days_of_cover", Double, nullable=True),
    Column("daily_consumption", Double, nullable=False),
    Column("daily_consumption_std", Double, nullable=False),
    Column("stock_position", Quantity, nullable=False),
    Column("reorder_level", Quantity, nullable=False),
    Column("trusted_model", Boolean, nullable=False),
    # trusted | no_model | not_beating_baselines | no_forecast | reference_price
    Column("model_note", String(32), nullable=False),
    # normal | low (no consumption history: the use is the one the minimum stock implies)
    Column("confidence", String(8), nullable=False, server_default="normal"),
    Column("reason", String(1024), nullable=False),
    Column("generated_at", DateTime, nullable=False),
    Index(None, "sku"),
    **MYSQL_TABLE,
)
