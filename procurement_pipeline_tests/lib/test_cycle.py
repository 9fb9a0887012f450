"""The cycle plan: what one automation cycle retrains and refreshes."""

from __future__ import annotations

from procurement_pipeline.lib.cycle import plan_cycle, plan_retraining_batches

ONCE = ["product_forecasts", "purchase_recommendations", "global_price_model", "catalog_report"]
DOWNSTREAM = {
    "product_forecasts": ["purchase_recommendations", "catalog_report"],
    "purchase_recommendations": ["catalog_report"],
    "global_price_model": [],
    "catalog_report": [],
}


def sku(i: int) -> str:
    return f"P-{i:05d}"


def test_plan_batches_exact_ranges_chunked_and_scattered_fallback():
    keys = [sku(i) for i in range(1200)]
    assert plan_retraining_batches(keys, [], max_per_run=500) == []
    assert plan_retraining_batches(keys, keys, max_per_run=500) == [
        (sku(0), sku(499)),
        (sku(500), sku(999)),
        (sku(1000), sku(1199)),
    ]
    assert plan_retraining_batches(keys, [sku(3), sku(4), sku(9)], max_per_run=500) == [
        (sku(3), sku(4)),
        (sku(9), sku(9)),
    ]
    # Every third product changed: 400 stretches would be 400 runs; ranges of <= 500 instead.
    scattered = keys[::3]
    plan = plan_retraining_batches(keys, scattered, max_per_run=500, max_runs=12)
    assert len(plan) == 3
    covered = {k for a, b in plan for k in keys[keys.index(a) : keys.index(b) + 1]}
    assert set(scattered) <= covered
    assert all(keys.index(b) - keys.index(a) < 500 for a, b in plan)


def test_nothing_changed_nothing_behind_is_an_empty_plan():
    plan = plan_cycle([sku(i) for i in range(5)], [], [], {}, ONCE, DOWNSTREAM)
    assert plan.empty and plan.retrain == () and plan.refresh == ()
    assert "nothing changed" in plan.summary()


def test_retraining_refreshes_every_once_per_cycle_asset_once():
    keys = [sku(i) for i in range(5)]
    plan = plan_cycle(keys, [sku(3), sku(1)], [sku(1), sku(4)], {}, ONCE, DOWNSTREAM)
    assert plan.changed == (sku(1), sku(3))
    assert plan.retrain == (sku(1), sku(3))
    # The report of a retrained product is rebuilt with its model; sku 4's alone.
    assert plan.reports == (sku(4),)
    assert plan.refresh == tuple(ONCE)
    assert not plan.empty


def test_what_an_earlier_cycle_missed_is_refreshed_with_what_reads_it():
    keys = [sku(i) for i in range(5)]
    plan = plan_cycle(
        keys, [], [], {"product_forecasts": "older than the newest model"}, ONCE, DOWNSTREAM
    )
    assert plan.retrain == ()
    assert plan.refresh == ("product_forecasts", "purchase_recommendations", "catalog_report")
    assert plan.reasons["product_forecasts"] == "older than the newest model"
    only_global = plan_cycle(keys, [], [], {"global_price_model": "failed"}, ONCE, DOWNSTREAM)
    assert only_global.refresh == ("global_price_model",)


def test_scattered_changes_are_widened_to_few_runs():
    keys = [sku(i) for i in range(3000)]
    changed = keys[::7]
    plan = plan_cycle(keys, changed, [], {}, ONCE, DOWNSTREAM)
    assert set(changed) <= set(plan.retrain)
    ranges = plan_retraining_batches(keys, changed)
    assert len(ranges) <= 12
