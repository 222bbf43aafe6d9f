"""The questions every conversation shares: the opening, sector and turnover, the summary and
the contact details, and the call-back path. Each product's own questions live in
`flows/products/`; `flows/flow.py` puts them all in order.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flows import matching, moments, parsing
from flows.i18n import N_, _, money
from flows.office_hours import TZ, office_hours
from flows.products import PRODUCTS, chosen, intent
from flows.readers import ask_which, propose, read, show_money
from flows.spec import Answers, Choice, Confirm, Effect, Invalid, Question, limit
from pricing import SECTORS, QuoteRequest

if TYPE_CHECKING:
    from flows.conversation import Context

__all__ = [
    "CALLBACK",
    "CLOSING",
    "CONSENT_PROMPT",
    "OPENING",
    "YES_NO",
    "callback_window",
    "consented",
    "on_callback_path",
    "on_quote_path",
]

# Plausibility bounds for an SME (DESIGN: 5-100 staff, EUR 0.2-20m turnover), wide on purpose:
# outside them we ask back instead of refusing. The hard limit is the pricing core's own.
TURNOVER_LOW = Decimal(10_000)
TURNOVER_HIGH = Decimal(1_000_000_000)
_TURNOVER = limit(QuoteRequest, "turnover_eur")


def on_quote_path(answers: Answers) -> bool:
    return intent(answers) == "quote"


def on_callback_path(answers: Answers) -> bool:
    return intent(answers) == "callback"


# --- the product choice -----------------------------------------------------------------------

_ALL_PHRASES = ("beide", "allebei", "alle twee", "beiden", "allemaal", "alle", "alles",
                "alle drie", "het allebei", "beide verzekeringen", "allebei graag")
_CALLBACK_PHRASES = ("bel mij liever", "bel me liever", "liever bellen", "bellen",
                     "bel mij", "bel me", "liever telefonisch", "ik wil gebeld worden")


def _product_choices(answers: Answers) -> tuple[Choice, ...]:
    products = list(PRODUCTS.values())
    out = [Choice(p.key, p.label, [p.key], p.phrases) for p in products]
    if len(products) > 1:
        label = N_("Both") if len(products) == 2 else N_("All of them")
        out.append(Choice("both" if len(products) == 2 else "all", label,
                          [p.key for p in products], _ALL_PHRASES))
    out.append(Choice("callback", N_("Call me instead"), "callback", _CALLBACK_PHRASES))
    return tuple(out)


def _read_products(text: str, answers: Answers) -> Any:
    options = _product_choices(answers)
    found = matching.match_options(
        text, [matching.Option(c.id, (_(c.label), *c.synonyms)) for c in options], multi=True)
    if not found.ids:
        raise Invalid(_("Which insurance would you like an indication for?"))
    picked: list[str] = []
    for option in options:
        if option.id in found.ids:
            if option.value == "callback":
                return _sure_or_propose("callback", _(option.label), found.sure)
            picked += [k for k in option.value if k not in picked]
    value = [k for k in PRODUCTS if k in picked]
    shown = ", ".join(_(PRODUCTS[k].label) for k in value)
    return _sure_or_propose(value, shown, found.sure)


def _sure_or_propose(value: Any, shown: str, sure: bool) -> Any:
    if sure:
        return value
    raise propose(value, shown)


def _after_product(value: Any, answers: MutableMapping[str, Any]) -> Effect | None:
    if value == "callback":
        answers.pop("product", None)
        answers["intent"] = "callback"
        return Effect(prefix=_("Fine, an adviser will call you. I only need a few details."))
    return None


def _show_products(value: Any) -> str:
    keys = chosen({"product": value})
    return ", ".join(_(PRODUCTS[k].label) for k in keys) or str(value)


# --- sector and turnover ----------------------------------------------------------------------


def _sector_choice(key: str) -> Choice:
    return Choice(key, SECTORS[key].label, key, literal=True)


SECTOR_CHOICES = tuple(_sector_choice(k) for k in SECTORS)


def _read_sector(text: str, answers: Answers) -> str:
    found = matching.match_sector(text)
    if len(found.ids) == 1:
        key = found.ids[0]
        if found.sure:
            return key
        raise propose(key, SECTORS[key].label)
    if found.ids:
        raise Confirm(_("Which of these fits your business best?"),
                      tuple(_sector_choice(k) for k in found.ids))
    raise Invalid(_("I do not recognise that sector. Choose the one that fits best, or "
                    "describe what your business does."), SECTOR_CHOICES)


def _ambiguous_turnover(text: str) -> None:
    """ "1.5" or "1,250": millions or thousands? Offer both readings that make sense."""
    words = parsing.normalise(text)
    readings = []
    for candidate in (f"{words} miljoen", words.replace(".", "").replace(",", "")):
        try:
            readings.append(parsing.parse_amount(candidate))
        except parsing.ParseError:
            continue
    readings = [r for r in dict.fromkeys(readings) if TURNOVER_LOW <= r <= TURNOVER_HIGH]
    if len(readings) == 1:
        raise propose(str(readings[0]), money(readings[0]))
    if readings:
        raise ask_which([(str(r), money(r)) for r in readings])


def _read_turnover(text: str, answers: Answers) -> str:
    try:
        parsing.parse_amount(text)
    except parsing.ParseError as error:
        if error.code == "amount.ambiguous":
            _ambiguous_turnover(text)
    value = Decimal(read(parsing.parse_amount, text, show_money, str))
    if value <= 0:
        raise Invalid(_("Your turnover has to be more than zero."))
    if value < TURNOVER_LOW:
        guess = value * 1000
        if TURNOVER_LOW <= guess < TURNOVER_HIGH:
            raise propose(str(guess), money(guess))
        raise Confirm(_("Is your annual turnover really %(amount)s?") % {"amount": money(value)},
                      (Choice("p0", money(value), str(value), literal=True),))
    if _TURNOVER.high is not None and value > _TURNOVER.high:
        raise Invalid(_("That amount is too large to be right."))
    if value > TURNOVER_HIGH:
        raise Confirm(_("Is your annual turnover really %(amount)s?") % {"amount": money(value)},
                      (Choice("p0", money(value), str(value), literal=True),))
    return str(value)


_TURNOVER_BANDS = (
    Choice("band250000", N_("Up to € 500.000"), "250000"),
    Choice("band750000", N_("€ 500.000 to € 1 million"), "750000"),
    Choice("band1500000", N_("€ 1 to 2 million"), "1500000"),
    Choice("band3500000", N_("€ 2 to 5 million"), "3500000"),
    Choice("band7500000", N_("€ 5 to 10 million"), "7500000"),
    Choice("band15000000", N_("More than € 10 million"), "15000000"),
)


# --- contact details --------------------------------------------------------------------------


def _read_name(text: str, answers: Answers) -> str:
    return str(read(parsing.parse_person_name, text, str))


_COMPANY_LEAD_IN = re.compile(
    r"^(?:(?:ons|mijn|het) bedrijf (?:heet|is)|we heten|wij heten|het is|dat is|de naam is|"
    r"bedrijfsnaam(?: is)?:?)\s+", re.IGNORECASE)


def _read_company(text: str, answers: Answers) -> str:
    name = _COMPANY_LEAD_IN.sub("", " ".join(text.split())).strip()
    if len(name) < 2 or not any(c.isalnum() for c in name) or parsing.parse_unknown(name):
        raise Invalid(_("Please type the name of your company."))
    if "@" in name:
        raise Invalid(_("That looks like an e-mail address; I will ask for it in a moment."))
    if len(name) > 160:
        raise Invalid(_("That is rather long for a company name."))
    return name


def _read_email(text: str, answers: Answers) -> str:
    return str(read(parsing.parse_email, text, str))


def _read_phone(text: str, answers: Answers) -> str:
    return str(read(parsing.parse_phone, text, str))


def _read_kvk(text: str, answers: Answers) -> str | None:
    return str(read(parsing.parse_kvk, text, str))


# A button's value is read like typed words: it becomes a window the same way.
MOMENT_CHOICES = (
    Choice("asap", N_("As soon as possible"), "zo snel mogelijk",
           ("zo snel mogelijk", "zsm", "asap", "meteen", "nu")),
    Choice("morning", N_("In the morning"), "ochtend", ("ochtend", "s ochtends", "morgens")),
    Choice("afternoon", N_("In the afternoon"), "middag", ("middag", "s middags")),
    Choice("late", N_("Late afternoon"), "eind van de middag", ("eind van de middag",)),
    Choice("any", N_("Any time"), "maakt niet uit",
           ("maakt niet uit", "altijd", "wanneer", "weet ik niet", "geen idee",
            "geen voorkeur")),
)


def consented(answers: Answers) -> bool:
    """Whether the prospect allowed passing the lead on: without it there is no lead."""
    return answers.get("consent") is True


_MOMENT_ERRORS = {
    "unreadable": N_("I could not read a day or time in that."),
    "negated": N_("Please name a moment that does suit you."),
}


def _moment_error(code: str) -> Invalid:
    return Invalid(_(_MOMENT_ERRORS.get(code) or _MOMENT_ERRORS[_UNREADABLE]))


_UNREADABLE = "unreadable"


def _read_moment(text: str, answers: Answers) -> str:
    """The prospect's own words, once they say when (the window is placed by `_settle_moment`,
    which knows the clock and the office hours)."""
    moment = " ".join(text.split())
    if not moment or len(moment) > 200 or not any(c.isalnum() for c in moment):
        raise _moment_error(_UNREADABLE)
    try:
        moments.parse(moment)
    except moments.MomentError as error:
        raise _moment_error(error.code) from None
    return moment


def _window_answer(said: str, window: moments.Window) -> dict[str, str]:
    # The stored answer: the prospect's words (or the button's value) and the window.
    return {"text": said, "start": window.start.isoformat(), "end": window.end.isoformat()}


def _settle_moment(value: Any, answers: Answers, ctx: Context) -> Any:
    """The moment as a window in the office hours, shown back for a yes or no."""
    if isinstance(value, dict):
        return value
    said = str(value)
    now = ctx.now()
    try:
        window = moments.resolve(moments.parse(said), now,
                                 office_hours(ctx.broker_office_hours))
    except moments.MomentError as error:
        raise _moment_error(error.code) from None
    shown = moments.describe(window.start, window.end, now)
    message = _("An adviser will then call you %(when)s. Is that right?") % {"when": shown}
    if window.notice:
        message = f"{window.notice} {message}"
    raise Confirm(message, (Choice("p0", shown, _window_answer(said, window), literal=True),))


def _show_moment(value: Any) -> str:
    if isinstance(value, dict) and "start" in value:
        return moments.describe(datetime.fromisoformat(value["start"]),
                                datetime.fromisoformat(value["end"]))
    return str(value)


def callback_window(answers: MutableMapping[str, Any], now: datetime,
                    hours: str) -> moments.Window | None:
    """The call-back window as it stands when the lead is made, or None without a moment.

    A confirmed window that has passed meanwhile (the prospect came back a day later), or a
    moment stored before windows existed, is placed again from `now`: the first office hours
    for words that no longer fit. The answer is updated; `notice` says what moved.
    """
    value = answers.get("callback_moment")
    if value is None:
        return None
    now = now.astimezone(TZ)  # a naive clock is local time, as moments.resolve reads it
    calendar = office_hours(hours)
    said = value.get("text", "") if isinstance(value, dict) else str(value)
    if isinstance(value, dict) and "start" in value:
        start, end = datetime.fromisoformat(value["start"]), datetime.fromisoformat(value["end"])
        if end > now:
            return moments.Window(start, end)
        asap = moments.resolve(moments.Moment(kind="asap"), now, calendar)
        window = moments.Window(asap.start, asap.end,
                                _("The moment you chose has passed meanwhile."))
    else:
        try:
            window = moments.resolve(moments.parse(said), now, calendar)
        except moments.MomentError:
            window = moments.resolve(moments.Moment(kind="asap"), now, calendar)
    answers["callback_moment"] = _window_answer(said, window)
    return window


def _read_yes_no(text: str, answers: Answers) -> bool:
    return bool(read(parsing.parse_yes_no, text, str))


YES_NO = (
    Choice("yes", N_("Yes"), True, ("ja", "j", "jazeker", "klopt")),
    Choice("no", N_("No"), False, ("nee", "n", "nee hoor")),
)

SKIP_CHOICE = (Choice("skip", N_("Skip"), None, ("overslaan", "sla over")),)

SUMMARY_CHOICES = (
    Choice("confirm", N_("Correct, continue"), True,
           ("klopt", "ja", "ga verder", "akkoord", "klopt ga verder", "alles klopt")),
    Choice("edit", N_("Change something"), "edit",
           ("iets wijzigen", "wijzigen", "aanpassen", "iets aanpassen", "nee", "klopt niet",
            "veranderen", "iets veranderen")),
)


def _read_summary(text: str, answers: Answers) -> Any:
    try:
        return True if parsing.parse_yes_no(text) else "edit"
    except parsing.ParseError:
        raise Invalid(_("Is everything correct? Answer yes, or say what to change, for "
                        "example 'wijzig omzet'.")) from None


def _after_summary(value: Any, answers: MutableMapping[str, Any]) -> Effect | None:
    if value == "edit":
        answers.pop("summary", None)
        return Effect(command="edit")
    return None


def _broker_args(answers: Answers) -> dict[str, str]:
    return {"broker": str(answers.get("_broker") or _("the broker"))}


def _summary_preamble(answers: Answers) -> str:
    from flows.summary import summary_text  # the summary needs the whole flow

    return summary_text(answers)


OPENING = (
    Question(
        "product", "opening",
        N_("What would you like a premium indication for? You may choose more than one."),
        N_("Credit insurance protects you when a business customer does not pay. Business "
           "interruption insurance covers fixed costs and lost profit when your business stands "
           "still after damage. I ask only what matters for your choice."),
        N_("For example: 'kredietverzekering' or 'beide'."),
        parse=_read_products, choices=_product_choices, multi=True, applies=on_quote_path,
        after=_after_product, topics=("product", "verzekering", "producten"),
        label=N_("Insurance"), show=_show_products, summarised=True,
    ),
    Question(
        "sector", "common",
        N_("In which sector is your business active? You may also describe it in a few words."),
        N_("The sector says a lot about risk: in construction and transport, for example, more "
           "businesses go bankrupt than in business services."),
        N_("For example: 'aannemer', 'groothandel in metaal' or 'softwarebedrijf'."),
        parse=_read_sector, choices=SECTOR_CHOICES, applies=on_quote_path,
        topics=("branche", "sector", "bedrijfstak"), label=N_("Sector"),
        show=lambda v: SECTORS[v].label if v in SECTORS else str(v), summarised=True,
    ),
    Question(
        "turnover", "common",
        N_("What is your annual turnover, roughly?"),
        N_("The premium is mostly a percentage of turnover, and some insurers' products are "
           "only for businesses up to a certain size."),
        N_("For example: '1,5 miljoen', '€ 850.000' or '3 ton'."),
        parse=_read_turnover, applies=on_quote_path, bands=_TURNOVER_BANDS,
        topics=("omzet", "jaaromzet"), label=N_("Annual turnover"), show=show_money,
        summarised=True,
    ),
)

# The consent question. The lead records which wording was agreed to: its version is derived
# from this sentence's Dutch in the catalog (flows.lead.consent_text_version), so a changed
# wording is a new version by itself.
CONSENT_PROMPT = N_("May I pass your details and answers to %(broker)s so an adviser can "
                    "contact you?")


CLOSING = (
    Question(
        "summary", "closing",
        N_("Is everything correct?"),
        N_("Check your answers: the indication is based on them. You can change any answer."),
        N_("For example: 'ja' or 'wijzig omzet'."),
        parse=_read_summary, choices=SUMMARY_CHOICES, applies=on_quote_path,
        depends_on=("*",), preamble=_summary_preamble, after=_after_summary,
    ),
    Question(
        "contact_name", "closing",
        N_("What is your name?"),
        N_("So the adviser knows whom to ask for."),
        N_("For example: 'Jan de Vries'."),
        parse=_read_name, applies=on_quote_path, topics=("naam",), free_text=True,
        label=N_("Name"),
    ),
    Question(
        "company_name", "closing",
        N_("What is the name of your company?"),
        N_("The insurer assesses your company; the name lets the broker look it up."),
        N_("For example: 'De Vries Installatietechniek B.V.'."),
        parse=_read_company, applies=on_quote_path, topics=("bedrijfsnaam", "bedrijf"),
        free_text=True, label=N_("Company"),
    ),
    Question(
        "email", "closing",
        N_("At which e-mail address may the adviser send the indication?"),
        N_("You receive the comparison of the insurers' offers by e-mail."),
        N_("For example: 'jan@devries.nl'."),
        parse=_read_email, applies=on_quote_path, topics=("e-mail", "email", "mail"),
        label=N_("E-mail"),
    ),
    Question(
        "phone", "closing",
        N_("At which phone number can the adviser reach you?"),
        N_("An adviser calls to go through the offers with you."),
        N_("For example: '06-12345678' or '+31 20 123 4567'."),
        parse=_read_phone, applies=on_quote_path, topics=("telefoon", "telefoonnummer", "nummer"),
        label=N_("Phone"), input_hint="phone",
    ),
    Question(
        "kvk", "closing",
        N_("What is your KvK number? You may skip this."),
        N_("With the KvK number the insurer finds your company at once."),
        N_("For example: '12345678'."),
        parse=_read_kvk, choices=SKIP_CHOICE, applies=on_quote_path, optional=True,
        topics=("kvk", "kvk-nummer"), label=N_("KvK number"),
        show=lambda v: str(v) if v else _("not given"),
    ),
    Question(
        "callback_moment", "closing",
        N_("When does a call suit you best?"),
        N_("So the adviser calls when it suits you."),
        N_("For example: 'dinsdagochtend', 'morgen na 14:00' or 'zo snel mogelijk'."),
        parse=_read_moment, choices=MOMENT_CHOICES, applies=on_quote_path, free_text=True,
        settle=_settle_moment, topics=("moment", "terugbellen", "belmoment"),
        label=N_("Preferred moment"), show=_show_moment,
    ),
    Question(
        "consent", "closing",
        CONSENT_PROMPT,
        N_("Without your permission nothing is passed on. Your details are used only for this "
           "request."),
        None,
        parse=_read_yes_no, choices=YES_NO, applies=on_quote_path, prompt_args=_broker_args,
        label=N_("Permission"), show=lambda v: _("Yes") if v else _("No"),
    ),
)


def _on_callback_path(question: Question, new_id: str) -> Question:
    # The call-back path asks the same contact questions, under their own step ids, and shares
    # their answers: a name given before "bel mij" is not asked again.
    return replace(question, id=new_id, block="callback", key=question.answer_key,
                   applies=on_callback_path)


_BY_ID = {q.id: q for q in CLOSING}
CALLBACK = (
    _on_callback_path(_BY_ID["contact_name"], "cb_name"),
    _on_callback_path(_BY_ID["phone"], "cb_phone"),
    _on_callback_path(_BY_ID["callback_moment"], "cb_moment"),
    _on_callback_path(_BY_ID["consent"], "cb_consent"),
)
