"""HubSpot (CRM API v3, private app token): a contact, a company and a deal associated with both.

Per lead:

1. Contact, upserted by e-mail (`POST /crm/v3/objects/contacts/batch/upsert`, idProperty
   `email`); a call-back lead without e-mail is found by phone (search) or created.
2. Company, found by KvK number (`intake_kvk`) or name (search), else created with the
   HubSpot-defined company-to-contact association.
3. Deal, read by its unique `intake_reference` (`GET /crm/v3/objects/deals/<reference>
   ?idProperty=intake_reference`, a consistent read, unlike search) and created only when
   absent (`POST /crm/v3/objects/deals` with its `associations`: deal-to-contact 3,
   deal-to-company 341); a 409 for the unique reference means an earlier attempt made it.
   An existing deal is never overwritten (the broker may have moved it on); missing
   associations are added (`PUT /crm/v4/objects/deals/<id>/associations/default/...`).

`lead.erased`: the deal is read by reference; its contacts are deleted the GDPR way
(`POST /crm/v3/objects/contacts/gdpr-delete`) and the deal is deleted. The company stays: a
business record, possibly with other deals.

The custom properties must exist in the portal (docs/handoff.md lists them); HubSpot refuses
unknown properties with a 400, which is `Failed` naming the category.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote as urlquote

import httpx

from bot.handoff._http import check, request
from bot.handoff.base import Failed
from bot.handoff.events import Event, EventType
from bot.handoff.summary import callback_window, display_name, is_urgent

__all__ = ["DEAL_PROPERTIES", "HubSpotTarget"]

log = logging.getLogger("intake.handoff.hubspot")

DEFAULT_BASE_URL = "https://api.hubapi.com"
# HubSpot-defined association type ids (associations v4, "default" types).
DEAL_TO_CONTACT = 3
DEAL_TO_COMPANY = 341
COMPANY_TO_CONTACT = 280
# Custom properties the portal needs (docs/handoff.md): on deals, and the KvK on companies.
DEAL_PROPERTIES = (
    "intake_reference", "intake_products", "intake_premium_low", "intake_premium_high",
    "intake_urgency", "intake_callback_start", "intake_callback_end",
    "intake_callback_preference",
)
COMPANY_KVK = "intake_kvk"


def _split_name(name: str) -> tuple[str, str]:
    first, _, rest = " ".join(name.split()).partition(" ")
    return first, rest


def _premiums(lead: Mapping[str, Any]) -> tuple[Decimal, Decimal] | None:
    quote = lead.get("quote")
    if not isinstance(quote, Mapping):
        return None
    parts = [quote[k] for k in ("credit", "bi") if isinstance(quote.get(k), Mapping)]
    if not parts:
        return None
    return (sum((Decimal(str(p["premium_low_eur"])) for p in parts), Decimal(0)),
            sum((Decimal(str(p["premium_high_eur"])) for p in parts), Decimal(0)))


def deal_properties(lead: Mapping[str, Any], event_type: str, *, pipeline: str,
                    stage: str) -> dict[str, str]:
    """The deal's properties: HubSpot's own and the lead's facts in `intake_*`."""
    reference = str(lead["reference"])
    contact = lead.get("contact") or {}
    props = {
        "dealname": f"{display_name(lead)} ({reference})",
        "pipeline": pipeline,
        "dealstage": stage,
        "intake_reference": reference,
        "intake_products": ";".join(lead.get("products") or ()),
        "intake_urgency": "urgent" if is_urgent(lead, event_type) else "normal",
    }
    premiums = _premiums(lead)
    if premiums is not None:
        low, high = premiums
        props |= {"amount": str(low), "intake_premium_low": str(low),
                  "intake_premium_high": str(high)}
    window = callback_window(lead)
    if window is not None:
        props |= {"intake_callback_start": window[0].isoformat(),
                  "intake_callback_end": window[1].isoformat()}
    if contact.get("callback_preference"):
        props["intake_callback_preference"] = " ".join(str(contact["callback_preference"])
                                                       .split())
    return props


def _association(to_id: str, type_id: int) -> dict[str, Any]:
    return {"to": {"id": to_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


def _eq(prop: str, value: str) -> dict[str, Any]:
    return {"filterGroups": [{"filters": [{"propertyName": prop, "operator": "EQ",
                                           "value": value}]}],
            "properties": [prop], "limit": 1}


class HubSpotTarget:
    """Leads as HubSpot deals with their contact and company."""

    events: frozenset[EventType] = frozenset({"lead.created", "lead.callback_requested",
                                              "lead.erased"})

    def __init__(self, token: str, client: httpx.AsyncClient, *,
                 base_url: str = DEFAULT_BASE_URL, pipeline: str = "default",
                 stage: str = "appointmentscheduled", name: str = "hubspot") -> None:
        if not token:
            raise Failed("hubspot: no token configured")
        self.name = name
        self._client = client
        self._base = base_url.rstrip("/")
        self._headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
        self._pipeline = pipeline
        self._stage = stage

    async def _call(self, method: str, path: str, what: str, *,
                    ok: frozenset[int] = frozenset(), **kwargs: Any) -> httpx.Response:
        response = await request(self._client, method, self._base + path, f"hubspot {what}",
                                 headers=self._headers, **kwargs)
        check(response, f"hubspot {what}", ok=ok)
        return response

    async def _search_one(self, object_type: str, prop: str, value: str) -> str | None:
        response = await self._call("POST", f"/crm/v3/objects/{object_type}/search",
                                    f"{object_type} search", json=_eq(prop, value))
        results = response.json().get("results") or []
        return str(results[0]["id"]) if results else None

    # --- the records ---------------------------------------------------------------------

    async def _contact(self, lead: Mapping[str, Any]) -> str | None:
        contact = lead.get("contact") or {}
        first, last = _split_name(str(contact.get("name") or ""))
        props = {k: v for k, v in {
            "firstname": first, "lastname": last, "phone": contact.get("phone") or "",
            "company": (lead.get("company") or {}).get("name") or "",
        }.items() if v}
        email = contact.get("email")
        if email:
            body = {"inputs": [{"idProperty": "email", "id": email,
                                "properties": {"email": email, **props}}]}
            response = await self._call("POST", "/crm/v3/objects/contacts/batch/upsert",
                                        "contact upsert", json=body)
            data = response.json()
            if data.get("numErrors") or not data.get("results"):
                raise Failed("hubspot contact upsert: errors in the batch result")
            return str(data["results"][0]["id"])
        phone = contact.get("phone")
        if not phone:
            return None
        found = await self._search_one("contacts", "phone", phone)
        if found:
            return found
        response = await self._call("POST", "/crm/v3/objects/contacts", "contact create",
                                    json={"properties": props})
        return str(response.json()["id"])

    async def _company(self, lead: Mapping[str, Any], contact_id: str | None) -> str | None:
        company = lead.get("company") or {}
        name = " ".join(str(company.get("name") or "").split())
        if not name:
            return None
        kvk = company.get("kvk")
        found = await self._search_one("companies", COMPANY_KVK, kvk) if kvk else None
        if found is None:
            found = await self._search_one("companies", "name", name)
        if found is not None:
            return found
        props = {"name": name, **({COMPANY_KVK: kvk} if kvk else {})}
        body: dict[str, Any] = {"properties": props}
        if contact_id:
            body["associations"] = [_association(contact_id, COMPANY_TO_CONTACT)]
        response = await self._call("POST", "/crm/v3/objects/companies", "company create",
                                    json=body)
        return str(response.json()["id"])

    async def _deal(self, reference: str) -> Mapping[str, Any] | None:
        response = await self._call(
            "GET", f"/crm/v3/objects/deals/{urlquote(reference, safe='')}", "deal read",
            ok=frozenset({404}),
            params={"idProperty": "intake_reference", "associations": "contacts,companies",
                    "properties": "intake_reference"})
        return None if response.status_code == 404 else response.json()

    @staticmethod
    def _associated(deal: Mapping[str, Any], kind: str) -> set[str]:
        block = (deal.get("associations") or {}).get(kind) or {}
        return {str(r["id"]) for r in block.get("results") or ()}

    async def _associate(self, deal_id: str, kind: str, to_id: str) -> None:
        await self._call("PUT", f"/crm/v4/objects/deals/{deal_id}/associations/default/"
                                f"{kind}/{to_id}", "association")

    async def _upsert(self, event: Event) -> None:
        lead = event.lead
        reference = event.reference
        contact_id = await self._contact(lead)
        company_id = await self._company(lead, contact_id)
        deal = await self._deal(reference)
        if deal is None:
            associations = []
            if contact_id:
                associations.append(_association(contact_id, DEAL_TO_CONTACT))
            if company_id:
                associations.append(_association(company_id, DEAL_TO_COMPANY))
            body = {"properties": deal_properties(lead, event.type, pipeline=self._pipeline,
                                                  stage=self._stage),
                    "associations": associations}
            response = await self._call("POST", "/crm/v3/objects/deals", "deal create",
                                        ok=frozenset({409}), json=body)
            if response.status_code != 409:
                log.info("hubspot deal created", extra={"reference": reference})
                return
            deal = await self._deal(reference)  # an earlier attempt made it after all
            if deal is None:
                raise Failed("hubspot deal create: 409 but no deal with this reference")
        deal_id = str(deal["id"])
        if contact_id and contact_id not in self._associated(deal, "contacts"):
            await self._associate(deal_id, "contacts", contact_id)
        if company_id and company_id not in self._associated(deal, "companies"):
            await self._associate(deal_id, "companies", company_id)
        log.info("hubspot deal already there", extra={"reference": reference})

    async def _erase(self, reference: str) -> None:
        deal = await self._deal(reference)
        if deal is None:
            log.info("hubspot: nothing to erase", extra={"reference": reference})
            return
        for contact_id in sorted(self._associated(deal, "contacts")):
            await self._call("POST", "/crm/v3/objects/contacts/gdpr-delete", "contact erase",
                             ok=frozenset({404}), json={"objectId": contact_id})
        await self._call("DELETE", f"/crm/v3/objects/deals/{deal['id']}", "deal delete",
                         ok=frozenset({404}))
        log.info("hubspot: erased", extra={"reference": reference})

    async def deliver(self, event: Event) -> None:
        if event.type == "lead.erased":
            await self._erase(event.reference)
        elif event.type in ("lead.created", "lead.callback_requested"):
            await self._upsert(event)
