import dagster as dg

from procurement_pipeline.defs.history.assets import (
    daily_history_freshness,
    daily_history_interpolated_share,
    daily_history_prices_positive,
    daily_history_unique_product_day,
    daily_price_history,
    synthetic_price_history,
)

history_job = dg.define_asset_job(
    "history_job",
    selection=dg.AssetSelection.assets(daily_price_history, synthetic_price_history),
    description="Rebuild the cleaned daily history and the synthetic gap-filler.",
)

defs = dg.Definitions(
    assets=[daily_price_history, synthetic_price_history],
    asset_checks=[
        daily_history_unique_product_day,
        daily_history_prices_positive,
        daily_history_interpolated_share,
        daily_history_freshness,
    ],
    jobs=[history_job],
)
