"""The question specs of every block, in the order they are asked.

The whole dialogue is this one ordered list: the engine asks the first question that applies
and has no answer yet. Adding or reordering a question is a change here only. A question says
what it asks, why, how its answer is read (choices, a parser, plausibility checks), when it
applies (a condition over earlier answers), which earlier answers make it stale, and the words
a prospect may use to change it ("wijzig omzet").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from flows import parsing
from flows.i18n import N_, _, money, number, percent
from pricing import SECTORS, match_sector

__all__ = [
    "BLOCKS",
    "QUESTIONS",
    "Answers",
    "Choice",
    "Confirm",
    "Invalid",
    "Question",
    "by_id",
    "intent",
    "products",
]

Answers = Mapping[str, Any]

# Plausibility bounds for an SME (DESIGN: 5-100 staff, EUR 0.2-20m turnover), wide on purpose:
# outside them we ask back instead of refusing.
TURNOVER_LOW = Decimal(10_000)
TURNOVER_HIGH = Decimal(1_000_000_000)
# The pricing core's own bounds: a confirmed answer beyond them could not be priced.
TURNOVER_MAX = Decimal("1e11")
DEBTORS_MAX = 1_000_000


class Invalid(Exception):
    """The answer cannot be used; `message` says why, in Dutch. Optional choices replace the
    question's own buttons for the retry (e.g. the sectors a free text might mean)."""

    def __init__(self, message: str, choices: tuple[Choice, ...] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.choices = choices


class Confirm(Exception):
    """The answer is readable but implausible: ask back before taking `value`."""

    def __init__(self, value: Any, message: str) -> None:
        super().__init__(message)
        self.value = value
        self.message = message


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: str  # message id
    value: Any
    synonyms: tuple[str, ...] = ()


def _always(_answers: Answers) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    block: str
    prompt: str  # message id; %(name)s placeholders are filled from `prompt_args`
    why: str  # message id
    example: str  # message id of a good answer, shown after a wrong one
    key: str = ""
    parse: Callable[[str, Answers], Any] | None = None
    choices: tuple[Choice, ...] | Callable[[Answers], tuple[Choice, ...]] = ()
    applies: Callable[[Answers], bool] = _always
    depends_on: tuple[str, ...] = ()  # answer keys whose change makes this answer stale
    # Whether a kept answer still fits after an earlier answer changed; if not it is asked again.
    still_valid: Callable[[Any, Answers], bool] | None = None
    topics: tuple[str, ...] = ()
    label: str = ""  # message id naming the answer in the summary
    show: Callable[[Any], str] = str
    prompt_args: Callable[[Answers], dict[str, str]] | None = None
    input_hint: str | None = None
    counts: bool = True  # shown as "vraag n van m"

    @property
    def answer_key(self) -> str:
        return self.key or self.id

    def choices_for(self, answers: Answers) -> tuple[Choice, ...]:
        return self.choices(answers) if callable(self.choices) else self.choices

    def text(self, answers: Answers) -> str:
        args = self.prompt_args(answers) if self.prompt_args else {}
        return _(self.prompt) % args if args else _(self.prompt)


# --- conditions over earlier answers ---------------------------------------------------------


def intent(answers: Answers) -> str:
    return "callback" if answers.get("intent") == "callback" else "quote"


def products(answers: Answers) -> tuple[str, ...]:
    """The products asked for, in lead order: credit, then bi."""
    choice = str(answers.get("product"))
    return {"credit": ("credit",), "bi": ("bi",), "both": ("credit", "bi")}.get(choice, ())


def _quote_path(answers: Answers) -> bool:
    return intent(answers) == "quote"


def _credit(answers: Answers) -> bool:
    return _quote_path(answers) and "credit" in products(answers)


def _bi(answers: Answers) -> bool:
    return _quote_path(answers) and "bi" in products(answers)


def _credit_many_customers(answers: Answers) -> bool:
    # With five customers or fewer the top five are all of them: 100 %, no need to ask.
    return _credit(answers) and int(answers.get("debtor_count", 6)) > 5


def _callback_path(answers: Answers) -> bool:
    return intent(answers) == "callback"


# --- readers: Dutch input to answer values -----------------------------------------------------

_CODE_MESSAGES = {
    "amount.invalid": N_("I could not read an amount in that."),
    "amount.negative": N_("The amount cannot be negative."),
    "amount.ambiguous": N_("I am not sure how to read that amount."),
    "amount.range": N_("Please give one amount rather than a range; an estimate is fine."),
    "amount.too_large": N_("That amount is too large to be right."),
    "percentage.invalid": N_("I could not read a percentage in that."),
    "percentage.out_of_range": N_("A percentage lies between 0 and 100."),
    "count.invalid": N_("I could not read a number in that."),
    "period.invalid": N_("I could not read a period in that."),
    "yesno.invalid": N_("Please answer yes or no."),
    "phone.invalid": N_("That does not look like a valid phone number."),
    "email.invalid": N_("That does not look like a valid e-mail address."),
    "kvk.invalid": N_("A KvK number has 8 digits."),
}


def _read(reader: Callable[[str], Any], text: str) -> Any:
    try:
        return reader(text)
    except parsing.ParseError as error:
        raise Invalid(_(_CODE_MESSAGES.get(error.code, "amount.invalid"))) from None


def _dec(answers: Answers, key: str) -> Decimal:
    return Decimal(str(answers[key]))


def _read_turnover(text: str, answers: Answers) -> str:
    value = _read(parsing.parse_amount, text)
    if value <= 0:
        raise Invalid(_("Your turnover has to be more than zero."))
    if value < TURNOVER_LOW:
        guess = value * 1000
        if guess >= TURNOVER_LOW and guess < TURNOVER_HIGH:
            raise Confirm(str(guess), _("Do you mean %(amount)s?") % {"amount": money(guess)})
        raise Confirm(str(value), _("Is your annual turnover really %(amount)s?")
                      % {"amount": money(value)})
    if value > TURNOVER_MAX:
        raise Invalid(_("That amount is too large to be right."))
    if value > TURNOVER_HIGH:
        raise Confirm(str(value), _("Is your annual turnover really %(amount)s?")
                      % {"amount": money(value)})
    return str(value)


def _read_pct(text: str, answers: Answers) -> str:
    return str(_read(parsing.parse_percentage, text))


def _read_credit_share(text: str, answers: Answers) -> str:
    value = _read(parsing.parse_percentage, text)
    if value == 0:
        raise Invalid(_(
            "Credit insurance covers invoices to businesses that pay later. If you sell nothing "
            "on credit, you can type 'wijzig product' or 'bel mij'."
        ))
    return str(value)


def _read_count(text: str, answers: Answers) -> int:
    value = int(_read(parsing.parse_count, text))
    if value < 1:
        raise Invalid(_("Count at least one customer."))
    if value > DEBTORS_MAX:
        raise Invalid(_("I could not read a number in that."))
    if value > 100_000:
        raise Confirm(value, _("Do you really have %(count)s business customers?")
                      % {"count": number(value)})
    return value


def _read_top5(text: str, answers: Answers) -> str:
    return str(_read(parsing.parse_percentage, text))


def _read_names(text: str, answers: Answers) -> list[str]:
    words = parsing.normalise(text)
    if words in {"nee", "overslaan", "sla over", "geen", "liever niet", "nee hoor", "-"}:
        return []
    names = [n.strip() for n in text.replace(";", ",").replace("\n", ",").split(",")]
    names = [n[:100] for n in names if n]
    if not names:
        raise Invalid(_("Type the names separated by commas, or 'overslaan'."))
    return names[:10]


def _read_exposure(text: str, answers: Answers) -> str:
    value = _read(parsing.parse_amount, text)
    turnover = _dec(answers, "turnover")
    if value > turnover:
        raise Invalid(_("That is more than your annual turnover of %(amount)s.")
                      % {"amount": money(turnover)})
    return str(value)


def _read_term(text: str, answers: Answers) -> int:
    days = int(_read(parsing.parse_days, text))
    if days > 365:
        raise Invalid(_("A payment term is at most a year."))
    return days


def _read_bad_debt(text: str, answers: Answers) -> str:
    value = _read(parsing.parse_amount, text)
    turnover = _dec(answers, "turnover")
    if value > turnover:
        raise Confirm(str(value), _("Did you really write off %(amount)s in three years?")
                      % {"amount": money(value)})
    return str(value)


def _read_bi_basis(text: str, answers: Answers) -> dict[str, str]:
    words = parsing.normalise(text)
    gross = "brutowinst" in words or "brutomarge" in words
    value = _read(parsing.parse_amount, words.replace("brutowinst", "").replace("brutomarge", ""))
    turnover = _dec(answers, "turnover")
    if value >= turnover:
        raise Invalid(
            _("That cannot be more than your turnover of %(amount)s; the gross profit is "
              "turnover minus variable costs.") % {"amount": money(turnover)}
        )
    if gross and value == 0:
        raise Invalid(_("With no gross profit there is nothing to insure."))
    return {"gross_profit": str(value)} if gross else {"variable_costs": str(value)}


def _within_turnover(kind: str) -> Callable[[Any, Answers], bool]:
    def check(value: Any, answers: Answers) -> bool:
        if "turnover" not in answers:
            return True
        if kind == "basis":
            amount = value.get("gross_profit", value.get("variable_costs", "0"))
            return Decimal(amount) < _dec(answers, "turnover")
        return Decimal(str(value)) <= _dec(answers, "turnover")

    return check


def _read_yes_no(text: str, answers: Answers) -> bool:
    return bool(_read(parsing.parse_yes_no, text))


def _read_weeks(text: str, answers: Answers) -> int:
    weeks = int(_read(parsing.parse_weeks, text))
    if weeks not in (26, 52, 78, 104):
        raise Invalid(_("Choose 6, 12, 18 or 24 months."))
    return weeks


def _read_hours(text: str, answers: Answers) -> int:
    hours = int(_read(parsing.parse_hours, text))
    if hours not in (24, 48, 72, 168):
        raise Invalid(_("Choose 24, 48 or 72 hours, or a week."))
    return hours


def _read_locations(text: str, answers: Answers) -> int:
    value = int(_read(parsing.parse_count, text))
    if value < 1:
        raise Invalid(_("Count at least one location."))
    if value > 1000:  # the pricing core's bound; above it a person should look at the risk
        raise Invalid(_("For more than 1,000 locations an adviser will gladly help: type "
                        "'bel mij'."))
    return value


def _read_sector(text: str, answers: Answers) -> str:
    found = match_sector(text)
    if len(found) == 1:
        return found[0]
    if found:
        raise Invalid(_("Which of these fits your business best?"),
                      tuple(_sector_choice(k) for k in found))
    raise Invalid(_("I do not recognise that sector. Choose the one that fits best."))


def _read_name(text: str, answers: Answers) -> str:
    name = " ".join(text.split())
    if len(name) < 2 or not any(c.isalpha() for c in name):
        raise Invalid(_("Please type your name."))
    if len(name) > 120:
        raise Invalid(_("That is rather long for a name."))
    return name


def _read_company(text: str, answers: Answers) -> str:
    name = " ".join(text.split())
    if len(name) < 2 or not any(c.isalnum() for c in name):
        raise Invalid(_("Please type the name of your company."))
    if len(name) > 160:
        raise Invalid(_("That is rather long for a company name."))
    return name


def _read_email(text: str, answers: Answers) -> str:
    return str(_read(parsing.parse_email, text.strip()))


def _read_phone(text: str, answers: Answers) -> str:
    return str(_read(parsing.parse_phone, text))


def _read_kvk(text: str, answers: Answers) -> str | None:
    if parsing.normalise(text) in {"overslaan", "sla over", "nee", "geen", "weet ik niet", "-"}:
        return None
    return str(_read(parsing.parse_kvk, text))


def _read_moment(text: str, answers: Answers) -> str:
    moment = " ".join(text.split())
    if not moment or len(moment) > 200:
        raise Invalid(_("Tell me when suits you, for example 'dinsdagochtend'."))
    return moment


# --- choices -----------------------------------------------------------------------------------


def _sector_choice(key: str) -> Choice:
    return Choice(key, SECTORS[key].label, key)


SECTOR_CHOICES = tuple(_sector_choice(k) for k in SECTORS)

YES_NO = (
    Choice("yes", N_("Yes"), True, ("ja", "j", "jazeker", "klopt")),
    Choice("no", N_("No"), False, ("nee", "n", "nee hoor")),
)

PRODUCT_CHOICES = (
    Choice("credit", N_("Credit insurance"), "credit",
           ("krediet", "kredietverzekering", "debiteuren")),
    Choice("bi", N_("Business interruption insurance"), "bi",
           ("bedrijfsschade", "bedrijfsschadeverzekering", "bedrijfsonderbreking")),
    Choice("both", N_("Both"), "both", ("beide", "allebei", "alle twee", "beiden")),
    Choice("callback", N_("Call me instead"), "callback",
           ("bel mij liever", "bel me liever", "liever bellen", "bellen")),
)

TERM_CHOICES = (
    Choice("14", N_("14 days"), 14),
    Choice("30", N_("30 days"), 30),
    Choice("60", N_("60 days"), 60),
    Choice("90", N_("90 days"), 90),
)

INDEMNITY_CHOICES = (
    Choice("60", N_("60%"), "60", ("60", "zestig")),
    Choice("75", N_("75%"), "75", ("75",)),
    Choice("85", N_("85%"), "85", ("85",)),
    Choice("90", N_("90%"), "90", ("90", "negentig")),
    Choice("unknown", N_("I don't know"), None,
           ("weet ik niet", "weet niet", "geen idee", "geen flauw idee", "maakt niet uit")),
)

PERIOD_CHOICES = (
    Choice("26", N_("6 months"), 26),
    Choice("52", N_("12 months"), 52),
    Choice("78", N_("18 months"), 78),
    Choice("104", N_("24 months"), 104),
)

WAITING_CHOICES = (
    Choice("24", N_("24 hours"), 24),
    Choice("48", N_("48 hours"), 48),
    Choice("72", N_("72 hours"), 72),
    Choice("168", N_("1 week"), 168),
)

LOCATION_CHOICES = (
    Choice("1", N_("One location"), 1, ("een", "één", "1", "een locatie", "één locatie")),
    Choice("more", N_("More than one"), 2, ("meer", "meerdere", "meer locaties")),
)

SKIP_CHOICE = (Choice("skip", N_("Skip"), None, ("overslaan", "sla over")),)
SKIP_NAMES = (Choice("skip", N_("Skip"), [], ("overslaan", "sla over")),)

MOMENT_CHOICES = (
    Choice("morning", N_("In the morning"), "ochtend", ("ochtend", "s ochtends", "morgen")),
    Choice("afternoon", N_("In the afternoon"), "middag", ("middag", "s middags")),
    Choice("late", N_("Late afternoon"), "eind van de middag", ("eind van de middag",)),
    Choice("any", N_("Any time"), "maakt niet uit", ("maakt niet uit", "altijd", "wanneer")),
)

SUMMARY_CHOICES = (
    Choice("confirm", N_("Correct, continue"), True, ("klopt", "ja", "ga verder", "akkoord")),
    Choice("cmd:wijzig", N_("Change something"), None),
)

# --- shown in the summary ----------------------------------------------------------------------


def _show_money(value: Any) -> str:
    return money(Decimal(str(value)))


def _show_pct(value: Any) -> str:
    return percent(Decimal(str(value)))


def _show_choice(choices: tuple[Choice, ...]) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        for choice in choices:
            if choice.value == value:
                return _(choice.label)
        return str(value)

    return show


def _show_sector(value: Any) -> str:
    return SECTORS[value].label if value in SECTORS else str(value)


def _show_days(value: Any) -> str:
    return _("%(n)s days") % {"n": value}


def _show_basis(value: Any) -> str:
    if "gross_profit" in value:
        return _("gross profit %(amount)s") % {"amount": _show_money(value["gross_profit"])}
    return _show_money(value["variable_costs"])


def _show_names(value: Any) -> str:
    return ", ".join(value) if value else _("none")


def _show_yes_no(value: Any) -> str:
    return _("Yes") if value else _("No")


def _show_locations(value: Any) -> str:
    return _("One location") if value == 1 else _("%(n)s locations") % {"n": value}


def _show_optional(value: Any) -> str:
    return str(value) if value else _("not given")


def _gross_profit_args(answers: Answers) -> dict[str, str]:
    turnover = _dec(answers, "turnover")
    basis = answers.get("bi_basis") or {}
    if "gross_profit" in basis:
        gross = Decimal(basis["gross_profit"])
        variable = turnover - gross
    else:
        variable = Decimal(basis.get("variable_costs", "0"))
        gross = turnover - variable
    return {"gross": money(gross), "turnover": money(turnover), "variable": money(variable)}


def _broker_args(answers: Answers) -> dict[str, str]:
    return {"broker": str(answers.get("_broker") or _("the broker"))}


QUESTIONS: tuple[Question, ...] = (
    # Opening
    Question(
        "product", "opening",
        N_("What would you like a premium indication for?"),
        N_("Credit insurance protects you when a business customer does not pay. Business "
           "interruption insurance covers fixed costs and lost profit when your business stands "
           "still after damage. I ask only what matters for your choice."),
        N_("Choose one of the buttons, for example 'Both'."),
        choices=PRODUCT_CHOICES, applies=_quote_path,
        topics=("product", "verzekering", "producten"),
        label=N_("Insurance"), show=_show_choice(PRODUCT_CHOICES),
    ),
    # Common
    Question(
        "sector", "common",
        N_("In which sector is your business active? Choose a button or describe it in a few "
           "words."),
        N_("The sector says a lot about risk: in construction and transport, for example, more "
           "businesses go bankrupt than in business services."),
        N_("For example: 'aannemer', 'groothandel in metaal' or 'softwarebedrijf'."),
        parse=_read_sector, choices=SECTOR_CHOICES, applies=_quote_path,
        topics=("branche", "sector", "bedrijfstak"), label=N_("Sector"), show=_show_sector,
    ),
    Question(
        "turnover", "common",
        N_("What is your annual turnover, roughly?"),
        N_("The premium is mostly a percentage of turnover, and some insurers' products are "
           "only for businesses up to a certain size."),
        N_("For example: '1,5 miljoen', '€ 850.000' or '3 ton'."),
        parse=_read_turnover, applies=_quote_path, topics=("omzet", "jaaromzet"),
        label=N_("Annual turnover"), show=_show_money,
    ),
    # Credit insurance
    Question(
        "credit_share", "credit",
        N_("What share of your turnover do you invoice on credit to other businesses?"),
        N_("Credit insurance covers invoices to businesses that pay later; cash sales and "
           "sales to consumers are not insured."),
        N_("For example: '80%' or 'alles'."),
        parse=_read_credit_share, applies=_credit, topics=("op rekening", "krediet", "rekening"),
        label=N_("Share invoiced on credit"), show=_show_pct,
    ),
    Question(
        "debtor_count", "credit",
        N_("How many business customers do you have?"),
        N_("More customers spread the risk: insurers reward that with a lower rate."),
        N_("For example: '25' or 'zo'n 120'."),
        parse=_read_count, applies=_credit, topics=("klanten", "debiteuren", "aantal klanten"),
        label=N_("Business customers"), show=str,
    ),
    Question(
        "top5_share", "credit",
        N_("What share of your turnover comes from your five largest customers?"),
        N_("When much of your turnover sits with a few customers, one of them failing hits "
           "harder; that moves the premium."),
        N_("For example: '40%' or 'de helft'."),
        parse=_read_top5, applies=_credit_many_customers,
        depends_on=("debtor_count",), topics=("top 5", "top5", "grootste klanten"),
        label=N_("Share of the five largest customers"), show=_show_pct,
    ),
    Question(
        "top5_names", "credit",
        N_("Would you like a free check of your largest customers? Type their names, separated "
           "by commas, or skip this."),
        N_("The broker can check how creditworthy these customers are, free of charge. It is "
           "optional and does not change the indication."),
        N_("For example: 'Bouwbedrijf Jansen, Van Dijk Transport' or 'overslaan'."),
        parse=_read_names, choices=SKIP_NAMES, applies=_credit,
        topics=("namen", "klantencheck", "klantnamen"),
        label=N_("Customers to check"), show=_show_names,
    ),
    Question(
        "largest_exposure", "credit",
        N_("What is the largest amount usually outstanding at a single customer?"),
        N_("This shows the credit limit you would need for your largest customer."),
        N_("For example: '50.000' or '1 ton'."),
        parse=_read_exposure, applies=_credit, still_valid=_within_turnover("value"),
        topics=("openstaand", "grootste bedrag", "kredietlimiet", "limiet"),
        label=N_("Largest amount outstanding"), show=_show_money,
    ),
    Question(
        "payment_term", "credit",
        N_("Which payment term do you usually give your customers?"),
        N_("The longer the term, the more money is outstanding at any time, and the greater "
           "the risk."),
        N_("For example: '30 dagen' or '2 maanden'."),
        parse=_read_term, choices=TERM_CHOICES, applies=_credit,
        topics=("betalingstermijn", "termijn", "betaaltermijn"),
        label=N_("Payment term"), show=_show_days,
    ),
    Question(
        "export_share", "credit",
        N_("What share of your turnover is with customers abroad?"),
        N_("Customers abroad are harder to assess, and not every insurer product covers every "
           "country."),
        N_("For example: '0', '10%' or 'geen'."),
        parse=_read_pct, applies=_credit, topics=("export", "buitenland"),
        label=N_("Share abroad"), show=_show_pct,
    ),
    Question(
        "bad_debt", "credit",
        N_("How much did you write off in bad debts over the last three years?"),
        N_("A clean history lowers the premium; losses show the insurer what to expect."),
        N_("For example: 'geen', '0' or '15.000'."),
        parse=_read_bad_debt, applies=_credit,
        topics=("afgeschreven", "oninbaar", "debiteurenverlies", "verliezen", "schade"),
        label=N_("Bad debts, last 3 years"), show=_show_money,
    ),
    Question(
        "indemnity", "credit",
        N_("Which part of an unpaid invoice should the insurance pay?"),
        N_("90% is usual. A lower percentage makes the premium cheaper: 85% instead of 90% "
           "saves about 10%."),
        N_("Choose 60%, 75%, 85% or 90%, or 'weet ik niet'."),
        choices=INDEMNITY_CHOICES, applies=_credit,
        topics=("dekking", "dekkingspercentage", "schadevergoeding", "percentage"),
        label=N_("Cover"), show=_show_choice(INDEMNITY_CHOICES),
    ),
    # Business interruption
    Question(
        "bi_basis", "bi",
        N_("What are your variable costs per year, such as purchasing and materials? You may "
           "also give your gross profit directly, e.g. 'brutowinst 300.000'."),
        N_("The insured sum is your gross profit: turnover minus variable costs. It pays your "
           "fixed costs and lost profit while you stand still."),
        N_("For example: '300.000' or 'brutowinst 3 ton'."),
        parse=_read_bi_basis, applies=_bi, still_valid=_within_turnover("basis"),
        topics=("variabele kosten", "brutowinst", "kosten", "inkoop"),
        label=N_("Variable costs"), show=_show_basis,
    ),
    Question(
        "gross_profit_ok", "bi",
        N_("Then your gross profit is %(gross)s (turnover %(turnover)s minus variable costs "
           "%(variable)s). Is that right?"),
        N_("This gross profit becomes the insured sum. If it is too low you are under-insured "
           "and receive less after damage."),
        N_("Answer 'ja' or 'nee'."),
        parse=_read_yes_no, choices=YES_NO, applies=_bi,
        depends_on=("turnover", "bi_basis"), prompt_args=_gross_profit_args, counts=False,
        label=N_("Gross profit confirmed"), show=_show_yes_no,
    ),
    Question(
        "indemnity_period", "bi",
        N_("How long should the insurance pay out after damage (the indemnity period)?"),
        N_("Choose a period that fits how long repair, rebuilding and delivery of machines "
           "would take. A longer period costs more."),
        N_("For example: '12 maanden' or '52 weken'."),
        parse=_read_weeks, choices=PERIOD_CHOICES, applies=_bi,
        topics=("uitkeringstermijn", "uitkeringsperiode"),
        label=N_("Indemnity period"), show=_show_choice(PERIOD_CHOICES),
    ),
    Question(
        "waiting_period", "bi",
        N_("After how long should the payments start (the waiting period)?"),
        N_("A short disruption you can often absorb yourself. A longer waiting period lowers "
           "the premium."),
        N_("For example: '48 uur' or '3 dagen'."),
        parse=_read_hours, choices=WAITING_CHOICES, applies=_bi,
        topics=("wachttijd", "eigen risico", "eigenrisicoperiode"),
        label=N_("Waiting period"), show=_show_choice(WAITING_CHOICES),
    ),
    Question(
        "extra_costs", "bi",
        N_("Should extra costs to keep working be insured too, such as a temporary location?"),
        N_("Extra costs help you reopen sooner, for example temporary premises or extra "
           "transport. It raises the premium a little."),
        N_("Answer 'ja' or 'nee'."),
        parse=_read_yes_no, choices=YES_NO, applies=_bi, topics=("extra kosten",),
        label=N_("Extra costs insured"), show=_show_yes_no,
    ),
    Question(
        "locations", "bi",
        N_("Do you work from one location or more?"),
        N_("When everything depends on one address, one fire can stop the whole business."),
        N_("Choose a button, or type the number of locations."),
        parse=_read_locations, choices=LOCATION_CHOICES, applies=_bi,
        topics=("locaties", "locatie", "vestigingen"),
        label=N_("Locations"), show=_show_locations,
    ),
    # Closing: summary, then contact details
    Question(
        "summary", "closing",
        N_("Is everything correct?"),
        N_("Check your answers: the indication is based on them. You can change any answer."),
        N_("Choose 'Klopt, ga verder' or type for example 'wijzig omzet'."),
        choices=SUMMARY_CHOICES, applies=_quote_path, counts=False,
        depends_on=("*",),
    ),
    Question(
        "contact_name", "closing",
        N_("Which name may the adviser use to reach you?"),
        N_("So the adviser knows whom to ask for."),
        N_("For example: 'Jan de Vries'."),
        parse=_read_name, applies=_quote_path, topics=("naam",),
        label=N_("Name"),
    ),
    Question(
        "company_name", "closing",
        N_("What is the name of your company?"),
        N_("The insurer assesses your company; the name lets the broker look it up."),
        N_("For example: 'De Vries Installatietechniek B.V.'."),
        parse=_read_company, applies=_quote_path, topics=("bedrijfsnaam", "bedrijf"),
        label=N_("Company"),
    ),
    Question(
        "email", "closing",
        N_("At which e-mail address may the adviser send the indication?"),
        N_("You receive the comparison of the insurers' offers by e-mail."),
        N_("For example: 'jan@devries.nl'."),
        parse=_read_email, applies=_quote_path, topics=("e-mail", "email", "mail"),
        label=N_("E-mail"),
    ),
    Question(
        "phone", "closing",
        N_("At which phone number can the adviser reach you?"),
        N_("An adviser calls to go through the offers with you."),
        N_("For example: '06-12345678' or '+31 20 123 4567'."),
        parse=_read_phone, applies=_quote_path, topics=("telefoon", "telefoonnummer", "nummer"),
        label=N_("Phone"), input_hint="phone",
    ),
    Question(
        "kvk", "closing",
        N_("What is your KvK number? You may skip this."),
        N_("With the KvK number the insurer finds your company at once."),
        N_("A KvK number has 8 digits, for example '12345678'."),
        parse=_read_kvk, choices=SKIP_CHOICE, applies=_quote_path, topics=("kvk", "kvk-nummer"),
        label=N_("KvK number"), show=_show_optional,
    ),
    Question(
        "callback_moment", "closing",
        N_("When does a call suit you best?"),
        N_("So the adviser calls when it suits you."),
        N_("Choose a button or type for example 'dinsdagochtend'."),
        parse=_read_moment, choices=MOMENT_CHOICES, applies=_quote_path,
        topics=("moment", "terugbellen", "belmoment"),
        label=N_("Preferred moment"),
    ),
    Question(
        "consent", "closing",
        N_("May I pass your details and answers to %(broker)s so an adviser can contact you?"),
        N_("Without your permission nothing is passed on. Your details are used only for this "
           "request."),
        N_("Answer 'ja' or 'nee'."),
        parse=_read_yes_no, choices=YES_NO, applies=_quote_path, prompt_args=_broker_args,
        label=N_("Permission"), show=_show_yes_no,
    ),
)


def _on_callback_path(question: Question, new_id: str) -> Question:
    # The call-back path asks the same contact questions, under their own step ids, and shares
    # their answers: a name given before "bel mij" is not asked again.
    return replace(question, id=new_id, block="callback", key=question.answer_key,
                   applies=_callback_path)


_MAIN = {q.id: q for q in QUESTIONS}
QUESTIONS += (
    _on_callback_path(_MAIN["contact_name"], "cb_name"),
    _on_callback_path(_MAIN["phone"], "cb_phone"),
    _on_callback_path(_MAIN["callback_moment"], "cb_moment"),
    _on_callback_path(_MAIN["consent"], "cb_consent"),
)

BLOCKS = ("opening", "common", "credit", "bi", "closing", "callback")
_BY_ID = {q.id: q for q in QUESTIONS}


def by_id(question_id: str) -> Question:
    return _BY_ID[question_id]


