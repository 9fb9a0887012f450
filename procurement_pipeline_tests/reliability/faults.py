"""Every fault and hostile input the project is tested against, with the tests that show the
protection holds. The README's "Reliability" table has the same rows; test_faults.py checks
that every test named here exists, so a row cannot outlive its test."""

from __future__ import annotations

from typing import NamedTuple


class Fault(NamedTuple):
    fault: str
    protection: str
    tests: tuple[str, ...]  # test files (paths under procurement_pipeline_tests/)


FAULTS: tuple[Fault, ...] = (
    Fault(
        "A window re-run during an outage erased the window's good data and reported success",
        "store_window keeps per product the better of old and new; above failure_share_limit "
        "the run fails after storing what was good, and the alert e-mail follows",
        ("defs/prices/test_window_rerun.py",),
    ),
    Fault(
        "A killed run stayed STARTED and kept its scraperapi pool slot and scraping tag",
        "run_monitoring in every instance file: start/cancel timeouts, 6 h max runtime, dead "
        "runs' slots freed after 60 s",
        ("deploy/test_run_monitoring.py",),
    ),
    Fault(
        "Catalog partitions registered in one call over SQLite's variable limit; a crash "
        "between the upsert and the registration left them diverged",
        "partitions reconciled with the active catalog on every run, in batches of 10,000",
        ("defs/catalog/test_partition_sync.py", "defs/catalog/test_partition_batches.py"),
    ),
    Fault(
        "Markdown/HTML in a product name rendered as a link or a remote image in the dashboard",
        "catalog text through dashboard.text.md; offer links http(s) only",
        ("dashboard/test_injection.py", "dashboard/test_browser_injection.py"),
    ),
    Fault(
        "CSV export cells starting with = + - @ tab CR ran as formulas in a spreadsheet",
        "lib.export.neutralize_formulas on text columns only",
        ("lib/test_export.py", "dashboard/test_injection.py"),
    ),
    Fault(
        "Duplicate header column, a 0.004 price, out-of-range numbers, a 128 KB field, a huge "
        "file of invalid rows",
        "header check, bounds from the column types, line-size limit, streaming reader, a cap "
        "on the problems kept",
        (
            "lib/catalog/test_validation_limits.py",
            "lib/consumption/test_validation_limits.py",
            "lib/catalog/test_validation.py",
        ),
    ),
    Fault(
        "SKUs differing only in case or accents: distinct on SQLite, IntegrityError on MySQL",
        "sku_key judges SKUs as utf8mb4_unicode_ci, in the file and against the warehouse; the "
        "asset fails with the colliding SKUs named",
        ("lib/catalog/test_sku_collation.py", "defs/catalog/test_catalog_sku_collision.py"),
    ),
    Fault(
        "A ScraperAPI key with surrounding whitespace: 401 on every request",
        "stripped once where the resource reads it",
        ("defs/prices/test_key_whitespace.py",),
    ),
    Fault(
        "A training run killed between writing model files and committing, or two trainings "
        "overlapping, left registry rows describing another model than the file at their path",
        "files named after the run's training id, never overwritten; rows point to them only "
        "from the commit on; replaced files removed after it; unreferenced files swept",
        (
            "defs/forecasting/test_model_files_match_registry.py",
            "lib/forecasting/test_publish.py",
        ),
    ),
    Fault(
        "Report PDFs written with mode 0600",
        "the one atomic writer (lib.artifacts.atomic_path) creates files 0666 & ~umask",
        ("lib/reporting/test_report_modes.py",),
    ),
    Fault(
        "Three first runs at once on a fresh local Dagster home corrupted it",
        "the Makefile target that prepares DAGSTER_HOME initialises the instance once, under "
        "a lock",
        ("defs/test_instance_setup.py",),
    ),
    Fault(
        "A training run killed with SIGKILL left its pool's worker processes waiting for work "
        "forever, Prophet loaded; every killed training added more (found by the soak "
        "benchmark)",
        "each pool worker ends itself once the process that started it is gone",
        ("reliability/test_killed_training_workers.py",),
    ),
    Fault(
        "A run launched while its code server was still starting (after a restart or a "
        "deploy) failed at once",
        "run_queue.max_user_code_failure_retries in every instance file: the launch goes back "
        "to the queue, 3 times, 30 s apart",
        ("deploy/test_run_monitoring.py",),
    ),
    Fault(
        "A cycle of 3,000 products overflowed MySQL's 64 KB job_ticks.tick_body: every "
        "planner tick failed on the production instance, the chain stopped after the history "
        "(found by benchmarks/cycle.py --instance mysql)",
        "the planner submits the cycle's backfill itself (LONGTEXT bulk_actions, id "
        "cycle-<history event>, once per history); its tick holds no run request",
        ("defs/automation/test_cycle_planner.py", "deploy/test_mysql_instance.py"),
    ),
    Fault(
        "Each training run left empty temp folders; a killed one left CmdStan files",
        "worker temp inside the run's scratch; scratch named after its owner process, orphans "
        "removed by the next run",
        ("lib/forecasting/test_scratch_cleanup.py",),
    ),
    Fault(
        "Artifacts (models, PDFs) written with mode 0600: a dashboard running as another user "
        "could not read them",
        "temporary files created 0666 & ~umask before the rename",
        ("lib/test_artifact_modes.py",),
    ),
    Fault(
        "The ScraperAPI key in logs, metadata, exceptions, stdout or stored rows",
        "URLs redacted before logging; the key is an EnvVar, never a config value",
        (
            "defs/prices/test_secret_redaction.py",
            "lib/test_logging.py",
            "defs/test_environment.py",
        ),
    ),
    Fault(
        "ScraperAPI 429/5xx, timeouts, 401/403, challenge pages and empty pages",
        "retries with backoff on transient errors, fail-fast on auth errors, per-product "
        "failure isolation",
        ("lib/scraping/test_scraperapi.py", "defs/prices/test_scraped_prices.py"),
    ),
    Fault(
        "SMTP server down, 4xx replies, a restart between claiming and sending",
        "exactly-once ledger (sent_notifications): claimed before sending, retried every tick, "
        "never sent twice",
        (
            "defs/alerts/test_notification_sensor.py",
            "lib/notifications/test_outbox.py",
            "lib/notifications/test_mailer.py",
        ),
    ),
    Fault(
        "Bad catalog or consumption input half-written into the warehouse",
        "validation before any write; upserts in one transaction, rolled back on failure",
        (
            "defs/catalog/test_product_catalog.py",
            "defs/recommendations/test_consumption_history.py",
        ),
    ),
    Fault(
        "A failed run in the middle of the automation chain",
        "one alert per failed run; the next cycle refreshes what was missed, nothing twice",
        ("automation/test_runs_by_itself.py", "defs/automation/test_cycle_planner.py"),
    ),
    Fault(
        "A re-cleaned history with the same shape but another price not seen as a change",
        "content fingerprints of each product's history compared with its model's",
        ("lib/history/test_fingerprint.py", "defs/automation/test_cycle_planner.py"),
    ),
)
