"""Properties of the pricing core over the whole input space (hypothesis).

Every comparison runs for every generated example. Where a minimum premium can make two prices
equal, the comparison says so exactly: strictly cheaper, or both held at the tariff's minimum.
`event` labels which regime an example hit (see `pytest --hypothesis-show-statistics`), so a
strategy that only ever produced minimum premiums would show.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal
from itertools import pairwise

from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from pricing import SECTORS, BiQuote, BiRequest, CreditQuote, CreditRequest, QuoteRequest, quote
from pricing.models import INDEMNITY_PERIOD_WEEKS, WAITING_PERIOD_HOURS
from pricing.tariffs import bi_tariff, credit_tariff


def euros(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Whole euros spread evenly over the orders of magnitude from `high` down to `low`.

    `st.integers` favours small values, and so does hypothesis's fallback to the simplest
    choice, which it takes more often the more a test draws: with either, most examples were
    priced at the minimum premium, where the comparisons below are equalities. Drawn as a
    distance below `high`, the simplest choice is the top of the range instead.
    """
    span = math.log10(high / low)
    return st.floats(min_value=0, max_value=span).map(
        lambda below: Decimal(min(high, max(low, round(high / 10**below))))
    )


turnovers = euros(10_000, 1_000_000_000)
percentages = st.integers(min_value=0, max_value=100).map(Decimal)

credit_blocks = st.builds(
    CreditRequest,
    credit_share_pct=st.sampled_from([100, 90, 75, 50, 25, 10, 1]).map(Decimal),
    debtor_count=st.integers(min_value=1, max_value=5000),
    top5_share_pct=percentages,
    payment_term_days=st.sampled_from([0, 14, 30, 45, 60, 90, 120]),
    export_share_pct=percentages,
    bad_debt_3y_eur=st.integers(min_value=0, max_value=500_000).map(Decimal),
    indemnity_pct=st.one_of(st.none(), st.integers(min_value=50, max_value=90).map(Decimal)),
)
sectors = st.sampled_from(sorted(SECTORS))
SETTINGS = settings(max_examples=300, deadline=None)


def _credit(sector: str, turnover: Decimal, credit: CreditRequest) -> CreditQuote:
    result = quote(QuoteRequest(sector=sector, turnover_eur=turnover, credit=credit)).credit
    assert result is not None
    return result


def _regime(c: CreditQuote) -> str:
    return "credit: minimum premium" if c.minimum_premium_applies else "credit: rate"


@SETTINGS
@given(sectors, turnovers, credit_blocks)
def test_never_below_a_products_minimum_and_low_never_above_high(
    sector: str, turnover: Decimal, credit: CreditRequest
) -> None:
    c = _credit(sector, turnover, credit)
    event(_regime(c))
    assert c.premium_low_eur <= c.premium_high_eur
    assert c.rate_low_pct <= c.rate_high_pct
    tariff_minimums = {p.product: p.minimum_premium_eur for p in credit_tariff().products}
    assert {o.product: o.minimum_premium_eur for o in c.offers} == tariff_minimums
    eligible = [o for o in c.offers if o.eligible]
    assert eligible, "some product always fits"
    floor = min(o.minimum_premium_eur for o in eligible)
    assert c.premium_low_eur >= floor
    if c.minimum_premium_applies:
        assert c.premium_low_eur == floor
        assert "minimum_premium" in {f.code for f in c.factors}
    else:
        assert "minimum_premium" not in {f.code for f in c.factors}
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
    event(f"smaller turnover: {_regime(low)}")
    note(f"{small}: {low.premium_low_eur}-{low.premium_high_eur}; "
         f"{large}: {high.premium_low_eur}-{high.premium_high_eur}")
    assert low.premium_low_eur <= high.premium_low_eur
    assert low.premium_high_eur <= high.premium_high_eur


@SETTINGS
@given(sectors, turnovers, credit_blocks)
def test_85_percent_never_costs_more_than_90_nor_much_more_than_ten_percent_less(
    sector: str, turnover: Decimal, credit: CreditRequest
) -> None:
    at_85 = _credit(sector, turnover, credit.model_copy(update={"indemnity_pct": Decimal(85)}))
    at_90 = _credit(sector, turnover, credit.model_copy(update={"indemnity_pct": Decimal(90)}))
    event(f"at 90 %: {_regime(at_90)}")
    # The tariff's own factor for 85 % relative to 90 %: the premium falls by at most that much
    # (the minimum premium and the rate bounds can only narrow the gap), one euro for rounding.
    points = dict(credit_tariff().indemnity_points)
    ratio = points[Decimal(85)] / points[Decimal(90)]
    for cheap, dear in ((at_85.premium_low_eur, at_90.premium_low_eur),
                        (at_85.premium_high_eur, at_90.premium_high_eur)):
        note(f"85 %: {cheap}, 90 %: {dear}")
        assert dear * ratio - 1 <= cheap <= dear


by_class = {rc: sorted(k for k, s in SECTORS.items() if s.risk_class == rc) for rc in (1, 2, 3)}

# Business interruption: the gross profit (the insured sum) and the variable costs are drawn
# directly, so the turnover is their sum and every request is valid.
gross_profits = euros(10_000, 100_000_000)
variable_costs = st.one_of(st.just(Decimal(0)), euros(1, 100_000_000))
periods = st.sampled_from(INDEMNITY_PERIOD_WEEKS)
waits = st.sampled_from(WAITING_PERIOD_HOURS)
location_counts = st.integers(min_value=1, max_value=1000)


def _bi(sector: str, gross: Decimal, variable: Decimal, **fields: object) -> BiQuote:
    request = QuoteRequest(sector=sector, turnover_eur=gross + variable,
                           bi=BiRequest(variable_costs_eur=variable, **fields))  # type: ignore[arg-type]
    result = quote(request).bi
    assert result is not None
    return result


def _bi_minimum() -> Decimal:
    return bi_tariff().minimum_premium_eur


def _cheaper(cheaper: BiQuote, dearer: BiQuote) -> None:
    """Both ends of `cheaper` are strictly lower, or equal at the tariff's minimum premium.

    Every BI factor differs by 5 % or more between options, so above the minimum the rounding to
    whole euros cannot make two options equal.
    """
    minimum = _bi_minimum()
    event("bi: above the minimum" if dearer.premium_low_eur > minimum else "bi: at the minimum")
    for low, high in ((cheaper.premium_low_eur, dearer.premium_low_eur),
                      (cheaper.premium_high_eur, dearer.premium_high_eur)):
        note(f"cheaper {low}, dearer {high}, minimum {minimum}")
        assert low < high or low == high == minimum


@SETTINGS
@given(st.data(), turnovers, credit_blocks, gross_profits)
def test_higher_risk_class_never_costs_less(
    data: st.DataObject, turnover: Decimal, credit: CreditRequest, gross: Decimal
) -> None:
    credit_premiums: list[Decimal] = []
    bi_quotes: list[BiQuote] = []
    for rc in (1, 2, 3):
        sector = data.draw(st.sampled_from(by_class[rc]), label=f"class {rc}")
        credit_premiums.append(_credit(sector, turnover, credit).premium_high_eur)
        bi_quotes.append(_bi(sector, gross, Decimal(0)))
    assert credit_premiums[0] <= credit_premiums[1] <= credit_premiums[2]
    _cheaper(bi_quotes[0], bi_quotes[1])
    _cheaper(bi_quotes[1], bi_quotes[2])


@SETTINGS
@given(sectors, gross_profits, variable_costs, st.booleans(), location_counts)
def test_bi_insured_sum_is_exact_and_monotone_in_period_and_waiting(
    sector: str, gross: Decimal, variable: Decimal, extra: bool, locations: int
) -> None:
    quotes: dict[tuple[int, int], BiQuote] = {}
    for weeks in INDEMNITY_PERIOD_WEEKS:
        for hours in WAITING_PERIOD_HOURS:
            bi = _bi(sector, gross, variable, indemnity_period_weeks=weeks,
                     waiting_period_hours=hours, extra_costs=extra, locations=locations)
            assert bi.insured_sum_eur == gross
            assert _bi_minimum() <= bi.premium_low_eur <= bi.premium_high_eur
            quotes[(weeks, hours)] = bi
    # Longer indemnity period: never cheaper.
    for hours in WAITING_PERIOD_HOURS:
        for shorter, longer in pairwise(INDEMNITY_PERIOD_WEEKS):
            _cheaper(quotes[(shorter, hours)], quotes[(longer, hours)])
    # Longer waiting period: never dearer.
    for weeks in INDEMNITY_PERIOD_WEEKS:
        for shorter, longer in pairwise(WAITING_PERIOD_HOURS):
            _cheaper(quotes[(weeks, longer)], quotes[(weeks, shorter)])


@SETTINGS
@given(sectors, gross_profits, variable_costs, periods, waits, location_counts)
def test_bi_extra_costs_are_never_cheaper_with_than_without(
    sector: str, gross: Decimal, variable: Decimal, weeks: int, hours: int, locations: int
) -> None:
    def bi(extra: bool) -> BiQuote:
        return _bi(sector, gross, variable, indemnity_period_weeks=weeks,
                   waiting_period_hours=hours, extra_costs=extra, locations=locations)

    without, with_extra = bi(False), bi(True)
    _cheaper(without, with_extra)
    assert "extra_costs" in {f.code for f in with_extra.factors}
    assert "extra_costs" not in {f.code for f in without.factors}


@SETTINGS
@given(sectors, gross_profits, variable_costs, periods, waits, st.booleans(),
       st.integers(min_value=2, max_value=1000))
def test_bi_several_locations_cost_less_than_one_and_the_same_however_many(
    sector: str, gross: Decimal, variable: Decimal, weeks: int, hours: int, extra: bool,
    locations: int,
) -> None:
    # The model: one factor for "more than one location", whatever the number.
    def bi(count: int) -> BiQuote:
        return _bi(sector, gross, variable, indemnity_period_weeks=weeks,
                   waiting_period_hours=hours, extra_costs=extra, locations=count)

    one, two, many = bi(1), bi(2), bi(locations)
    _cheaper(many, one)
    assert (many.premium_low_eur, many.premium_high_eur) == (
        two.premium_low_eur, two.premium_high_eur)
    assert "locations" in {f.code for f in many.factors}
    assert "locations" not in {f.code for f in one.factors}


@SETTINGS
@given(sectors, gross_profits, st.integers(min_value=0, max_value=1000), variable_costs,
       periods, waits, st.booleans(), location_counts)
def test_bi_higher_gross_profit_never_cheaper(
    sector: str, gross: Decimal, growth_pct: int, variable: Decimal, weeks: int, hours: int,
    extra: bool, locations: int,
) -> None:
    larger = (gross * (100 + growth_pct) / 100).quantize(Decimal(1), rounding=ROUND_CEILING)
    note(f"gross profit {gross} -> {larger}")

    def bi(insured: Decimal) -> BiQuote:
        return _bi(sector, insured, variable, indemnity_period_weeks=weeks,
                   waiting_period_hours=hours, extra_costs=extra, locations=locations)

    small, large = bi(gross), bi(larger)
    assert small.premium_low_eur <= large.premium_low_eur
    assert small.premium_high_eur <= large.premium_high_eur
    # From 10 % more gross profit on, rounding cannot hide the difference above the minimum.
    event("bi gross profit: 10 % or more apart" if growth_pct >= 10 else "bi: within 10 %")
    if growth_pct >= 10:
        _cheaper(small, large)
