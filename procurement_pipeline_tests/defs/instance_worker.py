"""A process that opens the local Dagster instance ($DAGSTER_HOME) and runs one asset on it:
what each of several first runs at once does. Exit status 0 when the run succeeded.

    python -m procurement_pipeline_tests.defs.instance_worker <start_at_unix_time>

Every worker waits for the same start time, so they open the instance together.
"""

from __future__ import annotations

import sys
import time

import dagster as dg


@dg.asset
def probe() -> int:
    return 1


def main(argv: list[str]) -> int:
    start_at = float(argv[1]) if len(argv) > 1 else 0.0
    while time.time() < start_at:
        time.sleep(0.002)
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([probe], instance=instance, raise_on_error=False)
    print(f"run {result.run_id} success={result.success}", flush=True)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
