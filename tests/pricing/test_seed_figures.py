"""The worked figures of the seed documents, reproduced by the pricing core."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pricing import quote
from tests.pricing.conftest import bi_request, credit_request


def test_one_million_mixed_portfolio_lands_around_2000_to_4000() -> None:
    c = quote(credit_request(1_000_000)).credit
    assert c is not None
    assert Decimal(2000) <= c.premium_low_eur <= c.premium_high_eur <= Decimal(4000)
    assert Decimal("0.2") <= c.rate_low_pct and c.rate_high_pct <= Decimal("0.4")


def test_three_hundred_thousand_pays_the_minimum_premium() -> None:
    c = quote(credit_request(300_000)).credit
    assert c is not None
    assert c.minimum_premium_applies
    assert c.premium_low_eur == Decimal(2500)
    assert c.rate_low_pct == Decimal("0.83")
    assert "minimum_premium" in {f.code for f in c.factors}


def test_minimum_premiums_dominate_below_half_a_million() -> None:
    for turnover in (150_000, 250_000, 400_000, 450_000):
        c = quote(credit_request(turnover)).credit
        assert c is not None and c.minimum_premium_applies, turnover
        assert c.premium_low_eur == Decimal(2500)


def test_five_million_with_good_spread_lands_at_point_one_to_point_two_percent() -> None:
    c = quote(
        credit_request(5_000_000, debtor_count=150, top5_share_pct=25, bad_debt_3y_eur=0)
    ).credit
    assert c is not None
    assert not c.minimum_premium_applies
    assert Decimal("0.1") <= c.rate_low_pct <= c.rate_high_pct <= Decimal("0.2")
    assert Decimal(5000) <= c.premium_low_eur and c.premium_high_eur <= Decimal(10000)


@pytest.mark.parametrize("turnover", [600_000, 1_000_000, 2_500_000, 8_000_000, 40_000_000])
@pytest.mark.parametrize("sector", ["ict", "groothandel", "bouw"])
@pytest.mark.parametrize("debtors", [3, 30, 500])
def test_rates_stay_in_the_market_band_once_the_minimum_no_longer_rules(
    turnover: int, sector: str, debtors: int
) -> None:
    c = quote(credit_request(turnover, sector=sector, debtor_count=debtors)).credit
    assert c is not None
    if not c.minimum_premium_applies:
        assert Decimal("0.1") <= c.rate_low_pct <= c.rate_high_pct <= Decimal("0.6")


def test_85_percent_cover_is_about_ten_percent_cheaper_than_90() -> None:
    at_90 = quote(credit_request(3_000_000, indemnity_pct=90)).credit
    at_85 = quote(credit_request(3_000_000, indemnity_pct=85)).credit
    assert at_90 is not None and at_85 is not None
    ratio = at_85.premium_high_eur / at_90.premium_high_eur
    assert Decimal("0.88") <= ratio <= Decimal("0.92")


def test_weet_ik_niet_is_priced_at_90_percent() -> None:
    unknown = quote(credit_request(3_000_000)).credit
    at_90 = quote(credit_request(3_000_000, indemnity_pct=90)).credit
    assert unknown is not None and at_90 is not None
    assert unknown.premium_high_eur == at_90.premium_high_eur


def test_construction_and_transport_cost_more_than_business_services() -> None:
    def premium(sector: str) -> Decimal:
        c = quote(credit_request(2_000_000, sector=sector)).credit
        assert c is not None
        return c.premium_high_eur

    services = premium("zakelijke_dienstverlening")
    assert premium("bouw") > services
    assert premium("transport") > services


def test_more_debtors_cost_less_than_few() -> None:
    def premium(debtors: int) -> Decimal:
        c = quote(credit_request(2_000_000, debtor_count=debtors)).credit
        assert c is not None
        return c.premium_high_eur

    assert premium(2) > premium(50)
    assert premium(50) > premium(500)


def test_clean_history_costs_less_than_losses() -> None:
    clean = quote(credit_request(2_000_000, bad_debt_3y_eur=0)).credit
    losses = quote(credit_request(2_000_000, bad_debt_3y_eur=30_000)).credit
    assert clean is not None and losses is not None
    assert clean.premium_high_eur < losses.premium_high_eur


def test_bi_insured_sum_is_turnover_minus_variable_costs() -> None:
    bi = quote(bi_request(600_000, variable_costs_eur=300_000)).bi
    assert bi is not None
    assert bi.insured_sum_eur == Decimal(300_000)


def test_bi_gross_profit_can_be_given_directly() -> None:
    bi = quote(bi_request(600_000, variable_costs_eur=None, gross_profit_eur=250_000)).bi
    assert bi is not None
    assert bi.insured_sum_eur == Decimal(250_000)


def test_bi_longer_indemnity_period_costs_more_and_longer_waiting_less() -> None:
    def premium(weeks: int, hours: int) -> Decimal:
        bi = quote(bi_request(2_000_000, indemnity_period_weeks=weeks,
                              waiting_period_hours=hours)).bi
        assert bi is not None
        return bi.premium_high_eur

    assert premium(26, 48) < premium(52, 48) < premium(78, 48) < premium(104, 48)
    assert premium(52, 24) > premium(52, 48) > premium(52, 72) > premium(52, 168)


def test_bi_warns_of_under_insurance_when_gross_profit_is_low() -> None:
    bi = quote(bi_request(2_000_000, variable_costs_eur=1_900_000)).bi
    assert bi is not None
    assert [w.code for w in bi.warnings] == ["low_gross_profit"]
    healthy = quote(bi_request(2_000_000, variable_costs_eur=1_000_000)).bi
    assert healthy is not None and healthy.warnings == ()


def test_offers_name_eligibility_and_reasons() -> None:
    c = quote(credit_request(7_000_000, export_share_pct=60)).credit
    assert c is not None
    offers = {o.product: o for o in c.offers}
    assert not offers["mkbZeker"].eligible  # too much export
    assert not offers["Simplicity"].eligible  # above EUR 5m
    assert not offers["EasyLiner"].eligible
    assert offers["TradeLiner"].eligible and offers["Modula"].eligible
    assert offers["Export/single risk"].eligible
    for offer in c.offers:
        assert offer.reason
        if offer.eligible:
            assert offer.premium_low_eur is not None and offer.premium_high_eur is not None
            assert offer.minimum_premium_eur <= offer.premium_low_eur <= offer.premium_high_eur
        else:
            assert offer.premium_low_eur is None


def test_quote_is_stamped_with_the_tariff_versions_and_a_disclaimer() -> None:
    q = quote(credit_request(1_000_000))
    assert q.tariff_version == "credit-2026.1+bi-2026.1"
    assert "indication" in q.disclaimer
