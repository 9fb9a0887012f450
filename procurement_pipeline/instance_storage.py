"""Dagster instance storage that writes a step's per-partition asset events in one transaction.

A run over 1,500 product partitions ends each step with 1,500 ASSET_MATERIALIZATION events.
Dagster hands them to the storage as one batch when DAGSTER_EVENT_BATCH_SIZE is set (the
events of one step output over a partition range carry batch metadata), but its SQL storages
store a batch one event at a time: on SQLite each event opens two databases (run shard and
index), builds two SQLAlchemy engines and commits twice, about 25 ms; on MySQL each is three
commits. These classes store the batch with the same statements Dagster uses for one event
(``prepare_insert_event``, ``_store_asset_event_tags``, ``_store_asset_event``), in one
transaction per database, and update the asset's own row once per asset and event type rather
than once per partition. Anything that is not a batch of asset events of one run goes the
usual way. ``procurement_pipeline_tests/test_instance_storage.py`` checks that a batch leaves
exactly the rows the one-by-one path leaves, so a Dagster upgrade that changes those internals
fails there.

Configured in dagster.yaml (``instance_class``, whose default storage has the batched event log,
under whatever DAGSTER_HOME the instance is opened from) and deploy/dagster.yaml
(``event_log_storage``); the batch size is the DAGSTER_EVENT_BATCH_SIZE environment variable
(Makefile, Dockerfile, local_dagster).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import yaml
from dagster import DagsterInstance
from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlalchemy_compat import db_result
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
)
from dagster._serdes import ConfigurableClassData
from dagster_mysql import MySQLEventLogStorage
from dagster_mysql.utils import mysql_url_from_config


def _batchable(events: Sequence[EventLogEntry]) -> bool:
    """A batch of asset events (with an asset key) of a single run."""
    return (
        len(events) > 1
        and len({event.run_id for event in events}) == 1
        and all(
            event.is_dagster_event
            and event.dagster_event_type in ASSET_EVENTS
            and event.dagster_event.asset_key
            for event in events
        )
    )


def _latest_per_asset_and_type(events: Sequence[EventLogEntry]) -> list[int]:
    """Positions of the last event of each (asset key, event type), in batch order.

    ``_store_asset_event`` overwrites an asset's row (last materialization, last run id, last
    event time) with values taken from one event, each column set by given event types only; so
    applying, in order, the last event of each type leaves the row as applying every event
    would, with one write per asset and type instead of one per partition."""
    last = {(e.dagster_event.asset_key, e.dagster_event_type): i for i, e in enumerate(events)}
    return sorted(last.values())


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    """SQLite event log: a batch is one transaction in the run shard and one in the index."""

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        if not _batchable(events):
            super().store_event_batch(events)
            return
        statements = [self.prepare_insert_event(event) for event in events]
        with self.run_connection(events[0].run_id) as conn:
            for statement in statements:
                conn.execute(statement)
        # As store_event: asset events are mirrored in the index shard, whose ids they keep.
        with self.index_transaction() as conn:
            event_ids = []
            for statement in statements:
                with db_result(conn, statement) as result:
                    event_ids.append(result.inserted_primary_key[0])
            self._store_asset_event_tags(conn, list(events), event_ids)
            for i in _latest_per_asset_and_type(events):
                self._store_asset_event(conn, events[i], event_ids[i])


class BatchedSqliteStorage(DagsterSqliteStorage):
    """The embedded instance's storage (runs, schedules as Dagster's) with the batched event log."""

    def __init__(self, base_dir: str, inst_data=None):
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = BatchedSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls.from_local(inst_data=inst_data, **config_value)


class BatchedMySQLEventLogStorage(MySQLEventLogStorage):
    """MySQL event log: a batch is one transaction."""

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, mysql_url=mysql_url_from_config(config_value))

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        if not _batchable(events):
            super().store_event_batch(events)
            return
        with self.index_transaction() as conn:
            event_ids = []
            for event in events:
                with db_result(conn, self.prepare_insert_event(event)) as result:
                    event_ids.append(result.inserted_primary_key[0])
            self._store_asset_event_tags(conn, list(events), event_ids)
            for i in _latest_per_asset_and_type(events):
                self._store_asset_event(conn, events[i], event_ids[i])


class ProcurementInstance(DagsterInstance):
    """The embedded instance (dagster.yaml ``instance_class``): Dagster's own, whose default
    storage (SQLite under DAGSTER_HOME, when dagster.yaml names none) has the batched event log.
    A storage named in dagster.yaml (deploy/: MySQL) is used as written."""

    @classmethod
    def config_schema(cls) -> dict:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        defaults = dict(InstanceRef.config_defaults(base_dir))
        defaults["storage"] = ConfigurableClassData(
            __name__, BatchedSqliteStorage.__name__, yaml.dump({"base_dir": base_dir})
        )
        return defaults
