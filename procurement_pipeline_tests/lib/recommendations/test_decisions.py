"""The decisions the price forecast drives: buy ahead of a rise (beyond the cost of holding),
wait for the cheapest day of a fall, buy extra on an opportunity within the stock and budget
limits, and the stock rule alone without a forecast."""

import datetime as dt

import pytest

from procurement_pipeline.lib.recommendations import RecommendationSettings, recommend
from procurement_pipeline.lib.recommendations.engine import NO_MODEL_NOTE
from procurement_pipeline_tests.lib.recommendations.conftest import AS_OF, make_case

# Latest safe order day in 20 days: (200 - 50) / 5 - 10.
FLEXIBLE = {"sku": "A", "stock": 200, "minimum": 50, "lead": 10, "use": 5}


def run(rows, settings=None, **kwargs):
    recs = recommend(*make_case(rows, **kwargs), AS_OF, settings)
    return recs.set_index("sku", drop=False)


def test_buys_ahead_when_the_rise_beats_the_holding_cost():
    # +5 % on every day of the window; holding 25 %/year for the 20 days to the deadline is
    # 1.4 %: buying now saves 3.6 % net, above min_rise_share (3 %).
    recs = run([FLEXIBLE], forecast={"A": [10.5] * 30})
    row = recs.loc["A"]
    assert row["action"] == "buy_now"
    assert row["action_date"] == AS_OF
    assert row["suggested_quantity"] == 50 + 5 * 40 - 200  # the regular order, brought forward
    assert row["reason"].startswith("O preço deve subir 5,0% até 14/12/2026")
    assert "custo de manter o estoque até lá (1,4%)" in row["reason"]
    # Saving against the cheapest later day (10.50) net of 20 days of holding at 10.00.
    assert row["expected_saving"] == pytest.approx(
        (10.5 - 10.0 * (1 + 0.25 * 20 / 365)) * 50, abs=0.01
    )


def test_buys_ahead_of_a_gradual_rise_instead_of_on_the_dearest_day():
    """+0.3 % a day: no single day jumps 3 %, but the deadline (day 20) costs 6.2 % more than
    today against 1.4 % of holding. Before, the advice was 'buy by day 20', its own expected
    price the dearest of the window and its expected saving negative (seen on the demo
    dashboard: 'Economia esperada -R$ 5.293,92')."""
    gradual = [10.0 * 1.003**k for k in range(1, 31)]
    row = run([FLEXIBLE], forecast={"A": gradual}).loc["A"]
    assert row["action"] == "buy_now" and row["action_date"] == AS_OF
    deadline_price, holding = 10.0 * 1.003**20, 0.25 * 20 / 365
    assert row["reason"].startswith("O preço deve subir 6,2% até 14/12/2026")
    assert row["expected_saving"] == pytest.approx(
        (deadline_price - 10.0 * (1 + holding)) * 50, abs=0.01
    )
    # Gentler, +0.1 % a day (2 % to the deadline, less than 3 % net of holding): the stock
    # rule's deadline stands, and what it costs against today stays within that margin.
    gentle = run([FLEXIBLE], forecast={"A": [10.0 * 1.001**k for k in range(1, 31)]}).loc["A"]
    assert gentle["action"] == "buy_by"
    assert gentle["action_date"] == AS_OF + dt.timedelta(days=20)
    assert -0.03 * 10.0 * gentle["suggested_quantity"] < gentle["expected_saving"] <= 0


def test_buys_by_the_day_before_a_rise_later_in_the_window():
    # Flat for 9 days, then +6 %: ordering on day 9 instead of the deadline (day 20) saves
    # 6 % less 11 days of holding.
    forecast = [10.0] * 9 + [10.6] * 21
    row = run([FLEXIBLE], forecast={"A": forecast}).loc["A"]
    assert row["action"] == "buy_by"
    assert row["action_date"] == AS_OF + dt.timedelta(days=9)
    assert row["suggested_quantity"] == 50 + 5 * (9 + 10 + 30) - 200
    assert row["expected_unit_price"] == 10.0
    assert row["reason"].startswith("O preço deve subir 6,0% até 14/12/2026")
    assert "compre 95 metros até 03/12/2026, antes da alta" in row["reason"]
    holding = 0.25 * 11 / 365
    assert row["expected_saving"] == pytest.approx(10.0 * (0.06 - holding) * 95, abs=0.01)
    # A rise after the deadline changes nothing.
    late_rise = [10.0] * 25 + [10.6] * 5
    assert run([FLEXIBLE], forecast={"A": late_rise}).loc["A", "action_date"] == AS_OF + (
        dt.timedelta(days=20)
    )


def test_no_buy_ahead_when_the_rise_is_below_the_holding_cost():
    # The same +5 %, but holding at 100 %/year costs 5.5 % over the 20 days: wait for the
    # deadline as the stock rule says.
    expensive = RecommendationSettings(holding_cost_rate=1.0)
    row = run([FLEXIBLE], expensive, forecast={"A": [10.5] * 30}).loc["A"]
    assert row["action"] == "buy_by"
    assert row["action_date"] == AS_OF + dt.timedelta(days=20)
    # ... and a rise that only just pays for holding is below the margin: no buy-ahead either.
    row = run([FLEXIBLE], forecast={"A": [10.4] * 30}).loc["A"]
    assert row["action"] == "buy_by"


def test_holding_cost_makes_the_later_of_two_equal_dips_the_choice():
    # The same low price on days 5 and 12: buying on day 12 holds the stock 7 days less.
    forecast = [10.0] * 30
    forecast[4] = forecast[11] = 9.0
    row = run([FLEXIBLE], forecast={"A": forecast}).loc["A"]
    assert row["action"] == "wait_until"
    assert row["action_date"] == AS_OF + dt.timedelta(days=12)


def test_waits_for_the_cheapest_day_of_a_falling_forecast():
    falling = [10.0 - 0.1 * k for k in range(1, 31)]  # lowest inside the window on day 20
    row = run([FLEXIBLE], forecast={"A": falling}).loc["A"]
    assert row["action"] == "wait_until"
    assert row["action_date"] == AS_OF + dt.timedelta(days=20)
    # Trusted and flat, the trend's rise speaks for itself.
    flat = run([FLEXIBLE], expected={"A": EXPECTED_RISE}).loc["A"]
    assert flat["action"] == "buy_now"
    assert flat["reason"].startswith("Pela tendência das últimas semanas o preço médio")
    assert row["expected_unit_price"] == pytest.approx(8.0)
    assert row["suggested_quantity"] == 50 + 5 * (20 + 10 + 30) - 200
    assert "o preço deve cair 20,0% até 14/12/2026" in row["reason"]


OPPORTUNITY = {"sku": "A", "stock": 100, "minimum": 50, "lead": 10, "use": 5}  # late: buy now


def test_extra_on_a_price_opportunity():
    # Normal level 10.00 (lower bound 9.50); today 8.50 is 10.5 % below the lower bound.
    row = run([OPPORTUNITY], forecast={"A": [10.0] * 30}, price={"A": 8.5}).loc["A"]
    assert row["action"] == "buy_now"
    regular = 50 + 5 * 40 - 100
    extra = 5 * 30  # extra_cover_days of use
    assert row["suggested_quantity"] == regular + extra
    holding = 0.25 * 30 / 365  # the extra would otherwise be bought with the next order
    assert row["expected_saving"] == pytest.approx((10.0 - 8.5 * (1 + holding)) * extra, abs=0.01)
    assert row["reason"].startswith(
        "O preço de hoje (R$ 8,50) está 15,0% abaixo do nível normal previsto (R$ 10,00)"
    )
    expected = f"compre {regular + extra} metros agora, dos quais {extra} metros a mais"
    assert expected in row["reason"]


def test_no_extra_when_the_price_is_not_far_enough_below_the_forecast():
    # 9.20 is above 9.50 x 0.95: no opportunity, only what the stock needs.
    row = run([OPPORTUNITY], forecast={"A": [10.0] * 30}, price={"A": 9.2}).loc["A"]
    assert row["suggested_quantity"] == 150
    assert "abaixo do nível normal" not in row["reason"]


def test_extra_capped_by_the_stock_limit():
    # At most 60 days of use above the reorder level: the position after the order is 100 +
    # 150 regular; the cap is 50 + 5 x 60 = 350, so 100 of the 150 extra fit.
    limited = RecommendationSettings(max_cover_days=60)
    row = run([OPPORTUNITY], limited, forecast={"A": [10.0] * 30}, price={"A": 8.5}).loc["A"]
    assert row["suggested_quantity"] == 150 + 100
    assert "limitado ao estoque máximo de 60 dias de consumo" in row["reason"]


def test_extra_capped_by_the_budget_best_discount_first():
    rows = [
        {**OPPORTUNITY, "sku": "A"},
        {**OPPORTUNITY, "sku": "B"},
    ]
    forecast = {"A": [10.0] * 30, "B": [10.0] * 30}
    price = {"A": 8.0, "B": 8.5}  # A's discount is larger: it gets the budget first
    budget = RecommendationSettings(extra_budget=1_500.0)
    recs = run(rows, budget, forecast=forecast, price=price)
    # A: 150 extra x 8.00 = 1,200; B gets the remaining 300 / 8.50 = 35.3 -> 35.2 metros
    # (rounded down to the 0.1 step so the budget holds).
    assert recs.loc["A", "suggested_quantity"] == 150 + 150
    assert recs.loc["B", "suggested_quantity"] == pytest.approx(150 + 35.2)
    spent = 150 * 8.0 + 35.2 * 8.5
    assert spent <= 1_500.0
    assert "limitado pelo orçamento" in recs.loc["B", "reason"]
    assert "limitado" not in recs.loc["A", "reason"]
    # No budget for extras at all: only the regular orders.
    none = run(rows, RecommendationSettings(extra_budget=0.0), forecast=forecast, price=price)
    assert none["suggested_quantity"].tolist() == [150, 150]
    assert "nada a mais: limitado pelo orçamento" in none.loc["A", "reason"]


def test_opportunity_on_a_product_with_no_need_yet_buys_the_extra_only():
    # Stock covers 60 days (T = 40 > 30): no need; at 8.00 against 10.00 the extra pays for
    # 40 days of holding (2.7 %), so it tops the position up to lead + horizon + extra days.
    row = {"sku": "A", "stock": 300, "minimum": 50, "lead": 10, "use": 5}
    rec = run([row], forecast={"A": [10.0] * 30}, price={"A": 8.0}).loc["A"]
    assert rec["action"] == "buy_now"
    assert rec["suggested_quantity"] == 50 + 5 * (10 + 30 + 30) - 300
    assert "mas vale comprar 100 metros agora" in rec["reason"]
    # Without the discount the stock rule's verdict stands.
    rec = run([row], forecast={"A": [10.0] * 30}).loc["A"]
    assert rec["action"] == "no_need"


def test_no_forecast_falls_back_to_the_stock_rule_at_todays_price():
    rows = [FLEXIBLE, {**OPPORTUNITY, "sku": "B"}]
    products, consumption, forecasts, models, today = make_case(rows, price={"A": 10.0, "B": 8.5})
    forecasts, models = forecasts.iloc[0:0], models.iloc[0:0]  # no forecast, no model
    recs = recommend(products, consumption, forecasts, models, today, AS_OF).set_index("sku")
    assert recs.loc["A", "action"] == "buy_by"
    assert recs.loc["A", "action_date"] == AS_OF + dt.timedelta(days=20)
    assert recs.loc["B", "action"] == "buy_now"
    assert recs.loc["B", "suggested_quantity"] == 150  # no extra without a forecast
    assert not recs["trusted_model"].any()
    assert (recs["expected_saving"] == 0).all()
    for reason in recs["reason"]:
        assert reason.startswith(NO_MODEL_NOTE[:-1])


# The expected (mean) path rises 8 % by the deadline (day 20) while the median forecast holds.
EXPECTED_RISE = [10.0 * (1 + 0.08 * k / 20) for k in range(1, 31)]


def test_buys_ahead_of_the_expected_rise_of_a_model_that_does_not_beat_naive():
    """A price that holds and then steps up: the median forecast (what the trust rule judges)
    says it holds, the mean of its recent changes says +8 % by the deadline. A purchase costs
    the mean price: buy the deadline's order now, the saving net of 20 days of holding."""
    recs = run([FLEXIBLE], beats={"A": False}, expected={"A": EXPECTED_RISE})
    row = recs.loc["A"]
    assert not row["trusted_model"]
    assert row["action"] == "buy_now" and row["action_date"] == AS_OF
    assert row["suggested_quantity"] == 50 + 5 * 40 - 200
    assert row["reason"].startswith(
        "A previsão do modelo não supera as referências, mas pela tendência das últimas "
        "semanas o preço médio esperado sobe 8,0% até 14/12/2026"
    )
    assert "compre 50 metros agora a R$ 10,00" in row["reason"]
    holding = 0.25 * 20 / 365
    assert row["expected_saving"] == pytest.approx((10.8 - 10.0 * (1 + holding)) * 50, abs=0.01)


def test_no_buy_ahead_when_the_expected_rise_does_not_pay_for_holding():
    # +3.5 % expected by the deadline, 1.4 % of holding: 2.1 % net, under min_rise_share.
    gentle = [10.0 * (1 + 0.035 * k / 20) for k in range(1, 31)]
    row = run([FLEXIBLE], beats={"A": False}, expected={"A": gentle}).loc["A"]
    assert row["action"] == "buy_by"
    assert row["action_date"] == AS_OF + dt.timedelta(days=20)


def test_expected_rise_needs_a_trained_model_and_a_market_price():
    for case in ({"status": {"A": "skipped"}}, {"price": {"A": float("nan")}}):
        row = run([FLEXIBLE], expected={"A": EXPECTED_RISE}, **case).loc["A"]
        assert row["action"] == "buy_by", case


def test_a_trusted_fall_goes_before_the_expected_rise():
    # The trusted median forecast falls 5 % from day 5: wait (to the deadline, the cheapest day
    # with holding), whatever the trend says.
    fall = [10.0] * 4 + [9.5] * 26
    row = run([FLEXIBLE], forecast={"A": fall}, expected={"A": EXPECTED_RISE}).loc["A"]
    assert row["action"] == "wait_until"
    assert row["action_date"] == AS_OF + dt.timedelta(days=20)
    # Trusted and flat, the trend's rise speaks for itself.
    flat = run([FLEXIBLE], expected={"A": EXPECTED_RISE}).loc["A"]
    assert flat["action"] == "buy_now"
    assert flat["reason"].startswith("Pela tendência das últimas semanas o preço médio")


def test_expected_rise_from_a_model_anchored_before_today():
    # The expected path reaches day 25 of the window only (the model's anchor is older): the
    # deadline (day 20) is covered, so the rule applies; with the deadline's day missing, not.
    covered = EXPECTED_RISE[:25] + [float("nan")] * 5
    row = run([FLEXIBLE], beats={"A": False}, expected={"A": covered}).loc["A"]
    assert row["action"] == "buy_now"
    short = EXPECTED_RISE[:15] + [float("nan")] * 15
    row = run([FLEXIBLE], beats={"A": False}, expected={"A": short}).loc["A"]
    assert row["action"] == "buy_by"
