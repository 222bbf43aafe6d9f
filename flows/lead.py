"""The lead (intake.lead/v1): the product's contract with the broker's systems.

`answers` is exactly the pricing core's QuoteRequest (with bi.gross_profit_eur filled in), and
`quote` the pricing core's Quote with its texts in Dutch, so a receiver can re-price a lead with
the quotes API and get the same figures.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from flows.i18n import _
from flows.present import localise_quote
from flows.products import PRODUCTS, chosen, intent
from flows.questions import CONSENT_PROMPT
from flows.spec import Answers
from pricing import SECTORS, Quote, QuoteRequest, quote
from pricing.models import Money

__all__ = [
    "CONSENT_TEXT_VERSION",
    "SCHEMA",
    "CallbackWindow",
    "Lead",
    "build_lead",
    "build_request",
    "consent_text_version",
    "lead_schema",
]

SCHEMA = "intake.lead/v1"


def consent_text_version(dutch: str | None = None) -> str:
    """Which consent wording a prospect agreed to: `consent-` and 12 hex digits of the SHA-256
    of the consent question's Dutch in the catalog (the template, `%(broker)s` and all,
    whitespace collapsed). Changing the Dutch wording makes a new version by itself; the text
    of any version is the catalog in version control."""
    text = _(CONSENT_PROMPT) if dutch is None else dutch
    digest = hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()
    return f"consent-{digest[:12]}"


CONSENT_TEXT_VERSION = consent_text_version()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Company(_Model):
    name: str | None = None
    kvk: str | None = Field(default=None, pattern=r"^\d{8}$")
    sector: str | None = None
    sbi_section: str | None = None


class CallbackWindow(_Model):
    """When the adviser is to call: inside the broker's office hours, Europe/Amsterdam time."""

    start: AwareDatetime = Field(description="ISO 8601 with offset, e.g. "
                                             "2026-11-26T13:00:00+01:00")
    end: AwareDatetime


class Contact(_Model):
    name: str | None = None
    email: str | None = None
    phone: str | None = Field(default=None, description="E.164, e.g. +31612345678")
    callback_preference: str | None = Field(
        default=None, description="The preferred moment in the prospect's own words, or a "
                                  "button's value ('ochtend', 'maakt niet uit').")
    callback_window: CallbackWindow | None = Field(
        default=None, description="The preferred moment as the prospect confirmed it, placed "
                                  "in the office hours (Dutch public holidays skipped).")


class Consent(_Model):
    given_at: datetime
    text_version: str = Field(
        description="The consent wording agreed to: 'consent-' and 12 hex digits of the "
                    "SHA-256 of its Dutch text (see flows.lead.consent_text_version).")


class PartialAnswers(_Model):
    """What a call-back lead carries when the prospect left before the quote was complete."""

    sector: str | None = None
    turnover_eur: Money | None = None
    credit: dict[str, Any] | None = None
    bi: dict[str, Any] | None = None


class CustomerCheck(_Model):
    names: list[str] = Field(default_factory=list)


class Lead(_Model):
    schema_: Literal["intake.lead/v1"] = Field(default="intake.lead/v1", alias="schema")
    reference: str = Field(pattern=r"^IK-\d{4}-\d{6,}$")
    created_at: datetime
    channel: str
    intent: Literal["quote", "callback"]
    urgent: bool = Field(default=False, description="The prospect asked to be called "
                                                    "(intent callback): call first.")
    products: list[str] = Field(description="Product keys: 'credit', 'bi'.")
    company: Company
    contact: Contact
    answers: QuoteRequest | PartialAnswers
    quote: Quote | None
    customer_check: CustomerCheck | None = None
    consent: Consent
    # Question ids whose answer the prospect estimated from offered bands ("weet ik niet").
    estimated: list[str] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _dec(answers: Answers, key: str) -> Decimal | None:
    value = answers.get(key)
    return None if value is None else Decimal(str(value))


def build_request(answers: Answers) -> QuoteRequest:
    """The pricing core's request from complete answers: each chosen product adds its part."""
    turnover = _dec(answers, "turnover")
    if turnover is None:  # not an assert: `python -O` would drop it and the fallback below
        raise ValueError("no turnover answered yet")
    parts: dict[str, Any] = {}
    for key in chosen(answers):
        parts.update(PRODUCTS[key].request(answers))
    return QuoteRequest(sector=answers["sector"], turnover_eur=turnover, **parts)


def price(answers: Answers) -> Quote | None:
    """The quote for these answers, or None when the pricing core cannot price them (yet)."""
    try:
        return quote(build_request(answers))
    except (KeyError, ValueError, TypeError):  # pydantic's ValidationError is a ValueError
        return None


def _partial(answers: Answers) -> PartialAnswers:
    def jsonable(fields: dict[str, Any]) -> dict[str, Any] | None:
        return json.loads(json.dumps(fields, default=lambda d: float(d))) if fields else None

    parts = {key: jsonable(PRODUCTS[key].fields(answers)) for key in PRODUCTS}
    return PartialAnswers(
        sector=answers.get("sector"),
        turnover_eur=_dec(answers, "turnover"),
        credit=parts.get("credit"),
        bi=parts.get("bi"),
    )


def build_lead(answers: Answers, *, reference: str, channel: str, now: datetime) -> Lead:
    """The lead for a finished conversation: complete for a quote, partial for a call-back."""
    sector = answers.get("sector")
    moment = answers.get("callback_moment")  # {"text", "start", "end"} (older: the text)
    request: QuoteRequest | PartialAnswers
    priced: Quote | None = None
    try:
        request = build_request(answers)
        priced = localise_quote(quote(request))
    except (KeyError, ValueError, TypeError):  # pydantic's ValidationError is a ValueError
        # A call-back can come before the quote questions are complete: pass what we have.
        request = _partial(answers)
    return Lead(
        reference=reference,
        created_at=now,
        channel=channel,
        intent=intent(answers),  # type: ignore[arg-type]
        urgent=intent(answers) == "callback",
        products=list(chosen(answers)),
        company=Company(
            name=answers.get("company_name"),
            kvk=answers.get("kvk"),
            sector=sector,
            sbi_section=SECTORS[str(sector)].sbi_section if sector in SECTORS else None,
        ),
        contact=Contact(
            name=answers.get("contact_name"),
            email=answers.get("email"),
            phone=answers.get("phone"),
            callback_preference=moment.get("text") if isinstance(moment, dict) else moment,
            callback_window=CallbackWindow(start=moment["start"], end=moment["end"])
            if isinstance(moment, dict) and "start" in moment else None,
        ),
        answers=request,
        quote=priced,
        customer_check=CustomerCheck(names=answers["top5_names"])
        if answers.get("top5_names") else None,
        consent=Consent(given_at=now, text_version=CONSENT_TEXT_VERSION),
        estimated=list(answers.get("_estimated") or []),
    )


def lead_schema() -> dict[str, Any]:
    """JSON Schema of the lead as it is sent (serialisation mode: euros as numbers)."""
    schema = Lead.model_json_schema(mode="serialization", by_alias=True)
    schema["$id"] = "https://intake.local/schemas/intake.lead/v1.json"
    return schema
