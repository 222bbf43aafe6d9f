"""How the inbox shows a lead: the Dutch texts of its pages, statuses, channels, products,
the indication in a line, times in Amsterdam. Every sentence comes from the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import phonenumbers
from babel.dates import format_datetime

from bot.handoff.summary import AMSTERDAM, callback_window, window_text
from flows.i18n import LOCALE, N_, _, money

__all__ = ["CHANNEL_LABELS", "EVENT_LABELS", "STATE_LABELS", "STATUS_LABELS", "TEXTS",
           "indication", "local_time", "phone_national", "product_list", "products_text", "texts"]

STATUS_LABELS = {
    "nieuw": N_("New"),
    "opgepakt": N_("Claimed"),
    "gebeld": N_("Called"),
    "offerte aangevraagd": N_("Offer requested"),
    "afgesloten": N_("Closed"),
    "afgewezen": N_("Declined"),
}
CHANNEL_LABELS = {"web": N_("Website chat"), "telegram": N_("Telegram"),
                  "cli": N_("Command line")}
PRODUCT_LABELS = {"credit": N_("Credit insurance"), "bi": N_("Business interruption insurance")}
EVENT_LABELS = {"lead.created": N_("New lead"),
                "lead.callback_requested": N_("Call-back request"),
                "lead.claimed": N_("Claimed"), "lead.erased": N_("Erasure")}
STATE_LABELS = {"pending": N_("Pending"), "delivered": N_("Delivered"), "failed": N_("Failed")}

# The texts of the pages, by key (the templates name the key: `t.leads`).
TEXTS = {
    "inbox": N_("Lead inbox"),
    "skip": N_("Skip to content"),
    "nav": N_("Inbox menu"),
    "leads": N_("Leads"),
    "funnel": N_("Funnel"),
    "logout": N_("Log out"),
    "login_title": N_("Log in"),
    "login_intro": N_("Log in with the e-mail address and password your administrator gave you."),
    "email": N_("E-mail address"),
    "password": N_("Password"),
    "login_button": N_("Log in"),
    "login_failed": N_("The e-mail address or password is not correct."),
    "login_expired": N_("The login form had expired. Please try again."),
    "forbidden_title": N_("Not allowed"),
    "forbidden": N_("This form had expired or did not come from this inbox. Go back, reload "
                    "the page and try again."),
    "not_found_title": N_("Not found"),
    "not_found": N_("This lead does not exist (any more). It may have been erased."),
    "back_to_list": N_("Back to the leads"),
    "filters": N_("Filter leads"),
    "status": N_("Status"),
    "channel": N_("Channel"),
    "all": N_("All"),
    "filter_button": N_("Show"),
    "export": N_("Download as CSV (Excel)"),
    "count": N_("%(shown)d of %(total)d leads"),
    "none": N_("No leads match these filters."),
    "newer": N_("Newer leads"),
    "older": N_("Older leads"),
    "reference": N_("Reference"),
    "received": N_("Received"),
    "company": N_("Company"),
    "products": N_("Products"),
    "indication": N_("Indication"),
    "owner": N_("Owner"),
    "urgency": N_("Urgency"),
    "urgent": N_("Call back"),
    "nobody": N_("nobody yet"),
    "no_quote": N_("no indication"),
    "callback_request": N_("Call-back request"),
    "quote_request": N_("Intake completed"),
    "erased_notice": N_("Lead %(reference)s and everything the prospect told us were erased."),
    "claim": N_("I'll call this one"),
    "claimed_by": N_("Claimed by %(who)s on %(when)s"),
    "claimed_you": N_("You claimed this lead."),
    "claimed_other": N_("Someone else was first: %(who)s has this lead."),
    "new_status": N_("New status"),
    "save_status": N_("Save status"),
    "status_saved": N_("Status saved."),
    "actions": N_("Work this lead"),
    "delivery": N_("Hand-off"),
    "attempts": N_("Attempts"),
    "finished": N_("Done at"),
    "error": N_("Last error"),
    "no_delivery": N_("No hand-off targets were configured for this lead."),
    "history": N_("Status history"),
    "created_status": N_("lead received"),
    "transcript": N_("Conversation"),
    "prospect": N_("Prospect"),
    "assistant": N_("Assistant"),
    "no_transcript": N_("The conversation is no longer stored."),
    "show_transcript": N_("Show the whole conversation (%(n)d messages)"),
    "erase": N_("Erase prospect"),
    "erase_intro": N_("Erase everything this prospect told us: the lead, the conversation and "
                      "pending hand-offs. Targets that already received the lead are told to "
                      "erase it too. This cannot be undone."),
    "erase_link": N_("Erase this prospect…"),
    "erase_confirm_title": N_("Erase %(reference)s?"),
    "erase_confirm": N_("Erase permanently"),
    "cancel": N_("Cancel"),
    "funnel_title": N_("Where prospects stop"),
    "funnel_intro": N_("Per question: how many conversations reached it, how many stopped "
                       "there, how often an answer was refused, and the median time spent "
                       "on it."),
    "since": N_("From"),
    "until": N_("Up to and including"),
    "question": N_("Question"),
    "reached": N_("Reached"),
    "stopped": N_("Stopped here"),
    "refused": N_("Answers refused"),
    "median": N_("Median time"),
    "no_funnel": N_("No conversations in this period."),
    "funnel_missing": N_("The funnel is not available in this version."),
    "chart": N_("Funnel chart"),
    "table": N_("Funnel table"),
}


def texts() -> dict[str, str]:
    """The page texts in Dutch."""
    return {key: _(message) for key, message in TEXTS.items()}


def local_time(moment: datetime | None) -> str:
    """'24-11-2026 14:05' in Amsterdam time ('' for None)."""
    if moment is None:
        return ""
    return format_datetime(moment.astimezone(AMSTERDAM), "dd-MM-yyyy HH:mm", locale=LOCALE)


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _range(low: Any, high: Any) -> str:
    lo, hi = _dec(low), _dec(high)
    return money(lo) if lo == hi else f"{money(lo)} – {money(hi)}"


def indication(lead: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The premium per year per product: [(product, '€ 3.548 – € 5.322')]."""
    quote = lead.get("quote")
    if not isinstance(quote, Mapping):
        return []
    out = []
    for key in ("credit", "bi"):
        part = quote.get(key)
        if isinstance(part, Mapping) and part.get("premium_low_eur") is not None:
            out.append((_(PRODUCT_LABELS[key]),
                        _range(part["premium_low_eur"], part["premium_high_eur"])))
    return out


def product_list(lead: Mapping[str, Any]) -> list[str]:
    return [_(PRODUCT_LABELS.get(p, p)) for p in lead.get("products") or ()]


def products_text(lead: Mapping[str, Any]) -> str:
    return ", ".join(product_list(lead))


def window(lead: Mapping[str, Any]) -> str:
    """The call-back window in words, or ''."""
    found = callback_window(lead)
    return "" if found is None else window_text(*found)


def phone_national(e164: str) -> str:
    """A Dutch number as '06 12345678', another as '+32 470 12 34 56'."""
    try:
        number = phonenumbers.parse(e164, "NL")
    except phonenumbers.NumberParseException:
        return " ".join(e164.split())
    kind = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 31 \
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, kind)
