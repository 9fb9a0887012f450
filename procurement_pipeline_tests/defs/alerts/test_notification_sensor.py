"""email_run_outcomes on real runs, a real SMTP server (aiosmtpd) and the warehouse ledger:
exactly once across ticks and a restart, SMTP down then up, failure alerts."""

from __future__ import annotations

import io
import time

import dagster as dg
import pytest
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from pypdf import PdfReader
from sqlalchemy import delete, select

from procurement_pipeline.defs import catalog, forecasting, history, reports
from procurement_pipeline.defs.alerts.resources import NOT_CONFIGURED, MailerResource
from procurement_pipeline.defs.alerts.sensors import build_notification_sensor
from procurement_pipeline.defs.automation.jobs import retrain_job
from procurement_pipeline.defs.forecasting.assets import product_price_models
from procurement_pipeline.defs.partitions import products_partitions
from procurement_pipeline.defs.prices.resources import DemoMarketResource
from procurement_pipeline.defs.recommendations.assets import (
    consumption_history,
    purchase_recommendations,
)
from procurement_pipeline.defs.reports.assets import global_report, product_reports
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.defs.tags import BACKFILL_TAG, CYCLE_TAG, RETRAINING_TAG
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.schema import sent_notifications
from procurement_pipeline_tests.defs.reports.seed import MODEL_CONFIG, seeded_copy
from procurement_pipeline_tests.lib.notifications.conftest import (
    RecordingHandler,
    free_port,
    local_smtp,
    smtp_server,
)

pytestmark = pytest.mark.slow
SINGLE = "TEC-00001"
CYCLE_BACKFILL = "cycle001"


class Runs:
    """Real runs in one temporary instance: a single-product retraining, a two-product
    retraining batch, a failed run and a success that is not a retraining."""

    def __init__(self, instance, seeded, empty_url, artifacts_root):
        self.instance, self.seeded = instance, seeded
        defs = dg.Definitions.merge(
            catalog.defs,
            history.defs,
            forecasting.defs,
            reports.defs,
            dg.Definitions(
                assets=[consumption_history, purchase_recommendations],
                jobs=[retrain_job],
                resources={**seeded.resources(), "marketplace": DemoMarketResource()},
            ),
        )
        single = defs.resolve_job_def("retrain_job").execute_in_process(
            instance=instance,
            partition_key=SINGLE,
            run_config={"ops": {"product_price_models": MODEL_CONFIG}},
        )
        assert single.dagster_run.tags[RETRAINING_TAG] == "true"
        batch = dg.materialize(
            [product_reports],
            instance=instance,
            resources=seeded.resources(),
            tags={
                ASSET_PARTITION_RANGE_START_TAG: seeded.skus[0],
                ASSET_PARTITION_RANGE_END_TAG: seeded.skus[1],
                RETRAINING_TAG: "true",
            },
        )
        failed = dg.materialize(
            [global_report],
            instance=instance,
            resources={
                "warehouse": WarehouseResource(database_url=empty_url),
                "artifact_store": ArtifactStoreResource(root=str(artifacts_root)),
            },
            raise_on_error=False,
        )
        assert not failed.success
        other = dg.materialize(
            [product_reports], instance=instance, resources=seeded.resources(), partition_key=SINGLE
        )
        # An automation cycle: its runs carry the backfill's tag and are not mailed one by one;
        # the finished backfill is mailed once.
        in_cycle = dg.materialize(
            [product_reports],
            instance=instance,
            resources=seeded.resources(),
            partition_key=SINGLE,
            tags={RETRAINING_TAG: "true", BACKFILL_TAG: CYCLE_BACKFILL},
        )
        cycle = PartitionBackfill.from_asset_graph_subset(
            backfill_id=CYCLE_BACKFILL,
            backfill_timestamp=time.time(),
            tags={CYCLE_TAG: "1", RETRAINING_TAG: "true"},
            dynamic_partitions_store=instance,
            asset_graph_subset=AssetGraphSubset(
                partitions_subsets_by_asset_key={
                    product_price_models.key: products_partitions.subset_with_partition_keys(
                        seeded.skus[:2]
                    )
                }
            ),
            title=None,
            description=None,
            run_config=None,
        )
        instance.add_backfill(cycle.with_status(BulkActionStatus.COMPLETED_SUCCESS))
        self.single, self.batch, self.failed = single.run_id, batch.run_id, failed.run_id
        self.other, self.in_cycle = other.run_id, in_cycle.run_id


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alerts")
    with dg.instance_for_test() as instance:
        seeded = seeded_copy(instance, folder / "seed")
        yield Runs(instance, seeded, f"sqlite:///{folder / 'empty.sqlite'}", folder / "empty")


@pytest.fixture
def ledger(runs):
    engine = create_warehouse_engine(runs.seeded.database_url)
    with engine.begin() as conn:
        conn.execute(delete(sent_notifications))
    yield engine
    engine.dispose()


def mailer_for(port: int, **overrides) -> MailerResource:
    values = {"webserver_url": "http://dagster.example:3000", **overrides}
    return MailerResource(**local_smtp(port, **values))


def tick(runs, mailer: MailerResource, cursor: str | None = None):
    resources = {
        "warehouse": WarehouseResource(database_url=runs.seeded.database_url),
        "artifact_store": ArtifactStoreResource(root=str(runs.seeded.artifact_root)),
        "mailer": mailer,
    }
    sensor = build_notification_sensor(True)
    with dg.build_sensor_context(
        instance=runs.instance, cursor=cursor, resources=resources
    ) as context:
        result = sensor(context)
    return result


def ledger_rows(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(sent_notifications)).mappings().all()
    return {r["run_id"]: dict(r) for r in rows}


def by_run(handler: RecordingHandler, run_id: str):
    found = [m for _f, _to, m in handler.messages if run_id in m.get_body(("plain",)).get_content()]
    return found


def pdf_attachment(message) -> tuple[str, PdfReader]:
    (part,) = list(message.iter_attachments())
    return part.get_filename(), PdfReader(io.BytesIO(part.get_payload(decode=True)))


def test_each_run_emailed_exactly_once_across_ticks_and_a_restart(runs, ledger):
    with smtp_server() as (controller, handler):
        mailer = mailer_for(controller.port)
        first = tick(runs, mailer)
        assert len(handler.messages) == 4
        rows = ledger_rows(ledger)
        # Not the untagged run, not the run inside the cycle: the cycle itself, once.
        assert set(rows) == {runs.single, runs.batch, runs.failed, CYCLE_BACKFILL}
        assert {r["status"] for r in rows.values()} == {"sent"}
        assert all(r["attempts"] == 1 and r["sent_at"] for r in rows.values())

        second = tick(runs, mailer, first.cursor)
        assert len(handler.messages) == 4 and second.cursor >= first.cursor
        # "Restart": a new process has no cursor and new resources; the ledger still says sent.
        tick(runs, mailer_for(controller.port), None)
        assert len(handler.messages) == 4

    (cycle,) = [m for _f, _to, m in handler.messages if f"/runs/b/{CYCLE_BACKFILL}" in str(m)]
    name, pdf = pdf_attachment(cycle)
    assert name.startswith("relatorio_catalogo_")
    assert cycle["Subject"].startswith("Previsões de preços atualizadas")
    assert rows[CYCLE_BACKFILL]["kind"] == "cycle_succeeded"

    (single,) = by_run(handler, runs.single)
    name, pdf = pdf_attachment(single)
    assert name == f"relatorio_{SINGLE}.pdf"
    assert "Tecido suede amassado café" in pdf.pages[0].extract_text()
    assert (
        f"http://dagster.example:3000/runs/{runs.single}"
        in single.get_body(("plain",)).get_content()
    )
    assert single["Subject"].startswith("Previsões de preços atualizadas")
    assert "1 treinados" in single["Subject"]

    (batch,) = by_run(handler, runs.batch)
    name, pdf = pdf_attachment(batch)
    assert name.startswith("relatorio_catalogo_")
    assert "Relatório do catálogo de compras" in pdf.pages[0].extract_text()
    assert rows[runs.batch]["subject"] == batch["Subject"]

    (alert,) = by_run(handler, runs.failed)
    body = alert.get_body(("plain",)).get_content()
    assert alert["Subject"].startswith("[ALERTA] Falha na execução")
    assert runs.failed in body and "no global model" in body and "global_report" in body
    assert rows[runs.failed]["kind"] == "run_failed"


def test_smtp_down_then_up_is_retried_never_lost_never_doubled(runs, ledger):
    port = free_port()
    down = tick(runs, mailer_for(port, timeout=2.0))  # nothing listens on the port
    rows = ledger_rows(ledger)
    assert set(rows) == {runs.single, runs.batch, runs.failed, CYCLE_BACKFILL}
    assert {r["status"] for r in rows.values()} == {"pending"}
    # The first transient failure ends the tick's sending: one attempt recorded, others wait.
    assert sorted(r["attempts"] for r in rows.values()) == [0, 0, 0, 1]
    assert all(r["last_error"] is None for r in rows.values() if r["attempts"] == 0)
    assert "failed" in next(r["last_error"] for r in rows.values() if r["attempts"])

    # Still down on the next tick (a 451 from a server now): still pending, never lost.
    handler = RecordingHandler(fail_first=1)
    with smtp_server(handler) as (controller, handler):
        mailer = mailer_for(controller.port)
        again = tick(runs, mailer, down.cursor)
        assert handler.messages == [] and handler.data_calls == 1
        assert {r["status"] for r in ledger_rows(ledger).values()} == {"pending"}
        # Back up: everything goes out once, on a later tick, without new runs.
        tick(runs, mailer, again.cursor)
        assert len(handler.messages) == 4
        tick(runs, mailer, again.cursor)
        tick(runs, mailer, None)
        assert len(handler.messages) == 4
    rows = ledger_rows(ledger)
    assert {r["status"] for r in rows.values()} == {"sent"}
    # Two failed attempts (on different rows: the least tried goes first) + four deliveries.
    assert sum(r["attempts"] for r in rows.values()) == 6


def test_unconfigured_mail_skips_with_the_reason(runs, ledger):
    result = tick(runs, MailerResource())
    assert isinstance(result, dg.SkipReason) and result.skip_message == NOT_CONFIGURED
    assert ledger_rows(ledger) == {}
    off = build_notification_sensor(False)
    assert off.default_status == dg.DefaultSensorStatus.STOPPED
    assert "SMTP_HOST" in off.description and "SMTP_DEFAULT_RECIPIENT" in off.description
    assert build_notification_sensor(True).default_status == dg.DefaultSensorStatus.RUNNING
