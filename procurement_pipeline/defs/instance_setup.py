"""Initialise a Dagster home's instance storage once, before anything opens it concurrently.

On a brand-new SQLite DAGSTER_HOME every process that opens the instance creates the schema of
runs.db, the event-log index and schedules.db and stamps their Alembic revision; several first
runs at once (or the webserver, the daemon and a run) stamp more than one head, and from then
on every open fails with "alembic_version has more than one head" until the home is deleted.

The Makefile target that prepares DAGSTER_HOME (which `make run`, `make dev` and
`make dagster-ui` depend on) runs ``python -m procurement_pipeline.defs.instance_setup`` after
copying dagster.yaml: one process, under an exclusive file lock in the home (so two `make` at
once are safe too), opens every storage, so whatever starts afterwards finds the schema in
place. On a home that is already initialised it only opens the instance (harmless, quick); it
never migrates (after a Dagster upgrade: `dagster instance migrate`, see README).
"""

from __future__ import annotations

import fcntl
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from procurement_pipeline.lib import settings

LOCK_NAME = ".instance_setup.lock"


@dataclass(frozen=True)
class InstanceSetup:
    home: Path
    run_storage: str
    event_log_storage: str
    schedule_storage: str
    runs: int


def initialize_instance(home: str | os.PathLike[str] | None = None) -> InstanceSetup:
    """Create (or just open) the instance storage of `home` (default: $DAGSTER_HOME, else the
    project's local state folder), one process at a time."""
    path = Path(home).resolve() if home is not None else settings.dagster_home()
    path.mkdir(parents=True, exist_ok=True)
    with (path / LOCK_NAME).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        with dg.DagsterInstance.from_config(str(path)) as instance:
            # Constructing the instance creates the storages; read each once so a storage that
            # creates its tables lazily does so here, inside the lock.
            runs = instance.get_runs_count()
            instance.event_log_storage.get_dynamic_partitions("__instance_setup__")
            instance.schedule_storage.all_instigator_state()
            return InstanceSetup(
                home=path,
                run_storage=type(instance.run_storage).__name__,
                event_log_storage=type(instance.event_log_storage).__name__,
                schedule_storage=type(instance.schedule_storage).__name__,
                runs=runs,
            )


def main() -> int:
    setup = initialize_instance()
    print(
        f"Dagster instance ready in {setup.home} ({setup.run_storage}, "
        f"{setup.event_log_storage}, {setup.schedule_storage}; {setup.runs} runs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
