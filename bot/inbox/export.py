"""`/broker/leads.csv`: the leads as a broker opens them in Excel with Dutch settings.

Semicolons between cells, a decimal comma (no thousands separator, so Excel reads a number),
UTF-8 with a byte order mark (else Excel guesses the wrong encoding), Dutch column headers, one
row per lead. A cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage return) would be
taken by Excel as a formula: it gets a leading apostrophe (formula injection: a company named
`=HYPERLINK(...)` stays text).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from bot.inbox.leads import LeadRow
from bot.inbox.present import CHANNEL_LABELS, STATUS_LABELS, local_time, phone_national, window
from flows.i18n import N_, _

__all__ = ["BOM", "HEADERS", "cell", "decimal", "leads_csv"]

BOM = "\ufeff"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")

HEADERS = (
    N_("Reference"), N_("Received"), N_("Channel"), N_("Type"), N_("Urgent"), N_("Status"),
    N_("Owner"), N_("Claimed at"), N_("Company"), N_("KvK number"), N_("Sector"),
    N_("Contact person"), N_("Phone"), N_("E-mail"), N_("Preferred moment"),
    N_("Call-back window"), N_("Products"), N_("Turnover (EUR)"),
    N_("Credit premium from (EUR)"), N_("Credit premium to (EUR)"),
    N_("Insured sum BI (EUR)"), N_("BI premium from (EUR)"), N_("BI premium to (EUR)"),
    N_("Tariff version"),
)


def cell(value: Any) -> str:
    """A cell's text, guarded against formula injection, on one line."""
    if value is None:
        return ""
    text = " ".join(str(value).split()) if not isinstance(value, str) else \
        value.replace("\r\n", " ").replace("\n", " ")
    if text.startswith(_FORMULA):
        return "'" + text
    return text


def decimal(value: Any) -> str:
    """12500.5 -> '12500,5'; None -> ''."""
    if value is None or isinstance(value, bool):
        return ""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return ""
    if not number.is_finite():
        return ""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _part(quote: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    part = quote.get(key)
    return part if isinstance(part, Mapping) else {}


def _row(lead: LeadRow) -> list[str]:
    data = lead.data
    company = data.get("company") or {}
    contact = data.get("contact") or {}
    answers = data.get("answers") or {}
    found = data.get("quote")
    quote: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    credit, bi = _part(quote, "credit"), _part(quote, "bi")
    intent = _("Call-back request") if data.get("intent") == "callback" \
        else _("Intake completed")
    products = ", ".join({"credit": _("Credit insurance"),
                          "bi": _("Business interruption insurance")}.get(p, p)
                         for p in data.get("products") or ())
    return [cell(x) for x in (
        lead.reference, local_time(lead.created_at),
        _(CHANNEL_LABELS.get(lead.channel, lead.channel)), intent,
        _("yes") if data.get("urgent") or data.get("intent") == "callback" else _("no"),
        _(STATUS_LABELS.get(lead.status, lead.status)), lead.claimed_by or "",
        local_time(lead.claimed_at), company.get("name"), company.get("kvk"),
        company.get("sector"), contact.get("name"),
        phone_national(contact["phone"]) if contact.get("phone") else "",
        contact.get("email"), contact.get("callback_preference"), window(data), products,
    )] + [decimal(answers.get("turnover_eur")),
          decimal(credit.get("premium_low_eur")), decimal(credit.get("premium_high_eur")),
          decimal(bi.get("insured_sum_eur")),
          decimal(bi.get("premium_low_eur")), decimal(bi.get("premium_high_eur")),
          cell(quote.get("tariff_version"))]


def leads_csv(leads: Iterable[LeadRow]) -> str:
    """The export's text, BOM first (encode as UTF-8)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([cell(_(h)) for h in HEADERS])
    for lead in leads:
        writer.writerow(_row(lead))
    return out.getvalue()
