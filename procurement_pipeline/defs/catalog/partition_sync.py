"""Keep a dynamic partitions definition equal to a set of keys, in batches.

The catalog lives in the warehouse and its partitions in Dagster's instance storage: two
databases, never one transaction. So `product_catalog` does not register "what changed" but
reconciles the partitions with the active catalog on every run: a run after a crash between
the warehouse commit and the registration (or after anyone edited the partitions) repairs
them, even when the catalog file is unchanged.

Batches: `add_dynamic_partitions` binds every key of a call in one statement (plus the
definition's name), and SQLite refuses more than 32,766 variables per statement in stock
builds (250,000 in Debian's): one call for a big catalog fails, and every re-run fails the
same way. Batches of 10,000 stay under both. Removals go in batches as well: one DELETE per
batch on SQL storages (SQLite, MySQL, Postgres), the public per-key call elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import dagster as dg
from dagster._core.storage.event_log.schema import DynamicPartitionsTable
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

PARTITION_BATCH = 10_000

# progress(action, done, total): action is "added" or "removed"; called after each batch.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PartitionSync:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def batches(keys: Sequence[str], size: int) -> list[list[str]]:
    if size < 1:
        raise ValueError("batch size must be at least 1")
    return [list(keys[i : i + size]) for i in range(0, len(keys), size)]


def delete_dynamic_partitions(
    instance: dg.DagsterInstance, partitions_def_name: str, keys: Sequence[str]
) -> None:
    """Delete `keys` (one batch) from the definition; keys that are not there are ignored."""
    if not keys:
        return
    storage = instance.event_log_storage
    if isinstance(storage, SqlEventLogStorage):
        # What delete_dynamic_partition does for one key, for a whole batch in one statement.
        with storage.index_connection() as conn:
            conn.execute(
                DynamicPartitionsTable.delete().where(
                    DynamicPartitionsTable.c.partitions_def_name == partitions_def_name,
                    DynamicPartitionsTable.c.partition.in_(list(keys)),
                )
            )
        return
    for key in keys:
        instance.delete_dynamic_partition(partitions_def_name, key)


def sync_dynamic_partitions(
    instance: dg.DagsterInstance,
    partitions_def_name: str,
    wanted: Iterable[str],
    *,
    batch_size: int = PARTITION_BATCH,
    progress: Progress | None = None,
) -> PartitionSync:
    """Make the definition's partitions exactly `wanted`: add the missing keys and delete the
    extra ones, `batch_size` keys per call. Idempotent; safe to re-run after a crash at any
    point (each batch is committed on its own, and the next run computes what is left)."""
    wanted_set = set(wanted)
    registered = set(instance.get_dynamic_partitions(partitions_def_name))
    to_add = sorted(wanted_set - registered)
    to_remove = sorted(registered - wanted_set)
    done = 0
    for batch in batches(to_add, batch_size):
        instance.add_dynamic_partitions(partitions_def_name, batch)
        done += len(batch)
        if progress is not None:
            progress("added", done, len(to_add))
    done = 0
    for batch in batches(to_remove, batch_size):
        delete_dynamic_partitions(instance, partitions_def_name, batch)
        done += len(batch)
        if progress is not None:
            progress("removed", done, len(to_remove))
    return PartitionSync(added=to_add, removed=to_remove)
