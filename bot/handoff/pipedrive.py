"""Pipedrive (API v1, API token in the `x-api-token` header): organisation, person and lead.

Per lead:

1. Organisation, found by exact name (`GET /api/v1/organizations/search`) or created.
2. Person, found by exact e-mail (or phone, for a call-back without e-mail) with
   `GET /api/v1/persons/search`, or created with the organisation.
   (Steps 1 and 2 only when step 3 finds no lead. Pipedrive's search index lags a few seconds:
   an attempt that died between making the person and the lead can leave a second person on
   a quick retry, never a second lead.)
3. Lead, unless one with the reference in its title exists: the leads added since the lead
   was made (`GET /api/v1/leads?sort=add_time DESC`, a consistent read, page by page) and a
   title search (`GET /api/v1/leads/search`) are checked first; then `POST /api/v1/leads`
   with the title `<reference> <company>`, the person, the organisation and the indication
   (the low end, all products together) as its value.
4. A note on the lead (`POST /api/v1/notes` with `lead_id`) with the facts a Pipedrive lead
   has no field for: products, indication, urgency, call-back window; made once (the lead's
   notes are read first).

`lead.erased`: every lead with the reference in its title is deleted, and its person.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from bot.handoff._http import check, request
from bot.handoff.base import Failed
from bot.handoff.events import Event, EventType
from bot.handoff.summary import (
    Section,
    callback_window,
    display_name,
    indication_sections,
    is_urgent,
    window_text,
)
from flows.i18n import _

__all__ = ["PipedriveTarget"]

log = logging.getLogger("intake.handoff.pipedrive")

DEFAULT_BASE_URL = "https://api.pipedrive.com"
NOTE_MARK = "intake:"  # the first line of our note: how a retry recognises it
PAGE = 100
MAX_PAGES = 20  # at most 2,000 recent leads are read to find an earlier attempt's lead
CLOCK_SKEW = timedelta(hours=1)


def _added(item: Mapping[str, Any]) -> datetime:
    """A lead's add_time (ISO 8601, UTC; Pipedrive writes it with a Z or without a zone)."""
    try:
        moment = datetime.fromisoformat(str(item.get("add_time", "")).replace("Z", "+00:00"))
    except ValueError:
        return datetime.max.replace(tzinfo=UTC)  # unreadable: keep looking
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _value(lead: Mapping[str, Any]) -> dict[str, Any] | None:
    quote = lead.get("quote")
    if not isinstance(quote, Mapping):
        return None
    lows = [Decimal(str(quote[k]["premium_low_eur"])) for k in ("credit", "bi")
            if isinstance(quote.get(k), Mapping)]
    if not lows:
        return None
    total = sum(lows, Decimal(0))
    amount: int | float = int(total) if total == total.to_integral_value() else float(total)
    return {"amount": amount, "currency": "EUR"}


def note_html(lead: Mapping[str, Any], event_type: str) -> str:
    """The lead's facts as the note's HTML (Pipedrive notes are HTML), every value escaped."""
    reference = str(lead["reference"])
    lines = [f"<p><b>{html.escape(NOTE_MARK + reference)}</b></p>"]
    if is_urgent(lead, event_type):
        urgent = _("Urgent: the prospect asked to be called back.")
        lines.append(f"<p><b>{html.escape(urgent)}</b></p>")
    window = callback_window(lead)
    if window is not None:
        label = _("Call-back window")
        lines.append(f"<p>{html.escape(label)}: {html.escape(window_text(*window))}</p>")
    sections: list[Section] = indication_sections(lead, offers=False)
    for section in sections:
        rows = "".join(f"<li>{html.escape(r.label)}: {html.escape(r.value)}</li>"
                       for r in section.rows)
        lines.append(f"<p>{html.escape(section.title)}</p><ul>{rows}</ul>")
    return "".join(lines)


class PipedriveTarget:
    """Leads in Pipedrive's Leads Inbox, with their person and organisation."""

    events: frozenset[EventType] = frozenset({"lead.created", "lead.callback_requested",
                                              "lead.erased"})

    def __init__(self, token: str, client: httpx.AsyncClient, *,
                 base_url: str = DEFAULT_BASE_URL, name: str = "pipedrive") -> None:
        if not token:
            raise Failed("pipedrive: no token configured")
        self.name = name
        self._client = client
        self._base = base_url.rstrip("/")
        self._headers = {"x-api-token": token, "accept": "application/json"}

    async def _call(self, method: str, path: str, what: str, *,
                    ok: frozenset[int] = frozenset(), **kwargs: Any) -> Any:
        response = await request(self._client, method, self._base + path, f"pipedrive {what}",
                                 headers=self._headers, **kwargs)
        check(response, f"pipedrive {what}", ok=ok)
        if response.status_code in ok or not response.content:
            return None
        body = response.json()
        if isinstance(body, Mapping) and body.get("success") is False:
            raise Failed(f"pipedrive {what}: success false")
        return body.get("data") if isinstance(body, Mapping) else None

    async def _search(self, kind: str, term: str, fields: str, *,
                      exact: bool = True) -> list[Mapping[str, Any]]:
        data = await self._call("GET", f"/api/v1/{kind}/search", f"{kind} search",
                                params={"term": term, "fields": fields,
                                        "exact_match": "true" if exact else "false",
                                        "limit": 50})
        return [i["item"] for i in (data or {}).get("items") or () if i.get("item")]

    # --- the records ---------------------------------------------------------------------

    async def _organization(self, lead: Mapping[str, Any]) -> int | None:
        name = _one_line((lead.get("company") or {}).get("name") or "")
        if not name:
            return None
        for item in await self._search("organizations", name, "name"):
            if _one_line(item.get("name", "")).casefold() == name.casefold():
                return int(item["id"])
        data = await self._call("POST", "/api/v1/organizations", "organization create",
                                json={"name": name})
        return int(data["id"])

    async def _person(self, lead: Mapping[str, Any], org_id: int | None) -> int | None:
        contact = lead.get("contact") or {}
        email, phone = contact.get("email"), contact.get("phone")
        if email:
            found = await self._search("persons", email, "email")
        elif phone:
            found = await self._search("persons", phone, "phone")
        else:
            found = []
        if found:
            return int(found[0]["id"])
        if not (email or phone):
            return None
        body: dict[str, Any] = {"name": _one_line(contact.get("name") or display_name(lead))}
        if email:
            body["email"] = [{"value": email, "primary": True, "label": "work"}]
        if phone:
            body["phone"] = [{"value": phone, "primary": True, "label": "mobile"}]
        if org_id is not None:
            body["org_id"] = org_id
        data = await self._call("POST", "/api/v1/persons", "person create", json=body)
        return int(data["id"])

    async def _recent_leads(self, reference: str, since: datetime) -> list[Mapping[str, Any]]:
        """Leads added since `since` (newest first, a consistent read, page by page) with the
        reference in their title: what an earlier attempt made, even when the search index
        has not caught up with it yet."""
        found: list[Mapping[str, Any]] = []
        start = 0
        for _page in range(MAX_PAGES):
            response = await request(
                self._client, "GET", self._base + "/api/v1/leads", "pipedrive lead list",
                headers=self._headers,
                params={"sort": "add_time DESC", "limit": PAGE, "start": start})
            check(response, "pipedrive lead list")
            body = response.json()
            page = body.get("data") or []
            for item in page:
                if reference in str(item.get("title", "")):
                    found.append({"id": item["id"], "person_id": item.get("person_id")})
            older = any(_added(item) < since for item in page)
            more = ((body.get("additional_data") or {}).get("pagination") or {}) \
                .get("more_items_in_collection")
            if older or not more or not page:
                break
            start += len(page)
        return found

    async def _leads(self, reference: str, since: datetime | None) -> list[Mapping[str, Any]]:
        """Leads with the reference in their title: from the search index, and (given when
        the lead was made) from the list of leads added since."""
        found: dict[str, Mapping[str, Any]] = {}
        if since is not None:
            for item in await self._recent_leads(reference, since - CLOCK_SKEW):
                found[str(item["id"])] = item
        for item in await self._search("leads", reference, "title", exact=False):
            if reference in str(item.get("title", "")):
                person = item.get("person") or {}
                found.setdefault(str(item["id"]), {"id": item["id"],
                                                   "person_id": person.get("id")})
        return list(found.values())

    async def _note(self, lead_id: str, lead: Mapping[str, Any], event_type: str) -> None:
        notes = await self._call("GET", "/api/v1/notes", "note list",
                                 params={"lead_id": lead_id}) or ()
        mark = html.escape(NOTE_MARK + str(lead["reference"]))
        if any(mark in str(n.get("content", "")) for n in notes):
            return
        await self._call("POST", "/api/v1/notes", "note create",
                         json={"content": note_html(lead, event_type), "lead_id": lead_id})

    async def _upsert(self, event: Event) -> None:
        lead = event.lead
        reference = event.reference
        existing = await self._leads(reference, event.timestamp)
        if existing:
            lead_id = str(existing[0]["id"])
        else:
            org_id = await self._organization(lead)
            person_id = await self._person(lead, org_id)
            if person_id is None and org_id is None:
                raise Failed("pipedrive: a lead needs a person or an organisation, and this "
                             "lead has neither a company name nor a way to reach the person")
            body: dict[str, Any] = {"title": f"{reference} {display_name(lead)}"}
            if person_id is not None:
                body["person_id"] = person_id
            if org_id is not None:
                body["organization_id"] = org_id
            value = _value(lead)
            if value is not None:
                body["value"] = value
            data = await self._call("POST", "/api/v1/leads", "lead create", json=body)
            lead_id = str(data["id"])
            log.info("pipedrive lead created", extra={"reference": reference})
        await self._note(lead_id, lead, event.type)

    async def _erase(self, reference: str) -> None:
        leads = await self._leads(reference, None)
        for lead in leads:
            await self._call("DELETE", f"/api/v1/leads/{lead['id']}", "lead delete",
                             ok=frozenset({404, 410}))
            if lead.get("person_id"):
                await self._call("DELETE", f"/api/v1/persons/{lead['person_id']}",
                                 "person delete", ok=frozenset({404, 410}))
        log.info("pipedrive: erased", extra={"reference": reference, "leads": len(leads)})

    async def deliver(self, event: Event) -> None:
        if event.type == "lead.erased":
            await self._erase(event.reference)
        elif event.type in ("lead.created", "lead.callback_requested"):
            await self._upsert(event)
