"""Bedrijfsschadeverzekering: gross profit, periods, extra costs, locations; request; indication."""

from __future__ import annotations

from collections.abc import MutableMapping
from decimal import Decimal
from typing import Any

from flows import parsing
from flows.i18n import N_, _, money
from flows.present import bi_lines, factor_lines
from flows.products import Product, wants
from flows.readers import propose, read, share_of_turnover, show_money
from flows.spec import Answers, Choice, Effect, Invalid, Question, limit
from pricing import BiRequest, Quote, gross_profit
from pricing.models import INDEMNITY_PERIOD_WEEKS, WAITING_PERIOD_HOURS

__all__ = ["PRODUCT"]

KEY = "bi"
_applies = wants(KEY)
_LOCATIONS = limit(BiRequest, "locations")


def _turnover(answers: Answers) -> Decimal:
    return Decimal(str(answers["turnover"]))


# --- readers ----------------------------------------------------------------------------------

_GROSS_WORDS = ("brutowinst", "brutomarge", "bruto winst", "bruto marge")


def _read_basis(text: str, answers: Answers) -> dict[str, str]:
    words = parsing.normalise(text)
    gross = any(w in words for w in _GROSS_WORDS)
    share = share_of_turnover(words, _turnover(answers))
    if share is not None and 0 < share < _turnover(answers):
        key = "gross_profit" if gross else "variable_costs"
        shown = (_("gross profit %(amount)s") % {"amount": money(share)}) if gross \
            else money(share)
        raise propose({key: str(share)}, shown)
    for w in _GROSS_WORDS:
        words = words.replace(w, " ")
    value = Decimal(read(parsing.parse_amount, words, show_money, str,
                         template="brutowinst {}" if gross else "{}"))
    turnover = _turnover(answers)
    if value >= turnover:
        raise Invalid(
            _("That cannot be more than your turnover of %(amount)s; the gross profit is "
              "turnover minus variable costs.") % {"amount": money(turnover)}
        )
    if gross and value == 0:
        raise Invalid(_("With no gross profit there is nothing to insure."))
    return {"gross_profit": str(value)} if gross else {"variable_costs": str(value)}


def _basis_fits(value: Any, answers: Answers) -> bool:
    if "turnover" not in answers:
        return True
    amount = value.get("gross_profit", value.get("variable_costs", "0"))
    return Decimal(amount) < _turnover(answers)


def _gross(answers: Answers) -> tuple[Decimal, Decimal, Decimal]:
    """(gross profit, turnover, variable costs) from the basis the prospect gave."""
    turnover = _turnover(answers)
    basis = answers.get("bi_basis") or {}
    if "gross_profit" in basis:
        gross = Decimal(basis["gross_profit"])
        return gross, turnover, turnover - gross
    variable = Decimal(basis.get("variable_costs", "0"))
    return turnover - variable, turnover, variable


def _gross_args(answers: Answers) -> dict[str, str]:
    gross, turnover, variable = _gross(answers)
    return {"gross": money(gross), "turnover": money(turnover), "variable": money(variable)}


def _read_confirmation(text: str, answers: Answers) -> bool | dict[str, str]:
    """Yes or no; "nee, het is 4 ton" gives the right gross profit at once."""
    try:
        return bool(parsing.parse_yes_no(text))
    except parsing.ParseError:
        pass
    try:
        amount = parsing.parse_amount(text)
    except parsing.ParseError:
        raise Invalid(_("Please answer yes or no.")) from None
    return _read_basis(f"brutowinst {amount}", answers)


def _after_confirmation(value: Any, answers: MutableMapping[str, Any]) -> Effect | None:
    if value is True:
        return None
    if isinstance(value, dict):
        # A corrected gross profit: it is the basis now, and it is what was confirmed.
        answers["bi_basis"] = value
        answers["gross_profit_ok"] = True
        return Effect(prefix=_("Noted: gross profit %(amount)s.")
                      % {"amount": money(Decimal(value["gross_profit"]))})
    # "No": ask the basis again; the confirmation follows it once more.
    answers.pop("bi_basis", None)
    answers.pop("gross_profit_ok", None)
    return Effect(prefix=_("No problem, let us look at the variable costs again."))


def _summarise_gross(answers: Answers) -> str | None:
    if "bi_basis" not in answers or "turnover" not in answers:
        return None
    return _("Gross profit (insured sum)") + ": " + money(_gross(answers)[0])


def _summarise_basis(answers: Answers) -> str | None:
    if "bi_basis" not in answers or "turnover" not in answers:
        return None
    return _("Variable costs") + ": " + money(_gross(answers)[2])


def _show_basis(value: Any) -> str:
    if "gross_profit" in value:
        return _("gross profit %(amount)s") % {"amount": show_money(value["gross_profit"])}
    return show_money(value["variable_costs"])


def _read_weeks(text: str, answers: Answers) -> int:
    weeks = int(read(parsing.parse_weeks, text, str, int))
    if weeks not in INDEMNITY_PERIOD_WEEKS:
        raise Invalid(_("Choose 6, 12, 18 or 24 months."))
    return weeks


def _read_hours(text: str, answers: Answers) -> int:
    hours = int(read(parsing.parse_hours, text, str, int))
    if hours not in WAITING_PERIOD_HOURS:
        raise Invalid(_("Choose 24, 48 or 72 hours, or a week."))
    return hours


def _read_yes_no(text: str, answers: Answers) -> bool:
    return bool(read(parsing.parse_yes_no, text, str))


def _read_locations(text: str, answers: Answers) -> int:
    value = int(read(parsing.parse_count, text, str, int))
    if _LOCATIONS.low is not None and value < _LOCATIONS.low:
        raise Invalid(_("Count at least one location."))
    if _LOCATIONS.high is not None and value > _LOCATIONS.high:
        raise Invalid(_("For that many locations an adviser will gladly help: type 'bel mij'."))
    return value


# --- choices ----------------------------------------------------------------------------------

YES_NO = (
    Choice("yes", N_("Yes"), True, ("ja", "j", "jazeker", "klopt")),
    Choice("no", N_("No"), False, ("nee", "n", "nee hoor")),
)
PERIOD_CHOICES = (
    Choice("26", N_("6 months"), 26, ("half jaar", "een half jaar", "halfjaar")),
    Choice("52", N_("12 months"), 52, ("een jaar", "1 jaar", "jaar")),
    Choice("78", N_("18 months"), 78, ("anderhalf jaar",)),
    Choice("104", N_("24 months"), 104, ("twee jaar", "2 jaar")),
)
WAITING_CHOICES = (
    Choice("24", N_("24 hours"), 24, ("een dag", "1 dag")),
    Choice("48", N_("48 hours"), 48, ("twee dagen", "2 dagen")),
    Choice("72", N_("72 hours"), 72, ("drie dagen", "3 dagen")),
    Choice("168", N_("1 week"), 168, ("een week", "week")),
)
LOCATION_CHOICES = (
    Choice("1", N_("One location"), 1,
           ("een", "1", "een locatie", "alleen hier", "alleen deze", "een adres", "een pand",
            "een vestiging", "alleen hier op het adres")),
    Choice("more", N_("More than one"), 2,
           ("meer", "meerdere", "meer locaties", "meer dan een", "meerdere vestigingen")),
)
EXTRA_COST_CHOICES = (
    Choice("yes", N_("Yes"), True, ("ja", "meeverzekeren", "graag", "ja graag")),
    Choice("no", N_("No"), False, ("nee", "niet nodig", "hoeft niet")),
)
_BASIS_BANDS = (
    Choice("band30", N_("About 30% of my turnover"), "30"),
    Choice("band50", N_("About half of my turnover"), "50"),
    Choice("band70", N_("About 70% of my turnover"), "70"),
)


def _basis_bands(answers: Answers) -> tuple[Choice, ...]:
    turnover = _turnover(answers)
    return tuple(
        Choice(c.id, c.label,
               {"variable_costs": str((turnover * Decimal(c.value) / 100).quantize(Decimal(1)))})
        for c in _BASIS_BANDS
    )


QUESTIONS = (
    Question(
        "bi_basis", KEY,
        N_("What are your variable costs per year, such as purchasing and materials? You may "
           "also give your gross profit directly, e.g. 'brutowinst 300.000'."),
        N_("The insured sum is your gross profit: turnover minus variable costs. It pays your "
           "fixed costs and lost profit while you stand still."),
        N_("For example: '300.000' or 'brutowinst 3 ton'."),
        parse=_read_basis, applies=_applies, still_valid=_basis_fits, bands=_basis_bands,
        topics=("variabele kosten", "brutowinst", "kosten", "inkoop"),
        show=_show_basis, label=N_("Variable costs"), summarised=True,
        summarise=_summarise_basis,
    ),
    Question(
        "gross_profit_ok", KEY,
        N_("Then your gross profit is %(gross)s (turnover %(turnover)s minus variable costs "
           "%(variable)s). Is that right?"),
        N_("This gross profit becomes the insured sum. If it is too low you are under-insured "
           "and receive less after damage."),
        None,
        parse=_read_confirmation, choices=YES_NO, applies=_applies, after=_after_confirmation,
        depends_on=("turnover", "bi_basis"), prompt_args=_gross_args,
        label=N_("Gross profit (insured sum)"), summarise=_summarise_gross, summarised=True,
    ),
    Question(
        "indemnity_period", KEY,
        N_("How long should the insurance pay out after damage (the indemnity period)?"),
        N_("Choose a period that fits how long repair, rebuilding and delivery of machines "
           "would take. A longer period costs more."),
        N_("For example: '12 maanden' or '52 weken'."),
        parse=_read_weeks, choices=PERIOD_CHOICES, applies=_applies,
        topics=("uitkeringstermijn", "uitkeringsperiode"),
        label=N_("Indemnity period"), summarised=True,
        show=lambda v: _("%(n)s months") % {"n": round(int(v) * 12 / 52)},
    ),
    Question(
        "waiting_period", KEY,
        N_("After how long should the payments start (the waiting period)?"),
        N_("A short disruption you can often absorb yourself. A longer waiting period lowers "
           "the premium."),
        N_("For example: '48 uur' or '3 dagen'."),
        parse=_read_hours, choices=WAITING_CHOICES, applies=_applies,
        topics=("wachttijd", "eigen risico", "eigenrisicoperiode"),
        label=N_("Waiting period"), summarised=True,
        show=lambda v: _("1 week") if v == 168 else _("%(n)s hours") % {"n": v},
    ),
    Question(
        "extra_costs", KEY,
        N_("Should extra costs to keep working be insured too, such as a temporary location?"),
        N_("Extra costs help you reopen sooner, for example temporary premises or extra "
           "transport. It raises the premium a little."),
        None,
        parse=_read_yes_no, choices=EXTRA_COST_CHOICES, applies=_applies,
        topics=("extra kosten",), label=N_("Extra costs insured"), summarised=True,
        show=lambda v: _("Yes") if v else _("No"),
    ),
    Question(
        "locations", KEY,
        N_("Do you work from one location or more?"),
        N_("When everything depends on one address, one fire can stop the whole business."),
        N_("For example: '1' or '3 vestigingen'."),
        parse=_read_locations, choices=LOCATION_CHOICES, applies=_applies,
        topics=("locaties", "locatie", "vestigingen"), label=N_("Locations"), summarised=True,
        show=lambda v: _("One location") if v == 1 else _("%(n)s locations") % {"n": v},
    ),
)


def _fields(answers: Answers) -> dict[str, Any]:
    basis = answers.get("bi_basis") or {}
    fields: dict[str, Any] = {
        "indemnity_period_weeks": answers.get("indemnity_period"),
        "waiting_period_hours": answers.get("waiting_period"),
        "extra_costs": answers.get("extra_costs"),
        "locations": answers.get("locations"),
    }
    if "variable_costs" in basis:
        fields["variable_costs_eur"] = Decimal(basis["variable_costs"])
    if "gross_profit" in basis:
        fields["gross_profit_eur"] = Decimal(basis["gross_profit"])
    return {k: v for k, v in fields.items() if v is not None}


def _request(answers: Answers) -> dict[str, Any]:
    turnover = _turnover(answers)
    bi = BiRequest(**_fields(answers))
    profit = gross_profit(turnover, bi)
    return {"bi": bi.model_copy(update={"gross_profit_eur": profit,
                                        "variable_costs_eur": turnover - profit})}


def _present(quote: Quote | None, answers: Answers) -> list[str]:
    if quote is None or quote.bi is None:
        return []
    return [*bi_lines(quote.bi), *[f"  ⚠ {_(w.text)}" for w in quote.bi.warnings],
            *factor_lines(quote.bi.factors)]


PRODUCT = Product(
    key=KEY,
    label=N_("Business interruption insurance"),
    phrases=("bedrijfsschade", "bedrijfsschadeverzekering", "bedrijfsonderbreking",
             "stilstand", "bedrijfsstilstand", "omzetderving", "brand", "uitval"),
    questions=QUESTIONS,
    fields=_fields,
    request=_request,
    present=_present,
)
