"""Re-running a scrape window never loses what an earlier run stored (issue 13, item 1).

A local ScraperAPI-protocol server stands in for Mercado Livre; a window is scraped cleanly,
then re-run while the server fails every request (an outage) or the requests of some products
(a partial outage). Per product the better of the old and the new result stays; attempts are
always recorded; a window whose failure share passes the limit fails its run after storing
what was good, and the failure alert e-mail (`email_run_outcomes`) follows. On SQLite and on
MariaDB.
"""

from __future__ import annotations

import dagster as dg
from sqlalchemy import select, update

from procurement_pipeline.defs.alerts.resources import MailerResource
from procurement_pipeline.defs.alerts.sensors import build_notification_sensor
from procurement_pipeline.defs.prices.assets import scraped_prices
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.lib.scraping.demo_market import DemoMarketPages
from procurement_pipeline.lib.scraping.server import Fault, ScraperAPIServer
from procurement_pipeline.lib.warehouse.schema import offers, price_observations, scrape_attempts
from procurement_pipeline_tests.defs.prices.support import (
    checks_of,
    clean_window,
    fast_marketplace,
    load_catalog,
    materialize,
    metadata_of,
    partition_key,
    url_pattern,
    warehouse,
    window_tables,
)
from procurement_pipeline_tests.lib.notifications.conftest import smtp_server

KEY = "test-key-0b7e41d2"


def scrape(instance, database_url, market, window, config: dict | None = None):
    return materialize(
        [scraped_prices],
        instance,
        {"warehouse": warehouse(database_url), "marketplace": market},
        partition_key=partition_key(window),
        run_config=dg.RunConfig({"scraped_prices": {"config": config}}) if config else None,
        raise_on_error=False,
    )


def step_failure(result):
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return failure.step_failure_data.user_failure_data


def rows_by_sku(engine, table, window) -> dict[str, list[dict]]:
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.window_start == window)).mappings()
        out: dict[str, list[dict]] = {}
        for row in rows:
            out.setdefault(row["sku"], []).append(dict(row))
    return out


def observation_ids(engine, window) -> dict[str, int]:
    with engine.connect() as conn:
        query = select(price_observations.c.sku, price_observations.c.id).where(
            price_observations.c.window_start == window
        )
        return {sku: id_ for sku, id_ in conn.execute(query)}


def mark_stale(engine, window) -> None:
    """Marks every stored row of the window: a row that survives a re-run still says STALE."""
    with engine.begin() as conn:
        for table, column in (
            (price_observations, "seller"),
            (offers, "title"),
            (scrape_attempts, "detail"),
        ):
            conn.execute(
                update(table).where(table.c.window_start == window).values({column: "STALE"})
            )


def test_rerun_during_an_outage_keeps_every_observation_and_fails_the_run(
    tmp_path, database_url, warehouse_engine
):
    products = load_catalog(warehouse_engine, 8)
    window = clean_window(products)
    pages = DemoMarketPages.from_products(products, window_start=window)
    with dg.instance_for_test() as instance, ScraperAPIServer(pages, api_key=KEY) as server:
        market = fast_marketplace(server.base_url, KEY)
        first = scrape(instance, database_url, market, window)
        assert first.success
        assert metadata_of(first, "scraped_prices")["saved"] == 8
        before = window_tables(warehouse_engine, window)
        before_ids = observation_ids(warehouse_engine, window)
        assert len(before["price_observations"]) == 8 and before["offers"]

        server.add_fault(status=500)  # the outage: every request fails
        server.reset_log()
        rerun = scrape(instance, database_url, market, window)
        assert server.request_count > 0  # the re-run really asked, and really failed

        # The run fails (so the failure alert follows), with the counts in its metadata.
        assert not rerun.success
        failure = step_failure(rerun)
        meta = {k: v.value for k, v in failure.metadata.items()}
        assert (meta["attempted"], meta["saved"], meta["failed"]) == (8, 0, 8)
        assert meta["failed_by_reason"] == {"http_500": 8}
        assert meta["kept_earlier_observation"] == 8
        assert meta["failure_share"] == 1.0
        assert "8 of 8 products failed" in failure.description

        # Nothing lost: every observation and offer exactly as before, same ids.
        after = window_tables(warehouse_engine, window)
        assert after["price_observations"] == before["price_observations"]
        assert after["offers"] == before["offers"]
        after_ids = observation_ids(warehouse_engine, window)
        assert after_ids == before_ids
        # ...and the failed attempts are recorded, one per product, with their reason.
        attempts = after["scrape_attempts"]
        assert len(attempts) == 8
        assert {(a["outcome"], a["reason"], a["http_status"]) for a in attempts} == {
            ("failed", "http_500", 500)
        }
        assert all("earlier observation kept" in a["detail"] for a in attempts)

        # The existing failure alert follows: email_run_outcomes mails the failed run.
        with smtp_server() as (controller, handler):
            mailer = MailerResource(
                host="127.0.0.1",
                port=controller.port,
                from_addr="pipeline@example.com",
                default_recipient="comprador@example.com",
                timeout=5.0,
            )
            resources = {
                "warehouse": WarehouseResource(database_url=database_url),
                "artifact_store": ArtifactStoreResource(root=str(tmp_path / "artifacts")),
                "mailer": mailer,
            }
            with dg.build_sensor_context(instance=instance, resources=resources) as context:
                build_notification_sensor(True)(context)

    alerts = [
        m for _f, _to, m in handler.messages if rerun.run_id in m.get_body(("plain",)).get_content()
    ]
    assert len(alerts) == 1
    assert alerts[0]["Subject"].startswith("[ALERTA] Falha na execução")
    assert "8 of 8 products failed" in alerts[0].get_body(("plain",)).get_content()


def test_partial_outage_keeps_old_rows_for_failed_products_and_replaces_the_rest(
    database_url, warehouse_engine
):
    products = load_catalog(warehouse_engine, 8)
    window = clean_window(products)
    skus, terms = products["sku"].tolist(), products["search_term"].tolist()
    pages = DemoMarketPages.from_products(products, window_start=window)
    # First run: every product but the last is saved (the last one meets a challenge page).
    first_faults = [Fault(challenge=True, url_pattern=url_pattern(terms[7]))]
    with (
        dg.instance_for_test() as instance,
        ScraperAPIServer(pages, api_key=KEY, faults=first_faults) as server,
    ):
        market = fast_marketplace(server.base_url, KEY)
        first = scrape(instance, database_url, market, window)
        assert first.success and metadata_of(first, "scraped_prices")["saved"] == 7
        old_obs = rows_by_sku(warehouse_engine, price_observations, window)
        assert sorted(old_obs) == sorted(skus[:7])
        mark_stale(warehouse_engine, window)

        # Re-run: the first two products' requests fail, the last one now succeeds.
        server.clear_faults()
        for term in terms[:2]:
            server.add_fault(status=500, url_pattern=url_pattern(term))
        rerun = scrape(instance, database_url, market, window)
        assert rerun.success  # 2 of 8 failed: under the limit, a warning only
        obs = rows_by_sku(warehouse_engine, price_observations, window)
        offer_rows = rows_by_sku(warehouse_engine, offers, window)
        attempts = rows_by_sku(warehouse_engine, scrape_attempts, window)
        assert sorted(obs) == sorted(skus)
        assert all(len(rows) == 1 for rows in obs.values())
        for sku in skus[:2]:  # failed now: the stored observation and offers stay
            assert obs[sku][0]["id"] == old_obs[sku][0]["id"]
            assert obs[sku][0]["seller"] == "STALE"
            assert offer_rows[sku] and {o["title"] for o in offer_rows[sku]} == {"STALE"}
            (attempt,) = attempts[sku]
            assert (attempt["outcome"], attempt["reason"]) == ("failed", "http_500")
            assert "earlier observation kept" in attempt["detail"]
        for sku in skus[2:]:  # a new good observation replaces the old one (or the gap)
            assert obs[sku][0]["seller"] != "STALE"
            assert offer_rows[sku] and "STALE" not in {o["title"] for o in offer_rows[sku]}
            (attempt,) = attempts[sku]
            assert (attempt["outcome"], attempt["detail"]) == ("saved", None)
        meta = metadata_of(rerun, "scraped_prices")
        assert (meta["attempted"], meta["saved"], meta["failed"]) == (8, 6, 2)
        assert meta["kept_earlier_observation"] == 2
        checks = checks_of(rerun)
        assert checks["no_duplicate_observations"].passed
        assert not checks["failure_share_under_threshold"].passed

        # Same partial outage, a limit below its share: the run fails, yet what was good is
        # stored and the failed products still keep their rows.
        mark_stale(warehouse_engine, window)
        strict = scrape(instance, database_url, market, window, {"failure_share_limit": 0.2})
        assert not strict.success
        failure = step_failure(strict)
        assert failure.metadata["failed"].value == 2
        assert failure.metadata["failure_share"].value == 0.25
        assert failure.metadata["limit"].value == 0.2
        obs = rows_by_sku(warehouse_engine, price_observations, window)
        assert sorted(obs) == sorted(skus)
        assert {obs[s][0]["seller"] == "STALE" for s in skus[:2]} == {True}
        assert {obs[s][0]["seller"] == "STALE" for s in skus[2:]} == {False}
