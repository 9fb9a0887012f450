"""The dashboard's screens: states (unreachable, empty), product view and catalog view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import charts, data
from dashboard.text import md
from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.clock import utcnow
from procurement_pipeline.lib.export import (
    CSV_MIME,
    MONEY_FORMAT,
    ONE_DECIMAL_FORMAT,
    XLSX_MIME,
    excel_csv,
    excel_xlsx,
)
from procurement_pipeline.lib.recommendations.messages import ACTION_LABELS
from procurement_pipeline.lib.reporting.formatting import (
    MISSING,
    format_brl,
    format_date_br,
    format_datetime_br,
    format_int,
    format_number,
    format_pct,
    is_missing,
)
from procurement_pipeline.lib.reporting.model import expected_move, synthetic_on_gap_days
from procurement_pipeline.lib.reporting.model_choice import model_sentence
from procurement_pipeline.lib.reporting.purchases import sort_recommendations
from procurement_pipeline.lib.warehouse import display_url
from procurement_pipeline.lib.warehouse.dashboard import filter_products, product_newest_real

PRODUCT_VIEW = "Produto"
CATALOG_VIEW = "Catálogo"
BUY_VIEW = "O que comprar"
VIEWS = [PRODUCT_VIEW, CATALOG_VIEW, BUY_VIEW]
VIEW_PARAMS = {"produto": PRODUCT_VIEW, "catalogo": CATALOG_VIEW, "comprar": BUY_VIEW}
ALL_CATEGORIES = "Todas as categorias"
STATUS_LABELS = {"trained": "treinado", "skipped": "pulado", "failed": "falhou"}
PDF = "application/pdf"
CSV = CSV_MIME
XLSX = XLSX_MIME
SORT_LABELS = {"Urgência (data limite do pedido)": "urgency", "Economia esperada": "saving"}
MODEL_NOTES = {
    "trusted": "previsão confiável",
    "no_model": "sem modelo",
    "not_beating_baselines": "modelo não supera as referências",
    "no_forecast": "sem previsão",
    "reference_price": "sem cotação de mercado",
}


# --------------------------------------------------------------------------- helpers


def freshness_text(newest: Any) -> str:
    """'dd/mm/aaaa HH:MM UTC (há 5 h)' for a naive UTC datetime."""
    if is_missing(newest):
        return "nenhuma observação real ainda"
    moment = pd.Timestamp(newest).to_pydatetime()
    age = utcnow() - moment
    hours = age.total_seconds() / 3600
    if hours < 1:
        ago = "há menos de 1 h"
    elif hours < 48:
        ago = f"há {hours:.0f} h"
    else:
        ago = f"há {age.days} dias"
    return f"{format_datetime_br(moment)} UTC ({ago})"


def _mape(value: Any) -> str:
    """MAPE is stored in percent (4.2 = 4,2%)."""
    return MISSING if is_missing(value) else f"{format_number(value, 1)}%"


def _ratio(value: Any) -> str:
    return format_number(value, 2)


def _secret_free(message: str, url: str) -> str:
    password = None
    try:
        from sqlalchemy.engine import make_url

        password = make_url(url).password
    except Exception:  # noqa: BLE001 - an unparsable URL has no password to hide
        pass
    if password:
        message = message.replace(str(password), "***")
    return message


def error_text(exc: BaseException, url: str) -> str:
    """The driver's message (without SQLAlchemy's SQL echo and background link)."""
    original = getattr(exc, "orig", None)
    text = f"{type(original or exc).__name__}: {original if original is not None else exc}"
    return _secret_free(text.split("\n(Background on this error")[0], url)


# --------------------------------------------------------------------------- states


def show_unreachable(url: str, exc: BaseException) -> None:
    st.title("Painel de compras")
    st.error(
        "Não foi possível ler o warehouse.\n\n"
        f"URL tentada: `{display_url(url)}`\n\n"
        f"Erro: `{error_text(exc, url)}`"
    )
    st.markdown(
        "Confira a variável `DATABASE_URL` (e se o servidor MySQL está no ar). "
        "O painel tenta de novo a cada recarga da página."
    )


def show_empty(url: str, reason: str) -> None:
    st.title("Painel de compras")
    st.info(f"O warehouse ainda está vazio: {reason}")
    st.markdown(
        "Para materializar o catálogo, os preços, os modelos e os relatórios de demonstração "
        "(offline), rode na raiz do projeto:\n\n"
        "```\nmake run\n```\n\n"
        "ou materialize os assets pela interface do Dagster (`make dev`). "
        "Este painel só lê os dados: recarregue a página quando a execução terminar."
    )
    st.caption(f"Warehouse: `{display_url(url)}`")


# --------------------------------------------------------------------------- sidebar


def sidebar(url: str) -> str:
    with st.sidebar:
        st.header("Painel de compras")
        if "view" not in st.session_state:
            wanted = VIEW_PARAMS.get(str(st.query_params.get("view", "")).lower())
            st.session_state["view"] = wanted or PRODUCT_VIEW
        view = st.radio("Visão", VIEWS, key="view")
        st.caption(
            "Observação real mais recente: " + freshness_text(data.newest_real_observation(url))
        )
        if st.button("Recarregar dados", key="reload"):
            data.clear_caches()
        st.caption(f"Warehouse: `{display_url(url)}`")
        st.caption(f"Dados em cache por {data.TTL_SECONDS} s.")
    return view


# --------------------------------------------------------------------------- product view


def _select_product(url: str) -> str | None:
    choices = data.product_choices(url)
    categories = sorted(choices["category"].unique().tolist())
    col_cat, col_text = st.columns([1, 2])
    category = col_cat.selectbox("Categoria", [ALL_CATEGORIES, *categories], key="category")
    text = col_text.text_input(
        "Buscar por SKU, nome ou categoria", key="search", placeholder="ex.: espuma d33"
    )
    found = filter_products(choices, text, None if category == ALL_CATEGORIES else category)
    if found.empty:
        st.warning("Nenhum produto encontrado com esse filtro.")
        return None
    options = found["sku"].tolist()
    labels = dict(zip(found["sku"], found["sku"] + " — " + found["name"], strict=True))
    current = st.session_state.get("sku")
    if current not in labels:
        wanted = str(st.query_params.get("sku", ""))
        st.session_state["sku"] = wanted if wanted in labels else options[0]
    sku = st.selectbox(
        f"Produto ({format_int(len(options))} de {format_int(len(choices))})",
        options,
        key="sku",
        format_func=lambda s: labels.get(s, s),
    )
    st.query_params["sku"] = sku
    return sku


def _metrics_table(metrics: dict[str, Any]) -> pd.DataFrame:
    rows = [
        (
            "MAE",
            format_brl(metrics.get("mae")),
            format_brl(metrics.get("naive_mae")),
            format_brl(metrics.get("seasonal_naive_mae")),
        ),
        (
            "RMSE",
            format_brl(metrics.get("rmse")),
            format_brl(metrics.get("naive_rmse")),
            format_brl(metrics.get("seasonal_naive_rmse")),
        ),
        (
            "MAPE",
            _mape(metrics.get("mape")),
            _mape(metrics.get("naive_mape")),
            _mape(metrics.get("seasonal_naive_mape")),
        ),
        (
            "MASE (vs. linha de base)",
            "",
            _ratio(metrics.get("mase_naive")),
            _ratio(metrics.get("mase_seasonal_naive")),
        ),
        (
            "Modelo supera?",
            "",
            "Sim" if metrics.get("beats_naive") else "Não",
            "Sim" if metrics.get("beats_seasonal_naive") else "Não",
        ),
    ]
    return pd.DataFrame(rows, columns=["Métrica", "Modelo", "Ingênuo", "Ingênuo sazonal"])


def _beats_message(metrics: dict[str, Any]) -> None:
    naive, seasonal = bool(metrics.get("beats_naive")), bool(metrics.get("beats_seasonal_naive"))
    if naive and seasonal:
        st.success("O modelo supera as duas linhas de base (ingênuo e ingênuo sazonal).")
    elif naive or seasonal:
        which = "ingênuo" if naive else "ingênuo sazonal"
        other = "ingênuo sazonal" if naive else "ingênuo"
        st.warning(f"O modelo supera só o {which}; não supera o {other}.")
    else:
        st.error("O modelo não supera as linhas de base: prefira o último preço como referência.")


def _offers_section(url: str, sku: str) -> None:
    st.subheader("Ofertas mais recentes")
    offers = data.latest_offers(url, sku)
    if offers.empty:
        st.caption("Nenhuma oferta coletada para este produto ainda.")
        return
    window = offers["window_start"].iloc[0]
    st.caption(
        f"Janela de coleta de {format_datetime_br(window)} UTC · "
        f"{len(offers)} ofertas (as patrocinadas e as fora do termo não entram no preço)."
    )
    table = pd.DataFrame(
        {
            "Vendedor": offers["seller"].fillna(MISSING),
            "Preço": offers["price"].map(format_brl),
            "Antes": offers["previous_price"].map(format_brl),
            "Título": offers["title"],
            "Patrocinada": offers["sponsored"].map(lambda v: "Sim" if v else "Não"),
            "Relevante": offers["relevant"].map(lambda v: "Sim" if v else "Não"),
            "Link": offers["url"].map(_http_link),
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"Link": st.column_config.LinkColumn("Link", display_text="abrir")},
    )


def _http_link(url: Any) -> str | None:
    """Scraped offer URLs become links only when they are http(s): never javascript: or data:."""
    if isinstance(url, str) and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def _report_download(sku: str) -> None:
    relative = artifacts.product_report_path(sku)
    pdf = data.artifact_bytes(relative)
    if pdf is None:
        st.caption("Relatório PDF deste produto ainda não gerado.")
        return
    st.download_button(
        "Baixar relatório PDF do produto",
        data=pdf,
        file_name=artifacts.product_report_download_name(sku),
        mime=PDF,
        key="download_product_report",
        on_click="ignore",
    )


def product_view(url: str) -> None:
    st.title("Produto")
    sku = _select_product(url)
    if sku is None:
        return
    choices = data.product_choices(url)
    product = choices[choices["sku"] == sku].iloc[0]
    registry = data.product_registry(url, sku)
    series = data.product_series(url, sku)
    forecasts = data.product_forecasts(url, sku)

    # Catalog text goes through md(): Markdown in a name must not become a link or an image.
    st.header(md(product["name"]), anchor=False)
    st.caption(
        f"SKU {md(sku)} · categoria {md(product['category'])} · unidade {md(product['unit'])} · "
        f"preço de referência {format_brl(product['reference_price'])}"
    )
    real = series[~series["is_synthetic"]]
    synthetic = synthetic_on_gap_days(series[series["is_synthetic"]], real["day"])
    future = forecasts[forecasts["kind"] == "future"]
    last_price = float(real["price"].iloc[-1]) if not real.empty else None
    last_forecast = float(future["yhat"].iloc[-1]) if not future.empty else None
    newest = product_newest_real(series)

    status = registry["status"] if registry else None
    metrics = (registry or {}).get("metrics") or {}
    cols = st.columns(4)
    cols[0].metric("Último preço real (média do dia)", format_brl(last_price))
    if status == "trained":
        move = expected_move(last_price, last_forecast)
        cols[1].metric(
            f"Previsão em {format_date_br(future['ds'].iloc[-1]) if not future.empty else MISSING}",
            format_brl(last_forecast),
            delta=format_pct(move, signed=True) if move is not None else None,
            delta_color="inverse",
        )
        cols[2].metric("MAPE no holdout", _mape(metrics.get("mape")))
        cols[3].metric("Cobertura do intervalo 80%", format_pct(metrics.get("coverage_80")))
    st.caption(
        "Dados: observação real mais recente "
        + freshness_text(newest)
        + " · último treino "
        + (format_datetime_br(registry["trained_at"]) + " UTC" if registry else "nunca")
    )

    if status in ("skipped", "failed"):
        label = STATUS_LABELS[status]
        st.warning(
            f"Modelo {label} para este produto. "
            f"Motivo: {md(registry.get('reason')) or 'não informado'}"
        )
        st.caption(
            f"Sem previsão: {format_int(len(real))} dias com preço real, "
            f"{format_int(len(synthetic))} dias sintéticos."
        )
    else:
        if status is None:
            st.info("Este produto ainda não tem modelo treinado: rode `make run`.")
        if series.empty:
            st.info("Ainda não há preços para este produto.")
        else:
            chart = charts.history_forecast_chart(real, synthetic, future)
            st.altair_chart(chart, width="stretch")
            if not synthetic.empty:
                st.caption(
                    f"Os losangos cinza são histórico **sintético** em "
                    f"{format_int(len(synthetic))} dia(s) sem coleta: preenchem as lacunas só "
                    "para exibição e não entram no treino nem nas previsões."
                )
    if status == "trained":
        st.subheader("Holdout: modelo vs. linhas de base")
        st.caption(
            f"Treino de {format_date_br(registry.get('train_start'))} a "
            f"{format_date_br(registry.get('train_end'))} · "
            f"{format_int(metrics.get('holdout_days', registry.get('holdout_days')))} dias de "
            f"holdout · treinado em {format_datetime_br(registry['trained_at'])} UTC"
        )
        st.markdown(md(model_sentence(metrics)))
        left, right = st.columns([3, 2])
        left.dataframe(_metrics_table(metrics), hide_index=True, width="stretch")
        with right:
            _beats_message(metrics)
    _offers_section(url, sku)
    _report_download(sku)


# --------------------------------------------------------------------------- catalog view


def _download(label: str, relative: str, file_name: Callable[[dt.date], str], key: str) -> None:
    """A report of the store; its download name carries the day it was written."""
    pdf = data.artifact_bytes(relative)
    day = data.artifact_day(relative)
    if pdf is None or day is None:
        st.caption(f"{label}: ainda não gerado.")
        return
    st.download_button(
        label, data=pdf, file_name=file_name(day), mime=PDF, key=key, on_click="ignore"
    )


def _global_section(url: str) -> None:
    st.subheader("Modelo global (índice de preços do catálogo)")
    model = data.latest_global_model(url)
    if model is None:
        st.info("Nenhum modelo global treinado ainda: rode `make run`.")
        return
    metrics = model.get("metrics") or {}
    if model["status"] != "trained":
        st.warning(
            f"Último modelo global {STATUS_LABELS.get(model['status'], model['status'])}: "
            f"{md(model.get('reason')) or 'sem motivo informado'}"
        )
    holdout_days = metrics.get("holdout_days", model.get("holdout_days"))
    cols = st.columns(4)
    cols[0].metric("MAPE no holdout", _mape(metrics.get("mape")))
    cols[1].metric("MAE (pontos do índice)", format_number(metrics.get("mae"), 2))
    cols[2].metric("Cobertura do intervalo 80%", format_pct(metrics.get("coverage_80")))
    cols[3].metric("Dias de holdout", format_int(holdout_days))
    st.caption(
        f"Treinado em {format_datetime_br(model['trained_at'])} UTC · treino de "
        f"{format_date_br(model.get('train_start'))} a {format_date_br(model.get('train_end'))} · "
        f"{format_int(model.get('products'))} produtos no índice · supera o ingênuo: "
        f"{'Sim' if metrics.get('beats_naive') else 'Não'} · supera o ingênuo sazonal: "
        f"{'Sim' if metrics.get('beats_seasonal_naive') else 'Não'}"
    )
    index = data.global_index(url)
    forecasts = data.global_forecasts(url, int(model["id"]))
    future = forecasts[forecasts["kind"] == "future"]
    if index.empty:
        st.caption("Índice de preços ainda não calculado.")
    else:
        chart = charts.history_forecast_chart(
            index, None, future, value="index_value", y_title="Índice (base 100)"
        )
        st.altair_chart(chart, width="stretch")


def _moves_section(url: str) -> None:
    st.subheader("Maiores movimentos esperados")
    moves = data.largest_moves(url, 20)
    if moves.empty:
        st.caption("Ainda não há previsões com preço observado para comparar.")
        return
    table = pd.DataFrame(
        {
            "SKU": moves["sku"],
            "Produto": moves["name"],
            "Categoria": moves["category"],
            "Último preço": moves["last_price"].map(format_brl),
            "Em": moves["last_day"].map(format_date_br),
            "Previsão": moves["last_forecast"].map(format_brl),
            "Para": moves["forecast_day"].map(format_date_br),
            "Movimento": moves["move"].map(lambda v: format_pct(v, signed=True)),
        }
    )
    st.caption("Última previsão (fim do horizonte) contra o último preço diário observado.")
    st.dataframe(table, hide_index=True, width="stretch")


def _health_section(url: str) -> None:
    st.subheader("Saúde da coleta (janelas mais recentes)")
    health = data.scrape_health(url, 6)
    if health.empty:
        st.caption("Nenhuma tentativa de coleta registrada ainda.")
        return
    table = pd.DataFrame(
        {
            "Janela (UTC)": health["window_start"].map(format_datetime_br),
            "Tentativas": health["attempts"].map(format_int),
            "Salvos": health["saved"].map(format_int),
            "Falhas": health["failed"].map(format_int),
            "Falhas por motivo": health["failed_by_reason"].replace("", MISSING),
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def catalog_view(url: str) -> None:
    st.title("Catálogo")
    counts = data.registry_counts(url)
    cols = st.columns(4)
    cols[0].metric("Produtos ativos", format_int(len(data.product_choices(url))))
    cols[1].metric("Modelos treinados", format_int(counts.get("trained", 0)))
    cols[2].metric("Pulados", format_int(counts.get("skipped", 0)))
    cols[3].metric("Com falha", format_int(counts.get("failed", 0)))
    _global_section(url)
    st.subheader("Relatórios")
    left, right = st.columns(2)
    with left:
        _download(
            "Baixar relatório global (PDF)",
            artifacts.GLOBAL_REPORT,
            artifacts.global_report_download_name,
            "download_global_report",
        )
    with right:
        _download(
            "Baixar relatório do catálogo (PDF)",
            artifacts.CATALOG_REPORT,
            artifacts.catalog_report_download_name,
            "download_catalog_report",
        )
    _moves_section(url)
    _health_section(url)


# --------------------------------------------------------------------------- what to buy


def buy_table(recommendations: pd.DataFrame) -> pd.DataFrame:
    """The "O que comprar" table (and CSV): Portuguese headers, numbers kept as numbers so
    the table sorts by any column."""
    r = recommendations
    return pd.DataFrame(
        {
            "SKU": r["sku"].astype(str),
            "Produto": r["name"].astype(str),
            "Categoria": r["category"].astype(str),
            "Ação": r["action"].map(lambda a: ACTION_LABELS.get(a, a)),
            "Data": pd.to_datetime(r["action_date"]).dt.date,
            "Quantidade": r["suggested_quantity"].astype(float),
            "Unidade": r["unit"].astype(str),
            "Preço hoje": r["price_today"].astype(float),
            "Preço esperado": r["expected_unit_price"].astype(float),
            "Economia esperada": r["expected_saving"].astype(float),
            "Urgência (dias)": r["urgency_days"].astype(float),
            "Cobertura (dias)": r["days_of_cover"].astype(float),
            "Previsão de preço": r["model_note"].map(lambda n: MODEL_NOTES.get(n, n)),
            "Motivo": r["reason"].astype(str),
        }
    ).reset_index(drop=True)


MONEY_COLUMNS = ("Preço hoje", "Preço esperado", "Economia esperada")
DAY_COLUMNS = ("Urgência (dias)", "Cobertura (dias)")


def _quantity(value: Any) -> str:
    """418.5 -> "418,5"; 12.0 -> "12"."""
    if is_missing(value):
        return MISSING
    return format_number(value, 0 if float(value).is_integer() else 1)


def buy_table_display(table: pd.DataFrame) -> Any:
    """The table as shown: the cells keep their numbers and dates (so a click on a header
    sorts by value) and display in pt-BR (R$ 1.234,56; 418,5; dd/mm/aaaa) through a Styler;
    Streamlit's own number formats are printf-style, US-only."""
    formats: dict[str, Callable[[Any], str]] = {"Data": format_date_br, "Quantidade": _quantity}
    formats |= dict.fromkeys(MONEY_COLUMNS, format_brl)
    formats |= dict.fromkeys(DAY_COLUMNS, lambda v: format_number(v, 1))
    return table.style.format(formats)


def buy_csv(table: pd.DataFrame) -> bytes:
    """CSV as Excel in Brazil opens it (lib.export.excel_csv): UTF-8 with BOM, ';', decimal
    comma, dd/mm/aaaa; formula-like text neutralised (CSV injection)."""
    return excel_csv(table)


def buy_xlsx(table: pd.DataFrame) -> bytes:
    """The same table as .xlsx: numeric cells with pt-BR formats (lib.export.excel_xlsx)."""
    formats = dict.fromkeys(MONEY_COLUMNS, MONEY_FORMAT)
    formats |= dict.fromkeys(("Quantidade", *DAY_COLUMNS), ONE_DECIMAL_FORMAT)
    return excel_xlsx(table, formats, sheet="O que comprar")


def buy_view(url: str) -> None:
    st.title("O que comprar")
    recommendations = data.recommendations(url)
    if recommendations.empty:
        st.info(
            "Ainda não há recomendações de compra. Elas dependem do histórico de consumo e "
            "das previsões: rode `make run`, ou materialize `consumption_history` e "
            "`purchase_recommendations` pela interface do Dagster."
        )
        return
    as_of = recommendations["as_of"].iloc[0]
    st.caption(
        f"Recomendações para {format_date_br(as_of)} (geradas em "
        f"{format_datetime_br(recommendations['generated_at'].max())} UTC): prazo de entrega, "
        "estoque mínimo, consumo esperado e previsão de preço de cada produto."
    )
    categories = sorted(recommendations["category"].dropna().unique().tolist())
    col_cat, col_sort, col_only = st.columns([2, 2, 1])
    category = col_cat.selectbox("Categoria", [ALL_CATEGORIES, *categories], key="buy_category")
    order = col_sort.selectbox("Ordenar por", list(SORT_LABELS), key="buy_sort")
    only_to_buy = col_only.checkbox("Só o que comprar", value=True, key="buy_only")
    chosen = recommendations
    if category != ALL_CATEGORIES:
        chosen = chosen[chosen["category"] == category]
    actions = chosen["action"].value_counts()
    to_buy = chosen[chosen["action"] != "no_need"]
    cols = st.columns(4)
    cols[0].metric("Comprar agora", format_int(int(actions.get("buy_now", 0))))
    cols[1].metric("Comprar até uma data", format_int(int(actions.get("buy_by", 0))))
    cols[2].metric("Esperar queda de preço", format_int(int(actions.get("wait_until", 0))))
    cols[3].metric("Economia esperada", format_brl(float(to_buy["expected_saving"].sum())))
    if only_to_buy:
        chosen = to_buy
    table = buy_table(sort_recommendations(chosen, SORT_LABELS[order]))
    if table.empty:
        st.warning("Nenhum produto a comprar com esse filtro.")
        return
    st.dataframe(
        buy_table_display(table),
        hide_index=True,
        width="stretch",
        column_config={"Motivo": st.column_config.TextColumn("Motivo", width="large")},
    )
    st.caption(
        f"{format_int(len(table))} produtos. Urgência: dias até a data limite do pedido "
        "(negativa: atrasado). Economia esperada: contra comprar a mesma quantidade hoje. "
        "Clique no cabeçalho de uma coluna para ordenar por ela."
    )
    day = pd.Timestamp(as_of).date()
    left, right = st.columns(2)
    left.download_button(
        "Baixar CSV (Excel pt-BR)",
        data=buy_csv(table),
        file_name=artifacts.purchases_export_name(day, "csv"),
        mime=CSV,
        key="download_buy_csv",
        on_click="ignore",
    )
    right.download_button(
        "Baixar planilha Excel (.xlsx)",
        data=buy_xlsx(table),
        file_name=artifacts.purchases_export_name(day, "xlsx"),
        mime=XLSX,
        key="download_buy_xlsx",
        on_click="ignore",
    )
