"""The code location loads, and its asset graph is what we say it is.

The snapshot (snapshots/asset_graph.json) is the reviewed shape of the graph: asset keys, their
partitions, dependencies, checks, schedules, sensors and jobs. A change to the graph must change
the snapshot in the same commit: regenerate with
`UPDATE_SNAPSHOTS=1 pytest procurement_pipeline_tests/defs/test_definitions.py`.
"""

import json
import os
from pathlib import Path

import dagster as dg

from procurement_pipeline.definitions import defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def _partitions(partitions_def) -> str | None:
    if partitions_def is None:
        return None
    if isinstance(partitions_def, dg.DynamicPartitionsDefinition):
        return f"dynamic:{partitions_def.name}"
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return f"time:{partitions_def.cron_schedule}:{partitions_def.timezone}"
    return type(partitions_def).__name__


def graph_shape() -> dict:
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    assets = {}
    for key in sorted(graph.get_all_asset_keys()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "partitions": _partitions(node.partitions_def),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "checks": sorted(c.name for c in node.check_keys),
            "automation": node.automation_condition.get_label()
            if node.automation_condition
            else None,
        }
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")),
        "schedules": sorted(s.name for s in repo.schedule_defs),
        "sensors": sorted(s.name for s in repo.sensor_defs),
    }


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)
    assert defs.get_repository_def().asset_graph.get_all_asset_keys()


def test_asset_graph_matches_snapshot():
    shape = graph_shape()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(shape, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert shape == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_products_partitions_are_dynamic_and_named_products():
    graph = defs.get_repository_def().asset_graph
    partitioned = [
        graph.get(key).partitions_def
        for key in graph.get_all_asset_keys()
        if isinstance(graph.get(key).partitions_def, dg.DynamicPartitionsDefinition)
    ]
    assert all(p.name == "products" for p in partitioned)


def test_jobs_are_what_an_operator_launches():
    names = {
        j.name for j in defs.get_repository_def().get_all_jobs() if not j.name.startswith("__")
    }
    assert names == {"scrape_job", "history_job", "retrain_job", "reports_job", "demo_history_job"}


def test_the_chain_runs_by_default_and_only_e_mail_waits_for_smtp(monkeypatch):
    """The schedule, the history automation and the cycle planner start running whatever the
    e-mail settings; the e-mail sensors start stopped without SMTP and say why in the UI."""
    from procurement_pipeline.defs.alerts.resources import NOT_CONFIGURED
    from procurement_pipeline.defs.alerts.sensors import build_notification_sensor
    from procurement_pipeline.defs.recommendations.sensors import build_opportunity_sensor

    repo = defs.get_repository_def()
    running = dg.DefaultSensorStatus.RUNNING
    assert repo.get_schedule_def("scrape_every_8_hours").default_status == (
        dg.DefaultScheduleStatus.RUNNING
    )
    for name in ("history_after_each_scrape", "plan_cycle_after_history"):
        assert repo.get_sensor_def(name).default_status == running
        assert "e-mail" in repo.get_sensor_def(name).description
    for build in (build_notification_sensor, build_opportunity_sensor):
        off, on = build(False), build(True)
        assert off.default_status == dg.DefaultSensorStatus.STOPPED
        assert NOT_CONFIGURED in off.description and "SMTP_HOST" in off.description
        assert on.default_status == running
