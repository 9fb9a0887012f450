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
