"""Properties of the pricing core over the whole input space (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import SECTORS, BiRequest, CreditRequest, QuoteRequest, quote

turnovers = st.integers(min_value=10_000, max_value=200_000_000).map(Decimal)
percentages = st.integers(min_value=0, max_value=100).map(Decimal)

credit_blocks = st.builds(
    CreditRequest,
    credit_share_pct=st.integers(min_value=1, max_value=100).map(Decimal),
    debtor_count=st.integers(min_value=1, max_value=5000),
    top5_share_pct=percentages,
    payment_term_days=st.sampled_from([0, 14, 30, 45, 60, 90, 120]),
    export_share_pct=percentages,
    bad_debt_3y_eur=st.integers(min_value=0, max_value=500_000).map(Decimal),
    indemnity_pct=st.one_of(st.none(), st.integers(min_value=50, max_value=90).map(Decimal)),
)
sectors = st.sampled_from(sorted(SECTORS))
SETTINGS = settings(max_examples=300, deadline=None)


def _credit(sector: str, turnover: Decimal, credit: CreditRequest):  # type: ignore[no-untyped-def]
    result = quote(QuoteRequest(sector=sector, turnover_eur=turnover, credit=credit)).credit
    assert result is not None
    return result


@SETTINGS
@given(sectors, turnovers, credit_blocks)
def test_never_below_a_products_minimum_and_low_never_above_high(
    sector: str, turnover: Decimal, credit: CreditRequest
) -> None:
    c = _credit(sector, turnover, credit)
    assert c.premium_low_eur <= c.premium_high_eur
    assert c.rate_low_pct <= c.rate_high_pct
    eligible = [o for o in c.offers if o.eligible]
    assert eligible, "some product always fits"
    assert c.premium_low_eur >= min(o.minimum_premium_eur for o in eligible)
    for o in eligible:
        assert o.premium_low_eur is not None and o.premium_high_eur is not None
        assert o.minimum_premium_eur <= o.premium_low_eur <= o.premium_high_eur


@SETTINGS
@given(sectors, turnovers, turnovers, credit_blocks)
def test_non_decreasing_in_turnover(
    sector: str, a: Decimal, b: Decimal, credit: CreditRequest
) -> None:
    small, large = sorted((a, b))
    low = _credit(sector, small, credit)
    high = _credit(sector, large, credit)
    assert low.premium_low_eur <= high.premium_low_eur
    assert low.premium_high_eur <= high.premium_high_eur


@SETTINGS
@given(sectors, turnovers, credit_blocks)
def test_85_percent_never_costs_more_than_90(
    sector: str, turnover: Decimal, credit: CreditRequest
) -> None:
    at_85 = _credit(sector, turnover, credit.model_copy(update={"indemnity_pct": Decimal(85)}))
    at_90 = _credit(sector, turnover, credit.model_copy(update={"indemnity_pct": Decimal(90)}))
    assert at_85.premium_low_eur <= at_90.premium_low_eur
    assert at_85.premium_high_eur <= at_90.premium_high_eur


by_class = {rc: sorted(k for k, s in SECTORS.items() if s.risk_class == rc) for rc in (1, 2, 3)}


@SETTINGS
@given(st.data(), turnovers, credit_blocks)
def test_higher_risk_class_never_costs_less(
    data: st.DataObject, turnover: Decimal, credit: CreditRequest
) -> None:
    premiums = []
    for rc in (1, 2, 3):
        sector = data.draw(st.sampled_from(by_class[rc]))
        premiums.append(_credit(sector, turnover, credit).premium_high_eur)
        bi = quote(QuoteRequest(sector=sector, turnover_eur=turnover,
                                bi=BiRequest(gross_profit_eur=turnover / 2))).bi
        assert bi is not None
    assert premiums[0] <= premiums[1] <= premiums[2]


bi_turnovers = st.integers(min_value=10_000, max_value=100_000_000).map(Decimal)


@SETTINGS
@given(sectors, bi_turnovers, st.floats(min_value=0, max_value=0.99), st.booleans(),
       st.integers(min_value=1, max_value=20))
def test_bi_insured_sum_is_exact_and_monotone_in_period_and_waiting(
    sector: str, turnover: Decimal, share: float, extra: bool, locations: int
) -> None:
    variable = (turnover * Decimal(str(round(share, 4)))).quantize(Decimal(1))
    premiums: dict[tuple[int, int], Decimal] = {}
    for weeks in (26, 52, 78, 104):
        for hours in (24, 48, 72, 168):
            request = QuoteRequest(sector=sector, turnover_eur=turnover, bi=BiRequest(
                variable_costs_eur=variable, indemnity_period_weeks=weeks,
                waiting_period_hours=hours, extra_costs=extra, locations=locations))
            bi = quote(request).bi
            assert bi is not None
            assert bi.insured_sum_eur == turnover - variable
            assert bi.premium_low_eur <= bi.premium_high_eur
            premiums[(weeks, hours)] = bi.premium_high_eur
    for hours in (24, 48, 72, 168):
        assert premiums[(26, hours)] <= premiums[(52, hours)] <= premiums[(78, hours)] \
            <= premiums[(104, hours)]
    for weeks in (26, 52, 78, 104):
        assert premiums[(weeks, 24)] >= premiums[(weeks, 48)] >= premiums[(weeks, 72)] \
            >= premiums[(weeks, 168)]
