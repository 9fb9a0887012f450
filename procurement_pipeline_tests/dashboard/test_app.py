"""AppTest: each view and each state a new user meets."""

from __future__ import annotations

import datetime as dt
import json
import socket
import sqlite3

import pandas as pd
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.runtime.memory_media_file_storage import _calculate_file_id

from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.reporting.model import SYNTHETIC_LABEL
from procurement_pipeline_tests.dashboard.seed import OTHER, SKIP_REASON, SKIPPED, TRAINED

PDF = "application/pdf"


def texts(at, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def all_text(at) -> str:
    parts = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning",
                 "error", "success"):  # fmt: skip
        parts += texts(at, kind)
    parts += [f"{m.label}={m.value}" for m in at.metric]
    return "\n".join(parts)


def charts(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def chart_points(at) -> pd.DataFrame:
    """The rows the product chart draws (Streamlit sends a chart's data beside its spec)."""
    (chart,) = at.get("vega_lite_chart")
    frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets]
    points = pd.concat(frames, ignore_index=True)
    return points.assign(day=pd.to_datetime(points["day"]).dt.date)


def served(button, data: bytes, file_name: str) -> bool:
    """Whether a download button serves exactly ``data`` as ``file_name`` (the media URL is
    the hash of content, type and name)."""
    return button.proto.url.endswith(_calculate_file_id(data, PDF, file_name) + ".pdf")


def downloads(at) -> dict[str, object]:
    return {b.proto.label: b for b in at.get("download_button")}


def test_first_render_shows_the_first_product(app):
    at = app.run()
    assert not at.exception
    assert "Cola de contato 2,8 kg sem toluol" in texts(at, "header")
    assert at.selectbox(key="sku").value == OTHER
    assert at.query_params["sku"] == OTHER
    # ADE beats only the seasonal naive baseline.
    assert any("não supera o ingênuo" in w for w in texts(at, "warning"))


def test_selecting_a_product_changes_what_is_shown(app):
    at = app.run()
    first_metrics = [m.value for m in at.metric]
    at.selectbox(key="sku").select(TRAINED).run()
    assert not at.exception
    assert "Espuma D33 placa 2x1m 50mm" in texts(at, "header")
    assert "Cola de contato 2,8 kg sem toluol" not in texts(at, "header")
    assert [m.value for m in at.metric] != first_metrics
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["MAPE no holdout"] == "1,1%"
    assert metrics["Cobertura do intervalo 80%"] == "85,7%"
    assert any("supera as duas linhas de base" in s for s in texts(at, "success"))
    # Holdout metrics beside the baselines.
    table = at.dataframe[0].value
    assert list(table.columns) == ["Métrica", "Modelo", "Ingênuo", "Ingênuo sazonal"]
    mae = table[table["Métrica"] == "MAE"].iloc[0]
    assert (mae["Modelo"], mae["Ingênuo"], mae["Ingênuo sazonal"]) == (
        "R$ 3,21", "R$ 5,50", "R$ 6,20"
    )  # fmt: skip
    # Training date and data freshness.
    text = all_text(at)
    assert "holdout" in text and "treinado em" in text
    assert "Modelo usado:" in text and "que o último preço" in text
    assert "observação real mais recente" in text
    # The chart: real solid, synthetic grey diamonds (dotted) and labelled, forecast and band.
    (spec,) = charts(at)
    spec_text = json.dumps(spec, ensure_ascii=False)
    assert SYNTHETIC_LABEL in spec_text and "Intervalo de 80%" in spec_text
    assert "[1, 3]" in spec_text and '"diamond"' in spec_text  # dotted, diamond markers
    assert any("sintético" in c and "10 dia(s) sem coleta" in c for c in texts(at, "caption"))
    # Synthetic points only on the 10 days without a real price (the seed has them every day).
    points = chart_points(at)
    synthetic = set(points[points["series"] == SYNTHETIC_LABEL]["day"])
    real = set(points[points["series"] == "Histórico real"]["day"])
    assert len(synthetic) == 10 and not synthetic & real
    assert min(synthetic) > min(real) and max(synthetic) < max(real)  # inside the window
    # Latest offers and sellers.
    offers = at.dataframe[1].value
    assert set(offers["Vendedor"]) == {"Espumas Paulista", "Atacadão das Espumas"}
    assert "R$ 299,90" in set(offers["Preço"])


def test_skipped_product_shows_its_reason_instead_of_a_chart(app):
    at = app.run()
    at.selectbox(key="sku").select(SKIPPED).run()
    assert not at.exception
    assert any(SKIP_REASON in w for w in texts(at, "warning"))
    assert charts(at) == []
    assert "Relatório PDF deste produto ainda não gerado." in texts(at, "caption")
    assert downloads(at) == {}


def test_search_by_name_category_and_sku(app):
    at = app.run()
    at.text_input(key="search").input("SUEDE cafe").run()  # case and accents ignored
    assert at.selectbox(key="sku").options == [f"{SKIPPED} — Tecido suede amassado café"]
    assert at.selectbox(key="sku").value == SKIPPED
    at.text_input(key="search").input("").run()
    at.selectbox(key="category").select("espumas").run()
    assert at.selectbox(key="sku").value == TRAINED
    at.selectbox(key="category").select("Todas as categorias").run()
    at.text_input(key="search").input("ade-0000").run()
    assert at.selectbox(key="sku").value == OTHER
    at.text_input(key="search").input("nada disso").run()
    assert any("Nenhum produto" in w for w in texts(at, "warning"))
    assert not at.exception


def test_deep_link_selects_the_product(app):
    app.query_params["sku"] = SKIPPED
    at = app.run()
    assert at.selectbox(key="sku").value == SKIPPED


def test_product_download_serves_that_products_pdf(app, seeded):
    at = app.run()
    at.selectbox(key="sku").select(TRAINED).run()
    (button,) = at.get("download_button")
    pdf = seeded.pdfs[artifacts.product_report_path(TRAINED)]
    assert served(button, pdf, f"relatorio_{TRAINED}.pdf")
    at.selectbox(key="sku").select(OTHER).run()
    (button,) = at.get("download_button")
    other = seeded.pdfs[artifacts.product_report_path(OTHER)]
    assert served(button, other, f"relatorio_{OTHER}.pdf")
    assert not served(button, pdf, f"relatorio_{TRAINED}.pdf")


def test_catalog_view(app, seeded):
    at = app.run()
    at.radio(key="view").set_value("Catálogo").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Produtos ativos"] == "3"
    assert metrics["Modelos treinados"] == "2"
    assert metrics["Pulados"] == "1"
    assert metrics["Dias de holdout"] == "30"
    assert metrics["MAE (pontos do índice)"] == "0,42"
    (spec,) = charts(at)
    assert "Índice (base 100)" in json.dumps(spec, ensure_ascii=False)
    buttons = downloads(at)
    written = {
        relative: dt.datetime.fromtimestamp(
            (seeded.artifact_root / relative).stat().st_mtime, dt.UTC
        ).strftime("%Y-%m-%d")
        for relative in (artifacts.GLOBAL_REPORT, artifacts.CATALOG_REPORT)
    }
    assert served(
        buttons["Baixar relatório global (PDF)"],
        seeded.pdfs[artifacts.GLOBAL_REPORT],
        f"relatorio_global_{written[artifacts.GLOBAL_REPORT]}.pdf",
    )
    assert served(
        buttons["Baixar relatório do catálogo (PDF)"],
        seeded.pdfs[artifacts.CATALOG_REPORT],
        f"relatorio_catalogo_{written[artifacts.CATALOG_REPORT]}.pdf",
    )
    moves, health = (df.value for df in at.dataframe)
    assert list(moves["SKU"]) == [OTHER, TRAINED]  # largest |move| first
    assert moves.iloc[0]["Movimento"].startswith("-") and moves.iloc[1]["Movimento"].startswith("+")
    assert list(health["Salvos"]) == ["2", "1"]
    assert list(health["Falhas por motivo"]) == ["timeout: 1", "challenge: 1, http_503: 1"]


def test_catalog_view_from_query_param(app):
    app.query_params["view"] = "catalogo"
    at = app.run()
    assert at.radio(key="view").value == "Catálogo"
    assert "Catálogo" in texts(at, "title")


def test_missing_reports_are_announced_not_failing(make_app, seeded, tmp_path):
    at = make_app(seeded.url, tmp_path / "no_artifacts").run()
    assert not at.exception
    assert downloads(at) == {}
    at.radio(key="view").set_value("Catálogo").run()
    assert downloads(at) == {}
    captions = texts(at, "caption")
    assert any("relatório global" in c and "ainda não gerado" in c for c in captions)


def test_empty_warehouse_without_file_says_make_run(make_app, tmp_path):
    path = tmp_path / "state" / "warehouse.sqlite"
    at = make_app(f"sqlite:///{path}", tmp_path / "artifacts").run()
    assert not at.exception
    assert "make run" in all_text(at)
    assert not path.exists()  # read-only: nothing created
    assert not path.parent.exists()


def test_empty_warehouse_without_schema_says_make_run(make_app, tmp_path):
    path = tmp_path / "warehouse.sqlite"
    sqlite3.connect(path).close()
    at = make_app(f"sqlite:///{path}", tmp_path / "artifacts").run()
    assert not at.exception
    assert "make run" in all_text(at)
    assert "tabelas ainda não foram criadas" in all_text(at)
    with sqlite3.connect(path) as conn:  # not migrated by the dashboard
        assert conn.execute("select count(*) from sqlite_master").fetchone()[0] == 0


def test_migrated_warehouse_without_products_says_make_run(make_app, tmp_path):
    from procurement_pipeline.lib.warehouse import create_warehouse_engine, migrate

    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    engine = create_warehouse_engine(url)
    migrate(engine)
    engine.dispose()
    at = make_app(url, tmp_path / "artifacts").run()
    assert not at.exception
    assert "nenhum produto" in all_text(at) and "make run" in all_text(at)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_warehouse_shows_url_without_password_and_error(make_app, tmp_path):
    port = _closed_port()
    url = f"mysql+pymysql://buyer:s3cr3t-pw@127.0.0.1:{port}/warehouse"
    at = make_app(url, tmp_path / "artifacts").run()
    assert not at.exception
    (error,) = texts(at, "error")
    assert f"mysql+pymysql://buyer:***@127.0.0.1:{port}/warehouse" in error
    assert "OperationalError" in error and "Can't connect" in error
    assert "s3cr3t-pw" not in all_text(at)
