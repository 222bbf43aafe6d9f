"""The worked figures of the seed documents, reproduced by the pricing core.

Seed 000 (/work/shared/seeds/000_*.txt) is the credit-insurance page, seed 003 the
business-interruption page. Literal numbers in this file are the seeds' own figures; anything
the tariff decides (minimum premiums, factors, versions) is read from the loaded tariff.
"""

from __future__ import annotations

import dataclasses
import tomllib
from decimal import Decimal
from importlib import resources

import pytest

from pricing import SECTORS, gross_profit, quote, tariff_version
from pricing.models import INDEMNITY_PERIOD_WEEKS, WAITING_PERIOD_HOURS
from pricing.tariffs import bi_tariff, credit_tariff
from tests.pricing.conftest import (
    QUOTE_MODULE,
    applicable_minimum,
    bi_request,
    credit_request,
    effective_rate_pct,
    quote_without_minimums,
)

# Seed 000: "tussen 0,1% en 0,6% van de verzekerde omzet".
MARKET_LOW_PCT = Decimal("0.1")
MARKET_HIGH_PCT = Decimal("0.6")


def _codes(factors: tuple[object, ...]) -> set[str]:
    return {f.code for f in factors}  # type: ignore[attr-defined]


# --- premium as % of insured turnover, and the minimum premium ------------------------------


@pytest.mark.parametrize(
    "turnover", [300_000, 450_000, 600_000, 1_000_000, 2_500_000, 8_000_000, 40_000_000]
)
@pytest.mark.parametrize("sector", ["ict", "groothandel", "bouw"])
@pytest.mark.parametrize("debtors", [3, 30, 500])
def test_the_minimum_premium_or_else_the_market_band(
    turnover: int, sector: str, debtors: int
) -> None:
    """Either the minimum premium rules, exactly, or the rate is in the 0,1-0,6 % band."""
    request = credit_request(turnover, sector=sector, debtor_count=debtors)
    c = quote(request).credit
    assert c is not None
    minimum = applicable_minimum(request)
    by_rate = quote_without_minimums(request)  # what the tariff's rates alone give
    minimum_rules = by_rate.premium_low_eur < minimum
    assert c.minimum_premium_applies is minimum_rules
    assert c.insured_turnover_eur == Decimal(turnover)
    if minimum_rules:
        # The low end is the tariff's minimum, the high end the higher of it and the rate.
        assert c.premium_low_eur == minimum
        assert c.premium_high_eur == max(minimum, by_rate.premium_high_eur)
        # The effective rate is the minimum's: the tariff's rates alone stay in the market
        # band, and the minimum is what lifts the low end above the rate they give.
        assert c.rate_low_pct == effective_rate_pct(minimum, c.insured_turnover_eur)
        assert MARKET_LOW_PCT <= by_rate.rate_low_pct <= by_rate.rate_high_pct <= MARKET_HIGH_PCT
        assert c.rate_low_pct > by_rate.rate_low_pct
        assert "minimum_premium" in _codes(c.factors)
    else:
        assert c.premium_low_eur == by_rate.premium_low_eur >= minimum
        assert c.premium_high_eur == by_rate.premium_high_eur
        assert MARKET_LOW_PCT <= c.rate_low_pct <= c.rate_high_pct <= MARKET_HIGH_PCT
        assert "minimum_premium" not in _codes(c.factors)


def test_the_parametrized_band_test_sees_both_regimes() -> None:
    """The table above exercises the minimum premium and the band, not only one of them."""
    regimes = {
        quote(credit_request(t, sector=s, debtor_count=d)).credit.minimum_premium_applies  # type: ignore[union-attr]
        for t in (300_000, 1_000_000, 8_000_000)
        for s in ("ict", "bouw")
        for d in (3, 500)
    }
    assert regimes == {True, False}


def test_minimum_premiums_range_from_2500_to_5000() -> None:
    # Seed 000: "Als één aanbieder €5.000 minimum hanteert en een ander €2.500".
    minimums = {p.minimum_premium_eur for p in credit_tariff().products}
    assert min(minimums) == Decimal(2500)
    assert max(minimums) == Decimal(5000)


@pytest.mark.parametrize("turnover", [150_000, 200_000, 250_000, 300_000, 400_000, 450_000])
@pytest.mark.parametrize("sector", ["ict", "groothandel", "bouw", "transport"])
@pytest.mark.parametrize("debtors", [3, 30, 500])
def test_minimum_premiums_dominate_below_half_a_million(
    turnover: int, sector: str, debtors: int
) -> None:
    request = credit_request(turnover, sector=sector, debtor_count=debtors)
    c = quote(request).credit
    assert c is not None
    minimum = applicable_minimum(request)
    assert Decimal(2500) <= minimum <= Decimal(5000)
    assert c.minimum_premium_applies
    assert c.premium_low_eur == minimum
    assert quote_without_minimums(request).premium_low_eur < minimum
    assert c.rate_low_pct == effective_rate_pct(minimum, c.insured_turnover_eur)


def test_three_hundred_thousand_pays_the_minimum_premium_of_2500_about_0_83_percent() -> None:
    request = credit_request(300_000)
    c = quote(request).credit
    assert c is not None
    assert c.minimum_premium_applies
    assert c.premium_low_eur == applicable_minimum(request) == Decimal(2500)
    assert c.rate_low_pct == Decimal("0.83")
    # "Dat is hoog qua percentage": the minimum lifts it above the market band.
    assert c.rate_low_pct > MARKET_HIGH_PCT
    assert quote_without_minimums(request).rate_high_pct <= MARKET_HIGH_PCT
    assert "minimum_premium" in _codes(c.factors)


def test_the_larger_the_turnover_the_closer_to_the_percentage_model() -> None:
    # Seed 000: below EUR 200k credit insurance is pricey as a percentage; from EUR 500k it is
    # much more usual; the larger the turnover, the smaller the minimum's share.
    rates = [
        quote(credit_request(t)).credit.rate_low_pct  # type: ignore[union-attr]
        for t in (150_000, 200_000, 300_000, 500_000, 1_000_000)
    ]
    assert rates == sorted(rates, reverse=True) and len(set(rates)) == len(rates)
    assert rates[1] >= Decimal("1.0")  # EUR 200k: a percent or more
    for turnover in (500_000, 1_000_000, 2_000_000):
        c = quote(credit_request(turnover, sector="bouw", debtor_count=3)).credit
        assert c is not None
        assert c.rate_high_pct <= MARKET_HIGH_PCT, turnover


def test_one_million_mixed_portfolio_lands_around_2000_to_4000() -> None:
    c = quote(credit_request(1_000_000)).credit
    assert c is not None
    assert not c.minimum_premium_applies
    assert Decimal(2000) <= c.premium_low_eur <= c.premium_high_eur <= Decimal(4000)
    assert Decimal("0.2") <= c.rate_low_pct and c.rate_high_pct <= Decimal("0.4")


def test_very_safe_portfolio_towards_0_2_to_0_3_and_risky_towards_0_5_to_0_6() -> None:
    # Seed 000: "Bij een heel veilige portefeuille kan het richting 0,2-0,3% zakken, bij
    # risicovolle ... eerder naar 0,5-0,6%"; "<0,5% een bruikbare vuistregel".
    safe = quote(credit_request(1_000_000, sector="ict", debtor_count=150, top5_share_pct=25,
                                bad_debt_3y_eur=0)).credit
    risky = quote(credit_request(1_000_000, sector="bouw", debtor_count=3, top5_share_pct=80,
                                 payment_term_days=90, bad_debt_3y_eur=50_000)).credit
    mixed = quote(credit_request(1_000_000)).credit
    assert safe is not None and risky is not None and mixed is not None
    assert Decimal("0.2") <= safe.rate_low_pct <= safe.rate_high_pct <= Decimal("0.3")
    assert Decimal("0.5") <= risky.rate_high_pct <= MARKET_HIGH_PCT
    assert mixed.rate_high_pct < Decimal("0.5")


def test_five_million_with_good_spread_lands_at_point_one_to_point_two_percent() -> None:
    c = quote(
        credit_request(5_000_000, debtor_count=150, top5_share_pct=25, bad_debt_3y_eur=0)
    ).credit
    assert c is not None
    assert not c.minimum_premium_applies
    assert Decimal("0.1") <= c.rate_low_pct <= c.rate_high_pct <= Decimal("0.2")
    assert Decimal(5000) <= c.premium_low_eur <= c.premium_high_eur <= Decimal(10000)


# --- what moves the price -------------------------------------------------------------------


def test_85_percent_cover_is_about_ten_percent_cheaper_than_90() -> None:
    at_90 = quote(credit_request(3_000_000, indemnity_pct=90)).credit
    at_85 = quote(credit_request(3_000_000, indemnity_pct=85)).credit
    assert at_90 is not None and at_85 is not None
    assert not at_90.minimum_premium_applies and not at_85.minimum_premium_applies
    for cheap, dear in ((at_85.premium_low_eur, at_90.premium_low_eur),
                        (at_85.premium_high_eur, at_90.premium_high_eur)):
        assert Decimal("0.88") <= cheap / dear <= Decimal("0.92")
    assert ("indemnity", "down") in {(f.code, f.direction) for f in at_85.factors}


def test_weet_ik_niet_is_priced_at_90_percent() -> None:
    unknown = quote(credit_request(3_000_000)).credit
    at_90 = quote(credit_request(3_000_000, indemnity_pct=90)).credit
    at_85 = quote(credit_request(3_000_000, indemnity_pct=85)).credit
    assert unknown is not None and at_90 is not None and at_85 is not None
    assert unknown.premium_low_eur == at_90.premium_low_eur
    assert unknown.premium_high_eur == at_90.premium_high_eur
    assert unknown.premium_high_eur != at_85.premium_high_eur


def test_construction_and_transport_cost_more_than_other_sectors() -> None:
    def premium(sector: str) -> Decimal:
        c = quote(credit_request(2_000_000, sector=sector)).credit
        assert c is not None and not c.minimum_premium_applies
        return c.premium_high_eur

    for risky in ("bouw", "transport"):
        assert ("sector", "up") in {
            (f.code, f.direction)
            for f in quote(credit_request(2_000_000, sector=risky)).credit.factors  # type: ignore[union-attr]
        }
        for key, sector in SECTORS.items():
            if sector.risk_class < SECTORS[risky].risk_class:
                assert premium(risky) > premium(key), (risky, key)


def test_more_debtors_cost_less_than_few() -> None:
    def premium(debtors: int) -> Decimal:
        c = quote(credit_request(2_000_000, debtor_count=debtors)).credit
        assert c is not None and not c.minimum_premium_applies
        return c.premium_high_eur

    # Seed 000: "2 klanten vs 50 klanten bij zelfde omzet".
    assert premium(2) > premium(50)
    assert premium(50) > premium(500)


def test_clean_history_costs_less_than_losses() -> None:
    # Seed 000: hardly any losses in past years is an argument for a lower premium.
    clean = quote(credit_request(2_000_000, bad_debt_3y_eur=0)).credit
    one_euro = quote(credit_request(2_000_000, bad_debt_3y_eur=1)).credit
    losses = quote(credit_request(2_000_000, bad_debt_3y_eur=30_000)).credit
    assert clean is not None and one_euro is not None and losses is not None
    assert not clean.minimum_premium_applies
    # The discount itself, not only the loading for losses: one euro of bad debt loses it.
    assert clean.premium_high_eur < one_euro.premium_high_eur < losses.premium_high_eur
    assert clean.premium_low_eur < one_euro.premium_low_eur < losses.premium_low_eur
    assert ("history", "down") in {(f.code, f.direction) for f in clean.factors}
    assert ("history", "up") in {(f.code, f.direction) for f in losses.factors}


# --- business interruption (seed 003) -------------------------------------------------------


def test_bi_insured_sum_is_turnover_minus_variable_costs() -> None:
    # Seed 003: omzet EUR 600.000 - variabele kosten EUR 300.000 = brutowinst EUR 300.000.
    request = bi_request(600_000, variable_costs_eur=300_000)
    bi = quote(request).bi
    assert bi is not None
    assert bi.insured_sum_eur == Decimal(300_000)
    assert request.bi is not None
    assert gross_profit(Decimal(600_000), request.bi) == Decimal(300_000)
    assert bi.warnings == ()


def test_bi_gross_profit_can_be_given_directly() -> None:
    direct = quote(bi_request(600_000, variable_costs_eur=None, gross_profit_eur=300_000)).bi
    derived = quote(bi_request(600_000, variable_costs_eur=300_000)).bi
    assert direct is not None and derived is not None
    assert direct.insured_sum_eur == Decimal(300_000)
    assert direct == derived
    other = quote(bi_request(600_000, variable_costs_eur=None, gross_profit_eur=250_000)).bi
    assert other is not None and other.insured_sum_eur == Decimal(250_000)


def test_bi_offers_the_seeds_indemnity_and_waiting_periods() -> None:
    # Seed 003: indemnity 6, 12, 18 or 24 months; waiting 24, 48 or 72 hours or some days.
    assert INDEMNITY_PERIOD_WEEKS == (26, 52, 78, 104)
    assert WAITING_PERIOD_HOURS[:3] == (24, 48, 72) and WAITING_PERIOD_HOURS[3] > 72
    assert set(bi_tariff().indemnity_period_factor) == set(INDEMNITY_PERIOD_WEEKS)
    assert set(bi_tariff().waiting_period_factor) == set(WAITING_PERIOD_HOURS)


def test_bi_longer_indemnity_period_costs_more_and_longer_waiting_less() -> None:
    def premium(weeks: int, hours: int) -> Decimal:
        bi = quote(bi_request(2_000_000, indemnity_period_weeks=weeks,
                              waiting_period_hours=hours)).bi
        assert bi is not None
        assert bi.premium_low_eur > bi_tariff().minimum_premium_eur
        return bi.premium_high_eur

    assert premium(26, 48) < premium(52, 48) < premium(78, 48) < premium(104, 48)
    assert premium(52, 24) > premium(52, 48) > premium(52, 72) > premium(52, 168)


def test_bi_warns_of_under_insurance_when_gross_profit_is_low() -> None:
    # Seed 003: forgetting fixed costs is a common cause of under-insurance.
    bi = quote(bi_request(2_000_000, variable_costs_eur=1_900_000)).bi
    assert bi is not None
    assert [w.code for w in bi.warnings] == ["low_gross_profit"]
    healthy = quote(bi_request(2_000_000, variable_costs_eur=1_000_000)).bi
    assert healthy is not None and healthy.warnings == ()


# --- products and the quote itself ----------------------------------------------------------


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


@pytest.mark.parametrize(
    ("product", "turnover_cap"), [("Simplicity", 5_000_000), ("mkbZeker", 10_000_000)]
)
def test_product_turnover_caps_from_the_seed(product: str, turnover_cap: int) -> None:
    # Seed 000: Simplicity is for SMEs up to EUR 5m; mkbZeker has a maximum, sometimes EUR 10m.
    def eligible(turnover: int) -> bool:
        c = quote(credit_request(turnover)).credit
        assert c is not None
        return next(o for o in c.offers if o.product == product).eligible

    assert eligible(turnover_cap)
    assert not eligible(turnover_cap + 1)


def test_quote_carries_the_loaded_tariff_versions_and_a_disclaimer() -> None:
    files = resources.files("pricing") / "data"
    credit_file = tomllib.loads((files / "credit.toml").read_text("utf-8"))
    bi_file = tomllib.loads((files / "bi.toml").read_text("utf-8"))
    assert credit_tariff().version.endswith(credit_file["version"])
    assert bi_tariff().version.endswith(bi_file["version"])

    for request in (credit_request(1_000_000), bi_request(1_000_000)):
        q = quote(request)
        assert q.tariff_version == tariff_version()
        assert q.tariff_version.split("+") == [credit_tariff().version, bi_tariff().version]
        assert "indication" in q.disclaimer

    # The stamp follows the tariff that priced the quote, not a version written into code.
    credit = dataclasses.replace(credit_tariff(), version="credit-test")
    bi = dataclasses.replace(bi_tariff(), version="bi-test")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QUOTE_MODULE, "credit_tariff", lambda: credit)
        patch.setattr(QUOTE_MODULE, "bi_tariff", lambda: bi)
        assert quote(credit_request(1_000_000)).tariff_version == "credit-test+bi-test"

