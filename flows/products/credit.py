"""Kredietverzekering: the debtor book questions, its pricing request and its indication."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flows import parsing
from flows.i18n import N_, _, money, percent
from flows.present import credit_lines, factor_lines, offer_lines
from flows.products import Product, wants
from flows.readers import (
    ask_which,
    propose,
    read,
    share_of_turnover,
    show_days,
    show_money,
    show_number,
    show_pct,
)
from flows.spec import Answers, Choice, Confirm, Invalid, Question, limit
from pricing import CreditRequest, Quote

__all__ = ["PRODUCT"]

KEY = "credit"
_applies = wants(KEY)
_DEBTORS = limit(CreditRequest, "debtor_count")
_TERM = limit(CreditRequest, "payment_term_days")
# A payment term beyond this is unusual for an SME: ask back rather than store a misreading
# ("een jaar" typed at the wrong question).
_TERM_PLAUSIBLE = 180


def _many_customers(answers: Answers) -> bool:
    # With five customers or fewer the top five are all of them: 100 %, no need to ask.
    return _applies(answers) and int(answers.get("debtor_count", 6)) > 5


def _turnover(answers: Answers) -> Decimal:
    return Decimal(str(answers["turnover"]))


def _pct_band(pct: int, label: str) -> Choice:
    return Choice(f"band{pct}", label, str(pct))


# --- readers ----------------------------------------------------------------------------------


def _read_credit_share(text: str, answers: Answers) -> str:
    value = read(parsing.parse_percentage, text, show_pct, str)
    if Decimal(value) == 0:
        raise Invalid(_(
            "Credit insurance covers invoices to businesses that pay later. If you sell nothing "
            "on credit, you can type 'wijzig product' or 'bel mij'."
        ))
    return str(value)


def _read_pct(text: str, answers: Answers) -> str:
    return str(read(parsing.parse_percentage, text, show_pct, str))


def _read_count(text: str, answers: Answers) -> int:
    value = int(read(parsing.parse_count, text, show_number, int))
    assert _DEBTORS.low is not None and _DEBTORS.high is not None
    if value < _DEBTORS.low:
        raise Invalid(_("Count at least one customer."))
    if value > _DEBTORS.high:
        raise Invalid(_("That is more customers than I can work with; an adviser will gladly "
                        "help: type 'bel mij'."))
    if value > 100_000:
        raise Confirm(_("Do you really have %(count)s business customers?")
                      % {"count": show_number(value)},
                      (Choice("p0", show_number(value), value, literal=True),))
    return value


def _read_names(text: str, answers: Answers) -> list[str]:
    return list(read(parsing.parse_names, text, str))


def _read_exposure(text: str, answers: Answers) -> str:
    value = Decimal(read(parsing.parse_amount, text, show_money, str))
    turnover = _turnover(answers)
    if 0 < value < 1000 and value * 1000 <= turnover:
        # "150" for an amount outstanding is almost always thousands.
        raise propose(str(value * 1000), money(value * 1000))
    if value > turnover:
        raise Invalid(_("That is more than your annual turnover of %(amount)s.")
                      % {"amount": money(turnover)})
    return str(value)


def _read_term(text: str, answers: Answers) -> int:
    days = int(read(parsing.parse_days, text, show_days, int))
    assert _TERM.high is not None
    if days > _TERM.high:
        raise Invalid(_("A payment term is at most a year."))
    if days > _TERM_PLAUSIBLE:
        raise Confirm(_("A payment term of %(answer)s? That is unusually long.")
                      % {"answer": show_days(days)},
                      (Choice("p0", show_days(days), days, literal=True),))
    return days


def _read_bad_debt(text: str, answers: Answers) -> str:
    share = share_of_turnover(text, _turnover(answers))
    if share is not None:
        raise propose(str(share), money(share))
    value = Decimal(read(parsing.parse_amount, text, show_money, str))
    if value > _turnover(answers):
        raise Confirm(_("Did you really write off %(amount)s in three years?")
                      % {"amount": money(value)},
                      (Choice("p0", money(value), str(value), literal=True),))
    return str(value)


_INDEMNITY_LEVELS = (60, 75, 85, 90)


def _read_indemnity(text: str, answers: Answers) -> str:
    value = Decimal(read(parsing.parse_percentage, text, show_pct, str))
    if value in _INDEMNITY_LEVELS:
        return str(int(value))
    lower = [p for p in _INDEMNITY_LEVELS if p < value]
    higher = [p for p in _INDEMNITY_LEVELS if p > value]
    near = ([lower[-1]] if lower else []) + ([higher[0]] if higher else [])
    raise ask_which([(str(p), percent(p)) for p in near])


def _exposure_bands(answers: Answers) -> tuple[Choice, ...]:
    turnover = _turnover(answers)
    bands = []
    for share in (Decimal("0.02"), Decimal("0.05"), Decimal("0.10"), Decimal("0.20")):
        amount = (turnover * share).quantize(Decimal(1000)) or Decimal(1000)
        bands.append(Choice(f"band{share}", _("about %(amount)s") % {"amount": money(amount)},
                            str(int(amount)), literal=True))
    return tuple(bands)


def _within_turnover(value: Any, answers: Answers) -> bool:
    return "turnover" not in answers or Decimal(str(value)) <= _turnover(answers)


# --- choices ----------------------------------------------------------------------------------

TERM_CHOICES = (
    Choice("14", N_("14 days"), 14),
    Choice("30", N_("30 days"), 30),
    Choice("60", N_("60 days"), 60),
    Choice("90", N_("90 days"), 90),
)

INDEMNITY_CHOICES = (
    Choice("60", N_("60%"), "60", ("60", "zestig")),
    Choice("75", N_("75%"), "75", ("75", "vijfenzeventig")),
    Choice("85", N_("85%"), "85", ("85", "vijfentachtig")),
    Choice("90", N_("90%"), "90", ("90", "negentig")),
    Choice("unknown", N_("I don't know"), None,
           ("weet ik niet", "weet niet", "geen idee", "geen flauw idee", "maakt niet uit",
            "wat gebruikelijk is", "het gebruikelijke", "standaard")),
)

SKIP_NAMES = (Choice("skip", N_("Skip"), [], ("overslaan", "sla over")),)

_SHARE_BANDS = (
    _pct_band(95, N_("(Almost) everything")),
    _pct_band(75, N_("About three quarters")),
    _pct_band(50, N_("About half")),
    _pct_band(25, N_("About a quarter")),
    _pct_band(10, N_("Less than that")),
)
_TOP5_BANDS = (
    _pct_band(80, N_("Most of it")),
    _pct_band(50, N_("About half")),
    _pct_band(25, N_("About a quarter")),
    _pct_band(10, N_("Less than that")),
)
_EXPORT_BANDS = (
    _pct_band(0, N_("None")),
    _pct_band(10, N_("A little")),
    _pct_band(30, N_("About a third")),
    _pct_band(60, N_("Most of it")),
)
_DEBTOR_BANDS = (
    Choice("band3", N_("Up to 5"), 3),
    Choice("band12", N_("6 to 20"), 12),
    Choice("band50", N_("20 to 100"), 50),
    Choice("band250", N_("100 to 500"), 250),
    Choice("band750", N_("More than 500"), 750),
)
_BAD_DEBT_BANDS = (
    Choice("band0", N_("None"), "0"),
    Choice("band5000", N_("A little, under € 10.000"), "5000"),
    Choice("band25000", N_("€ 10.000 to € 50.000"), "25000"),
    Choice("band75000", N_("More than € 50.000"), "75000"),
)


# --- the product ------------------------------------------------------------------------------

QUESTIONS = (
    Question(
        "credit_share", KEY,
        N_("What share of your turnover do you invoice on credit to other businesses?"),
        N_("Credit insurance covers invoices to businesses that pay later; cash sales and "
           "sales to consumers are not insured."),
        N_("For example: '80%' or 'alles'."),
        parse=_read_credit_share, applies=_applies, bands=_SHARE_BANDS,
        topics=("op rekening", "krediet", "rekening"),
        label=N_("Share invoiced on credit"), show=show_pct, summarised=True,
    ),
    Question(
        "debtor_count", KEY,
        N_("How many business customers do you have?"),
        N_("More customers spread the risk: insurers reward that with a lower rate."),
        N_("For example: '25' or 'zo'n 120'."),
        parse=_read_count, applies=_applies, bands=_DEBTOR_BANDS,
        topics=("klanten", "debiteuren", "aantal klanten"),
        label=N_("Business customers"), show=show_number, summarised=True,
    ),
    Question(
        "top5_share", KEY,
        N_("What share of your turnover comes from your five largest customers?"),
        N_("When much of your turnover sits with a few customers, one of them failing hits "
           "harder; that moves the premium."),
        N_("For example: '40%' or 'de helft'."),
        parse=_read_pct, applies=_many_customers, bands=_TOP5_BANDS,
        depends_on=("debtor_count",), topics=("top 5", "top5", "grootste klanten"),
        label=N_("Share of the five largest customers"), show=show_pct, summarised=True,
    ),
    Question(
        "top5_names", KEY,
        N_("Would you like a free check of your largest customers? Type their names, separated "
           "by commas, or skip this."),
        N_("The broker can check how creditworthy these customers are, free of charge. It is "
           "optional and does not change the indication."),
        N_("For example: 'Bouwbedrijf Jansen, Van Dijk Transport' or 'overslaan'."),
        parse=_read_names, choices=SKIP_NAMES, applies=_applies, optional=True, skip_value=[],
        topics=("namen", "klantencheck", "klantnamen"), free_text=True,
        label=N_("Customers to check"),
        show=lambda names: ", ".join(names) if names else _("none"), summarised=True,
    ),
    Question(
        "largest_exposure", KEY,
        N_("What is the largest amount usually outstanding at a single customer?"),
        N_("This shows the credit limit you would need for your largest customer."),
        N_("For example: '50.000' or '1 ton'."),
        parse=_read_exposure, applies=_applies, still_valid=_within_turnover,
        bands=_exposure_bands,
        topics=("openstaand", "grootste bedrag", "kredietlimiet", "limiet"),
        label=N_("Largest amount outstanding"), show=show_money, summarised=True,
    ),
    Question(
        "payment_term", KEY,
        N_("Which payment term do you usually give your customers?"),
        N_("The longer the term, the more money is outstanding at any time, and the greater "
           "the risk."),
        N_("For example: '30 dagen' or '2 maanden'."),
        parse=_read_term, choices=TERM_CHOICES, applies=_applies,
        topics=("betalingstermijn", "termijn", "betaaltermijn"),
        label=N_("Payment term"), show=show_days, summarised=True,
    ),
    Question(
        "export_share", KEY,
        N_("What share of your turnover is with customers abroad?"),
        N_("Customers abroad are harder to assess, and not every insurer product covers every "
           "country."),
        N_("For example: '0', '10%' or 'geen'."),
        parse=_read_pct, applies=_applies, none_value="0", bands=_EXPORT_BANDS,
        topics=("export", "buitenland"),
        label=N_("Share abroad"), show=show_pct, summarised=True,
    ),
    Question(
        "bad_debt", KEY,
        N_("How much did you write off in bad debts over the last three years?"),
        N_("A clean history lowers the premium; losses show the insurer what to expect."),
        N_("For example: 'geen', '0' or '15.000'."),
        parse=_read_bad_debt, applies=_applies, none_value="0", bands=_BAD_DEBT_BANDS,
        topics=("afgeschreven", "oninbaar", "debiteurenverlies", "verliezen", "schade"),
        label=N_("Bad debts, last 3 years"), show=show_money, summarised=True,
    ),
    Question(
        "indemnity", KEY,
        N_("Which part of an unpaid invoice should the insurance pay?"),
        N_("90% is usual. A lower percentage makes the premium cheaper: 85% instead of 90% "
           "saves about 10%."),
        N_("For example: '90%' or 'weet ik niet'."),
        parse=_read_indemnity, choices=INDEMNITY_CHOICES, applies=_applies,
        topics=("dekking", "dekkingspercentage", "schadevergoeding", "percentage"),
        label=N_("Cover"),
        show=lambda v: percent(Decimal(v)) if v is not None else _("I don't know"),
        summarised=True,
    ),
)


def _fields(answers: Answers) -> dict[str, Any]:
    def dec(key: str) -> Decimal | None:
        value = answers.get(key)
        return None if value is None else Decimal(str(value))

    debtors = answers.get("debtor_count")
    top5 = dec("top5_share")
    if top5 is None and debtors is not None and int(debtors) <= 5:
        top5 = Decimal(100)
    fields = {
        "credit_share_pct": dec("credit_share"),
        "debtor_count": debtors,
        "top5_share_pct": top5,
        "largest_exposure_eur": dec("largest_exposure"),
        "payment_term_days": answers.get("payment_term"),
        "export_share_pct": dec("export_share"),
        "bad_debt_3y_eur": dec("bad_debt"),
        "indemnity_pct": dec("indemnity"),
    }
    return {k: v for k, v in fields.items() if v is not None}


def _request(answers: Answers) -> dict[str, Any]:
    return {"credit": CreditRequest(**_fields(answers))}


def _present(quote: Quote | None, answers: Answers) -> list[str]:
    if quote is None or quote.credit is None:
        return []
    return [*credit_lines(quote.credit), *offer_lines(quote.credit.offers),
            *factor_lines(quote.credit.factors)]


PRODUCT = Product(
    key=KEY,
    label=N_("Credit insurance"),
    phrases=("krediet", "kredietverzekering", "debiteuren", "debiteurenverzekering",
             "wanbetalers", "wanbetaling", "niet betalen", "onbetaalde facturen",
             "kredietverzekeraar", "debiteurenrisico", "faillissement van klanten",
             "failliet", "faillissement", "klant failliet", "niet betaalt", "wanbetaler"),
    questions=QUESTIONS,
    fields=_fields,
    request=_request,
    present=_present,
)
