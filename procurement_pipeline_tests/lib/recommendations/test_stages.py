"""Each stage of recommend() on its own: position, expected use, price outlook, action,
quantity, reason."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from procurement_pipeline.lib.recommendations.engine import (
    RecommendationSettings,
    choose_action,
    expected_use,
    order_quantity,
    order_window,
    price_outlook,
    stock_position,
)
from procurement_pipeline.lib.recommendations.messages import AdviceFacts, reason_text
from procurement_pipeline.lib.recommendations.units import round_quantity_down
from procurement_pipeline_tests.lib.recommendations.conftest import AS_OF, make_case

SETTINGS = RecommendationSettings()


def stages(rows, **kwargs):
    products, consumption, forecasts, models, today = make_case(rows, **kwargs)
    position = stock_position(products)
    use = expected_use(consumption, position.sku_index)
    outlook = price_outlook(
        forecasts, models, today, position.sku_index, position.reference_price, AS_OF, SETTINGS
    )
    window = order_window(position, use, SETTINGS)
    return position, use, outlook, window


def test_position_adds_what_is_on_order_and_drops_inactive_products():
    products, *_ = make_case(
        [
            {"sku": "A", "stock": 100, "minimum": 50, "lead": 10, "use": 5},
            {"sku": "B", "stock": 7, "minimum": 5, "lead": 3, "use": 1},
            {"sku": "C", "stock": 1, "minimum": 5, "lead": 3, "use": 1},
        ]
    )
    products["on_order"] = [20.0, None, 0.0]
    products["active"] = [True, True, False]
    position = stock_position(products)
    assert position.skus.tolist() == ["A", "B"]
    np.testing.assert_array_equal(position.position, [120.0, 7.0])
    np.testing.assert_array_equal(position.lead, [10.0, 3.0])


def test_expected_use_aligns_by_sku_and_treats_unknown_or_negative_as_none():
    consumption = pd.DataFrame(
        {"sku": ["B", "A", "X"], "daily_mean": [2.0, -1.0, 9.0], "daily_std": [0.5, None, 1.0]}
    )
    use = expected_use(consumption, pd.Index(["A", "B", "C"]))
    np.testing.assert_array_equal(use.daily, [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(use.std, [0.0, 0.5, 0.0])
    empty = expected_use(consumption.iloc[0:0], pd.Index(["A"]))
    np.testing.assert_array_equal(empty.daily, [0.0])


def test_price_outlook_path_trust_and_normal_level():
    rising = list(np.linspace(10.1, 13.0, 30))
    _, _, outlook, _ = stages(
        [
            {"sku": "A", "stock": 200, "minimum": 50, "lead": 10, "use": 5},
            {"sku": "B", "stock": 200, "minimum": 50, "lead": 10, "use": 5},
        ],
        forecast={"A": rising},
        beats={"B": False},
        price={"A": 9.0},
    )
    assert outlook.path.shape == (2, 31)
    assert outlook.path[0, 0] == 9.0  # column 0 is today's price
    assert outlook.path[0, 30] == pytest.approx(13.0)
    assert outlook.trusted.tolist() == [True, False]
    assert outlook.note.tolist() == ["trusted", "not_beating_baselines"]
    assert outlook.normal[0] == pytest.approx(np.median(rising))
    assert outlook.normal_lower[0] == pytest.approx(np.median(rising) * 0.95)
    assert np.isnan(outlook.normal[1])  # untrusted: no normal level to compare with
    assert outlook.price_source.tolist() == ["market", "market"]


def test_order_window_deadline_and_flags():
    position, use, _, window = stages(
        [
            {"sku": "late", "stock": 100, "minimum": 50, "lead": 10, "use": 5},
            {"sku": "window", "stock": 200, "minimum": 50, "lead": 10, "use": 5, "std": 2.0},
            {"sku": "plenty", "stock": 900, "minimum": 50, "lead": 10, "use": 5},
            {"sku": "unused", "stock": 60, "minimum": 50, "lead": 10, "use": 0},
        ]
    )
    safety = 1.28 * 2.0 * np.sqrt(10)
    assert window.reorder_level[1] == pytest.approx(50 + safety)
    assert window.latest_order_day[1] == pytest.approx((200 - 50 - safety) / 5 - 10)
    # No use at all: the latest order day is infinite, the window only today.
    assert window.deadline.tolist() == [0, int((200 - 50 - safety) / 5 - 10), 30, 0]
    assert window.late.tolist() == [True, False, False, False]
    assert window.no_need.tolist() == [False, False, True, True]


def test_choose_action_signals():
    dip = [10.0] * 30
    dip[9] = 9.0
    position, use, outlook, window = stages(
        [
            {"sku": "late", "stock": 100, "minimum": 50, "lead": 10, "use": 5},
            {"sku": "fall", "stock": 200, "minimum": 50, "lead": 10, "use": 5},
            {"sku": "rise", "stock": 200, "minimum": 50, "lead": 10, "use": 5},
            {"sku": "flat", "stock": 200, "minimum": 50, "lead": 10, "use": 5},
            {"sku": "cheap", "stock": 200, "minimum": 50, "lead": 10, "use": 5},
        ],
        forecast={"fall": dip, "rise": [11.0] * 30, "cheap": [10.0] * 30},
        price={"cheap": 8.0},
    )
    decision = choose_action(position, use, outlook, window, SETTINGS)
    assert decision.action.tolist() == ["buy_now", "wait_until", "buy_now", "buy_by", "buy_now"]
    assert decision.signal.tolist() == ["stock", "fall", "rise", "none", "opportunity"]
    assert decision.day.tolist() == [0, 10, 0, 20, 0]
    assert decision.drop_share[1] == pytest.approx(0.1)
    assert decision.rise_share[2] == pytest.approx(0.1)
    assert decision.rise_holding_share[2] == pytest.approx(0.25 * 20 / 365)


def test_order_quantity_regular_and_extra():
    position, use, outlook, window = stages(
        [
            {"sku": "late", "stock": 100, "minimum": 50, "lead": 10, "use": 5},
            {"sku": "cheap", "stock": 100, "minimum": 50, "lead": 10, "use": 5, "unit": "caixa"},
        ],
        forecast={"cheap": [10.0] * 30},
        price={"cheap": 8.0},
    )
    settings = RecommendationSettings(max_cover_days=65.5)
    decision = choose_action(position, use, outlook, window, settings)
    quantity = order_quantity(position, use, outlook, window, decision, settings)
    np.testing.assert_array_equal(quantity.regular, [150.0, 150.0])
    # Room: 50 + 5 x 65.5 - 250 = 127.5 caixas -> 127 whole ones (rounded down: within limit).
    np.testing.assert_array_equal(quantity.extra, [0.0, 127.0])
    assert quantity.extra_limit.tolist() == ["", "stock"]
    np.testing.assert_array_equal(quantity.total, [150.0, 277.0])


def test_round_quantity_down_keeps_limits():
    np.testing.assert_array_equal(
        round_quantity_down([3.99, 3.99, 4.0, -1.0], ["caixa", "metro", "par", "kg"]),
        [3.0, 3.9, 4.0, 0.0],
    )


def facts(**changes) -> AdviceFacts:
    base = dict(
        action="buy_by",
        signal="none",
        trusted=True,
        note="trusted",
        unit="metro",
        quantity=150.0,
        extra_quantity=0.0,
        extra_limit="",
        cover_days=40.0,
        position=200.0,
        minimum=50.0,
        lead_days=10,
        daily_use=5.0,
        price_today=1234.5,
        from_market=True,
        expected_price=1234.5,
        drop_share=0.0,
        rise_share=0.0,
        holding_share=0.0,
        normal_price=float("nan"),
        below_normal_share=float("nan"),
        saving=0.0,
        date=dt.date(2026, 12, 14),
        deadline=dt.date(2026, 12, 14),
        horizon_days=30,
        max_cover_days=120.0,
    )
    return AdviceFacts(**{**base, **changes})


def test_reason_text_in_portuguese():
    assert reason_text(facts()) == (
        "Estoque cobre 40 dias e não há queda de preço relevante prevista; compre 150 metros "
        "até 14/12/2026 (prazo de entrega de 10 dias), hoje a R$ 1.234,50."
    )
    rise = reason_text(
        facts(action="buy_now", signal="rise", rise_share=0.05, holding_share=0.0137)
    )
    assert rise.startswith("O preço deve subir 5,0% até 14/12/2026")
    assert "(1,4%); compre 150 metros agora a R$ 1.234,50." in rise
    opportunity = reason_text(
        facts(
            action="buy_now",
            signal="opportunity",
            quantity=300.0,
            extra_quantity=150.0,
            extra_limit="budget",
            normal_price=1500.0,
            below_normal_share=0.177,
            holding_share=0.021,
            saving=34_567.0,
        )
    )
    assert opportunity == (
        "O preço de hoje (R$ 1.234,50) está 17,7% abaixo do nível normal previsto "
        "(R$ 1.500,00), mais que o custo de manter o estoque (2,1%); compre 300 metros agora, "
        "dos quais 150 metros a mais para os dias seguintes, limitado pelo orçamento de compras "
        "antecipadas (economia esperada de R$ 34.567,00)."
    )
    fallback = reason_text(facts(trusted=False, note="no_model", from_market=False))
    assert fallback.startswith("Sem modelo de previsão para o produto: regra de estoque pelo")
    assert "(sem cotação de mercado, vale o preço de referência do catálogo)" in fallback
