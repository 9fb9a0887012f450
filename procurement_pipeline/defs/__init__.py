"""Dagster wiring, one subpackage per domain. Every definition of the code location is built
through this package, in every process that loads it (code server, daemon, run workers,
`make run`).

Dagster warns, once per process, that some parameters used here are beta or preview (such as
``backfill_policy`` on ``@asset``). The Dagster family is pinned together and the behaviour is
tested, so those lines tell an operator nothing; these two categories are ignored here, before
any definition is built. Every other warning (deprecations included) still shows.
"""

import warnings

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
