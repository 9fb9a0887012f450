"""What one automation cycle does after the daily history was rebuilt (pure; no Dagster).

The cycle planner (defs/automation) gathers, from the warehouse and Dagster's event log, which
products' cleaned history differs from what their model was trained on, which product reports
are older than their model, and which once-per-cycle assets are behind their inputs; this
module turns that into one plan: the product partitions to retrain (widened to few contiguous
ranges, because a backfill launches one run per contiguous range of partitions), the product
reports to rebuild, and the catalog-wide assets to refresh once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# A 3,000-product retrain runs as 2 runs of 1,500 side by side (the instance lets a backfill
# take 3 runs at once): every run pays its start-up (a process, the code location, ~10 s) and
# its steps' bookkeeping, so on 2 cores fewer, larger runs finish the cycle sooner (6 runs of
# 500 took 330 s of a 523 s cycle, benchmarks/cycle.py).
PRODUCTS_PER_RUN = 1500
# A change touching more separate stretches of partitions than this is covered by ranges of up
# to PRODUCTS_PER_RUN partitions instead (some unchanged products retrain too).
MAX_RETRAIN_RUNS = 12


def plan_retraining_batches(
    partition_keys: Sequence[str],
    changed: Sequence[str],
    max_per_run: int = PRODUCTS_PER_RUN,
    max_runs: int = MAX_RETRAIN_RUNS,
) -> list[tuple[str, str]]:
    """Partition ranges (start, end), in partition order, that cover exactly the changed
    products in runs of at most max_per_run partitions; when that takes more than max_runs
    runs (changes scattered all over the catalog), ranges of max_per_run consecutive
    partitions starting at changed products instead."""
    wanted = set(changed)
    positions = [i for i, key in enumerate(partition_keys) if key in wanted]
    if not positions:
        return []
    exact: list[tuple[int, int]] = []
    start = prev = positions[0]
    for pos in positions[1:]:
        if pos == prev + 1 and pos - start < max_per_run:
            prev = pos
            continue
        exact.append((start, prev))
        start = prev = pos
    exact.append((start, prev))
    if len(exact) > max_runs:
        covering: list[tuple[int, int]] = []
        for pos in positions:
            if covering and pos - covering[-1][0] < max_per_run:
                covering[-1] = (covering[-1][0], pos)
            else:
                covering.append((pos, pos))
        exact = covering
    return [(partition_keys[a], partition_keys[b]) for a, b in exact]


def keys_in_ranges(partition_keys: Sequence[str], ranges: Sequence[tuple[str, str]]) -> list[str]:
    """Every partition key inside the (start, end) ranges, in partition order."""
    position = {key: i for i, key in enumerate(partition_keys)}
    selected: list[str] = []
    for start, end in ranges:
        selected += partition_keys[position[start] : position[end] + 1]
    return selected


@dataclass(frozen=True)
class CyclePlan:
    """One cycle: ``retrain`` product partitions (model and report), ``reports`` partitions
    whose report alone is rebuilt, and the once-per-cycle assets in ``refresh`` with why."""

    changed: tuple[str, ...] = ()
    retrain: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()
    refresh: tuple[str, ...] = ()
    reasons: Mapping[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.retrain or self.reports or self.refresh)

    def summary(self) -> str:
        if self.empty:
            return "nothing changed: no product's history differs from its model, nothing behind"
        parts = [
            f"{len(self.changed)} product(s) changed, {len(self.retrain)} retrained",
            f"{len(self.reports)} report(s) behind their model",
        ]
        if self.refresh:
            parts.append("refresh " + ", ".join(self.refresh))
        return "; ".join(parts)


def plan_cycle(
    partition_keys: Sequence[str],
    changed: Sequence[str],
    reports_behind: Sequence[str],
    behind: Mapping[str, str],
    once_per_cycle: Sequence[str],
    downstream: Mapping[str, Sequence[str]],
    *,
    max_per_run: int = PRODUCTS_PER_RUN,
    max_runs: int = MAX_RETRAIN_RUNS,
) -> CyclePlan:
    """The cycle for one rebuilt history.

    - ``changed``: products whose cleaned history differs from what their model saw;
    - ``reports_behind``: products whose report is older than their model (a failed report
      run in an earlier cycle);
    - ``behind``: once-per-cycle assets that are missing or older than one of their inputs,
      with the reason (a failed run in an earlier cycle, or an input refreshed on its own);
    - ``once_per_cycle``: those assets in dependency order; ``downstream``: asset -> the
      once-per-cycle assets that read it.

    Retraining anything refreshes every once-per-cycle asset; otherwise only what is behind
    and what reads it. Nothing changed and nothing behind: an empty plan."""
    ranges = plan_retraining_batches(partition_keys, changed, max_per_run, max_runs)
    retrain = keys_in_ranges(partition_keys, ranges)
    retrained = set(retrain)
    reports = [key for key in partition_keys if key in set(reports_behind) and key not in retrained]
    reasons: dict[str, str] = {}
    if retrain:
        reasons = {name: f"{len(retrain)} product(s) retrained" for name in once_per_cycle}
    else:
        pending = list(behind)
        while pending:
            name = pending.pop()
            if name in reasons:
                continue
            reasons[name] = behind.get(name) or "reads an asset refreshed in this cycle"
            pending += [child for child in downstream.get(name, ()) if child not in reasons]
    return CyclePlan(
        changed=tuple(key for key in partition_keys if key in set(changed)),
        retrain=tuple(retrain),
        reports=tuple(reports),
        refresh=tuple(name for name in once_per_cycle if name in reasons),
        reasons=reasons,
    )
