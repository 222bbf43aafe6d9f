"""A lead as a broker reads it: labelled rows in Dutch, for the e-mails (and any other target
that shows a lead to a person).

Works on the lead's JSON form (`intake.lead/v1`), the way it travels in an `Event`. The labels
and the way each answer is shown come from the dialogue's own question specs (`flows.flow`), so
the broker reads an answer exactly as the prospect saw it in the summary.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from babel.dates import format_date

from flows.flow import current
from flows.i18n import LOCALE, _, money, percent

__all__ = [
    "AMSTERDAM",
    "Row",
    "Section",
    "answer_section",
    "callback_window",
    "contact_section",
    "display_name",
    "indication_sections",
    "is_urgent",
    "phone_text",
    "window_text",
]

log = logging.getLogger("intake.handoff")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    value: str
    href: str | None = None  # tel: or mailto:


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()  # sentences under the rows: factors, warnings


# Lead answer fields and the dialogue question that asked them.
_COMMON = (("sector", "sector"), ("turnover_eur", "turnover"))
_PRODUCT_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "credit": (
        ("credit_share_pct", "credit_share"),
        ("debtor_count", "debtor_count"),
        ("top5_share_pct", "top5_share"),
        ("largest_exposure_eur", "largest_exposure"),
        ("payment_term_days", "payment_term"),
        ("export_share_pct", "export_share"),
        ("bad_debt_3y_eur", "bad_debt"),
        ("indemnity_pct", "indemnity"),
    ),
    "bi": (
        ("variable_costs_eur", ""),
        ("gross_profit_eur", ""),
        ("indemnity_period_weeks", "indemnity_period"),
        ("waiting_period_hours", "waiting_period"),
        ("extra_costs", "extra_costs"),
        ("locations", "locations"),
    ),
}
# BI's basis is one question with two numbers; each has its own summary label.
_AMOUNT_LABELS = {"variable_costs_eur": "Variable costs",
                  "gross_profit_eur": "Gross profit (insured sum)"}
_ARROWS = {"up": "+", "down": "-", "neutral": "·"}


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _text(value: Any) -> str:
    """A prospect's own words on one line (no header or layout tricks from newlines)."""
    return " ".join(str(value).split())


def display_name(lead: Mapping[str, Any]) -> str:
    """The company, else the contact's name, else the reference: what a subject line names."""
    company = (lead.get("company") or {}).get("name")
    contact = (lead.get("contact") or {}).get("name")
    return _text(company or contact or lead.get("reference", ""))


def is_urgent(lead: Mapping[str, Any], event_type: str = "") -> bool:
    """A call-back request is urgent: the prospect asked for a person."""
    return lead.get("intent") == "callback" or event_type == "lead.callback_requested"


def phone_text(e164: str) -> str:
    """+31612345678 as people read it: +31 6 12345678."""
    try:
        number = phonenumbers.parse(e164, "NL")
    except phonenumbers.NumberParseException:
        return _text(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def callback_window(lead: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    """`contact.callback_window` ({"start", "end"}, ISO 8601) in Amsterdam time, or None when
    the lead has none or it cannot be read (then the e-mail goes without it)."""
    window = (lead.get("contact") or {}).get("callback_window")
    if not isinstance(window, Mapping):
        return None
    try:
        start, end = (datetime.fromisoformat(str(window[k]).replace("Z", "+00:00"))
                      for k in ("start", "end"))
    except (KeyError, ValueError):
        log.warning("unreadable call-back window", extra={"reference": lead.get("reference")})
        return None
    start, end = (m.replace(tzinfo=AMSTERDAM) if m.tzinfo is None else m.astimezone(AMSTERDAM)
                  for m in (start, end))
    if end <= start:
        log.warning("empty call-back window", extra={"reference": lead.get("reference")})
        return None
    return start, end


def window_text(start: datetime, end: datetime) -> str:
    """'dinsdag 24 november 2026, 09:00-12:00' (Amsterdam time)."""
    day = format_date(start, "EEEE d MMMM y", locale=LOCALE)
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    return f"{day} {start:%H:%M} – {format_date(end, 'EEEE d MMMM y', locale=LOCALE)} " \
           f"{end:%H:%M}"


def contact_section(lead: Mapping[str, Any]) -> Section:
    """Who to call: name, company, KvK, e-mail, phone (a tel: link), when."""
    company = lead.get("company") or {}
    contact = lead.get("contact") or {}
    rows = []
    if contact.get("name"):
        rows.append(Row(_("Name"), _text(contact["name"])))
    if company.get("name"):
        rows.append(Row(_("Company"), _text(company["name"])))
    rows.append(Row(_("KvK number"), company.get("kvk") or _("not given")))
    if contact.get("phone"):
        rows.append(Row(_("Phone"), phone_text(contact["phone"]), f"tel:{contact['phone']}"))
    if contact.get("email"):
        rows.append(Row(_("E-mail"), _text(contact["email"]), f"mailto:{contact['email']}"))
    if contact.get("callback_preference"):
        rows.append(Row(_("Preferred moment"), _text(contact["callback_preference"])))
    window = callback_window(lead)
    if window is not None:
        rows.append(Row(_("Call-back window"), window_text(*window)))
    return Section(_("Contact details"), tuple(rows))


def _shown(question_id: str, value: Any) -> tuple[str, str] | None:
    question = current().by_id.get(question_id)
    if question is None or not question.label:
        return None
    return _(question.label), question.show(value)


def answer_section(lead: Mapping[str, Any]) -> Section:
    """Every answer the quote is based on, labelled and shown as in the dialogue's summary."""
    answers = lead.get("answers") or {}
    estimated = set(lead.get("estimated") or ())
    rows = []
    products = list(lead.get("products") or ())
    if products and (shown := _shown("product", products)):
        rows.append(Row(*shown))

    def add(field: str, question_id: str, value: Any) -> None:
        if question_id:
            shown = _shown(question_id, value)
        else:
            shown = (_(_AMOUNT_LABELS[field]), money(_dec(value)))
        if shown is None:
            return
        label, text = shown
        if question_id in estimated:
            text = text + " (" + _("estimate") + ")"
        rows.append(Row(label, text))

    for field, question_id in _COMMON:
        if answers.get(field) is not None:
            add(field, question_id, answers[field])
    complete = lead.get("quote") is not None
    for product, fields in _PRODUCT_FIELDS.items():
        part = answers.get(product)
        if not isinstance(part, Mapping):
            continue
        for field, question_id in fields:
            if part.get(field) is not None:
                add(field, question_id, part[field])
            elif field == "indemnity_pct" and field in part and complete:
                add(field, question_id, None)  # "weet ik niet": the usual 90 % was used
    names = (lead.get("customer_check") or {}).get("names")
    if names and (shown := _shown("top5_names", [_text(n) for n in names])):
        rows.append(Row(*shown))
    return Section(_("Answers"), tuple(rows))


def _range(low: Any, high: Any) -> str:
    lo, hi = _dec(low), _dec(high)
    return money(lo) if lo == hi else f"{money(lo)} – {money(hi)}"


def _factors(factors: Any) -> tuple[str, ...]:
    return tuple(f"{_ARROWS.get(f.get('direction'), '·')} {_text(f.get('text', ''))}"
                 for f in factors or () if f.get("direction") != "neutral")


def indication_sections(lead: Mapping[str, Any], *, offers: bool = True) -> list[Section]:
    """The indication per product (its texts are Dutch in the lead already); with `offers`,
    each insurer product and the factors that moved the premium (for the broker)."""
    quote = lead.get("quote")
    if not isinstance(quote, Mapping):
        return []
    sections = []
    credit = quote.get("credit")
    if isinstance(credit, Mapping):
        low, high = _dec(credit["rate_low_pct"]), _dec(credit["rate_high_pct"])
        rate = percent(low) if low == high else f"{percent(low)} – {percent(high)}"
        rows = [
            Row(_("Insured turnover"), money(_dec(credit["insured_turnover_eur"]))),
            Row(_("Premium per year"),
                f"{_range(credit['premium_low_eur'], credit['premium_high_eur'])} ({rate})"),
        ]
        notes: tuple[str, ...] = ()
        if offers:
            for o in credit.get("offers") or ():
                name = _text(f"{o.get('insurer', '')} {o.get('product', '')}")
                if o.get("eligible") and o.get("premium_low_eur") is not None:
                    rows.append(Row(name, _range(o["premium_low_eur"], o["premium_high_eur"])))
                else:
                    unsuitable = _("not suitable")
                    rows.append(Row(name, f"{unsuitable} ({_text(o.get('reason', ''))})"))
            notes = _factors(credit.get("factors"))
        sections.append(Section(_("Credit insurance"), tuple(rows), notes))
    bi = quote.get("bi")
    if isinstance(bi, Mapping):
        rows = [
            Row(_("Insured sum (gross profit)"), money(_dec(bi["insured_sum_eur"]))),
            Row(_("Premium per year"), _range(bi["premium_low_eur"], bi["premium_high_eur"])),
        ]
        warnings = tuple(f"⚠ {_text(w.get('text', ''))}" for w in bi.get("warnings") or ())
        notes = warnings + (_factors(bi.get("factors")) if offers else ())
        sections.append(Section(_("Business interruption insurance"), tuple(rows), notes))
    return sections
