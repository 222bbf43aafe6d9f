"""The HubSpot target against a stand-in HubSpot on loopback that checks the documented paths,
request shapes and the Bearer token, and keeps its records, so a retried delivery is seen to
make no second deal."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.handoff import Event, Failed, HubSpotTarget, Retry
from bot.handoff.hubspot import DEAL_PROPERTIES
from tests.handoff.support import lead_json, serve

TOKEN = "pat-eu1-00000000-test-token"
TYPES = {"contacts", "companies", "deals"}
# What the HubSpot-defined default association ids connect (from-type, to-type).
ASSOCIATION_TYPES = {3: ("deals", "contacts"), 341: ("deals", "companies"),
                     280: ("companies", "contacts")}
CUSTOM = {"deals": set(DEAL_PROPERTIES), "companies": {"intake_kvk"}, "contacts": set()}
STANDARD = {"contacts": {"email", "firstname", "lastname", "phone", "company"},
            "companies": {"name", "domain"},
            "deals": {"dealname", "pipeline", "dealstage", "amount", "description"}}


def _error(status: int, category: str, message: str = "") -> JSONResponse:
    return JSONResponse({"status": "error", "category": category, "message": message},
                        status_code=status)


@dataclass
class HubSpot:
    records: dict[str, dict[str, dict[str, str]]] = field(
        default_factory=lambda: {t: {} for t in TYPES})
    associations: set[tuple[str, str, str, str]] = field(default_factory=set)
    gdpr_deleted: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    faults: dict[str, list[str]] = field(default_factory=dict)  # route -> plan
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    release: asyncio.Event = field(default_factory=asyncio.Event)

    # --- helpers -------------------------------------------------------------------------

    def _auth(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found")
        return None

    def _properties_ok(self, kind: str, props: Any) -> Response | None:
        if not isinstance(props, dict) or not all(isinstance(v, str) for v in props.values()):
            return _error(400, "VALIDATION_ERROR", "properties must map names to strings")
        unknown = set(props) - STANDARD[kind] - CUSTOM[kind]
        if unknown:
            return _error(400, "VALIDATION_ERROR", "PROPERTY_DOESNT_EXIST")
        return None

    def _link(self, from_type: str, from_id: str, to_type: str, to_id: str) -> Response | None:
        if to_id not in self.records[to_type] or from_id not in self.records[from_type]:
            return _error(404, "OBJECT_NOT_FOUND")
        self.associations.add((from_type, from_id, to_type, to_id))
        self.associations.add((to_type, to_id, from_type, from_id))
        return None

    def _new(self, kind: str, props: dict[str, str]) -> str:
        new_id = str(next(self.ids))
        self.records[kind][new_id] = dict(props)
        return new_id

    def _find(self, kind: str, prop: str, value: str) -> str | None:
        return next((i for i, p in self.records[kind].items() if p.get(prop) == value), None)

    def _next_fault(self, name: str) -> str | None:
        plan = self.faults.get(name) or []
        return plan.pop(0) if plan else None

    # --- endpoints -----------------------------------------------------------------------

    async def endpoint(self, name: str, request: Request) -> Response:
        denied = self._auth(request)
        if denied:
            return denied
        self.calls.append(f"{request.method} {request.url.path}")
        fault = self._next_fault(name)
        if fault == "503":
            return _error(503, "SERVICE_UNAVAILABLE")
        if fault == "429":
            return JSONResponse({"status": "error", "category": "RATE_LIMITS"},
                                status_code=429, headers={"Retry-After": "2"})
        response: Response = await getattr(self, name)(request)
        if fault == "lost-after":  # done here, but the reply never arrives
            await self.release.wait()
        if fault == "502-after":  # done here, but the proxy in front answers 502
            return _error(502, "BAD_GATEWAY")
        return response

    async def upsert(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind != "contacts":
            return _error(400, "VALIDATION_ERROR")
        body = await request.json()
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not 1 <= len(inputs) <= 100:
            return _error(400, "VALIDATION_ERROR", "inputs")
        results = []
        for item in inputs:
            if item.get("idProperty") != "email" or not isinstance(item.get("id"), str):
                return _error(400, "VALIDATION_ERROR", "idProperty must be a unique property")
            bad = self._properties_ok(kind, item.get("properties", {}))
            if bad:
                return bad
            found = self._find(kind, "email", item["id"])
            if found:
                self.records[kind][found].update(item["properties"])
            else:
                found = self._new(kind, {"email": item["id"], **item["properties"]})
            results.append({"id": found, "new": found is None, "properties": {}})
        return JSONResponse({"status": "COMPLETE", "results": results})

    async def search(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        body = await request.json()
        try:
            (group,) = body["filterGroups"]
            (flt,) = group["filters"]
            assert flt["operator"] == "EQ" and isinstance(flt["value"], str)
            prop = flt["propertyName"]
        except (KeyError, ValueError, TypeError, AssertionError):
            return _error(400, "VALIDATION_ERROR", "filterGroups")
        if prop not in STANDARD[kind] | CUSTOM[kind]:
            return _error(400, "VALIDATION_ERROR", "PROPERTY_DOESNT_EXIST")
        hits = [{"id": i, "properties": {prop: p.get(prop)}}
                for i, p in self.records[kind].items() if p.get(prop) == flt["value"]]
        return JSONResponse({"total": len(hits), "results": hits[: body.get("limit", 10)]})

    async def create(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        body = await request.json()
        props = body.get("properties")
        bad = self._properties_ok(kind, props)
        if bad:
            return bad
        if kind == "deals":
            for required in ("dealname", "dealstage"):
                if not props.get(required):
                    return _error(400, "VALIDATION_ERROR", f"{required} is required")
            if self._find("deals", "intake_reference", props.get("intake_reference", "")):
                return _error(409, "CONFLICT", "unique property value already exists")
        links = body.get("associations") or []
        for link in links:
            (kind_spec,) = link["types"]
            if kind_spec["associationCategory"] != "HUBSPOT_DEFINED":
                return _error(400, "VALIDATION_ERROR", "associationCategory")
            pair = ASSOCIATION_TYPES.get(kind_spec["associationTypeId"])
            if pair is None or pair[0] != kind or link["to"]["id"] not in self.records[pair[1]]:
                return _error(400, "VALIDATION_ERROR", "association")
        new_id = self._new(kind, props)
        for link in links:
            to_type = ASSOCIATION_TYPES[link["types"][0]["associationTypeId"]][1]
            self._link(kind, new_id, to_type, link["to"]["id"])
        return JSONResponse({"id": new_id, "properties": props}, status_code=201)

    async def read(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        key = request.path_params["id"]
        prop = request.query_params.get("idProperty")
        if prop is not None and prop not in {"intake_reference"} | {"email"}:
            return _error(400, "VALIDATION_ERROR", "idProperty must be unique")
        found = self._find(kind, prop, key) if prop else (key if key in self.records[kind]
                                                          else None)
        if found is None:
            return _error(404, "OBJECT_NOT_FOUND", "Object not found")
        wanted = [w for w in request.query_params.get("associations", "").split(",") if w]
        associations = {
            w: {"results": [{"id": t_id, "type": f"{kind[:-1]}_to_{w[:-1]}"}
                            for (f, f_id, t, t_id) in sorted(self.associations)
                            if f == kind and f_id == found and t == w]}
            for w in wanted}
        return JSONResponse({"id": found, "properties": self.records[kind][found],
                             "associations": {k: v for k, v in associations.items()
                                              if v["results"]}})

    async def delete(self, request: Request) -> Response:
        kind, key = request.path_params["kind"], request.path_params["id"]
        if self.records[kind].pop(key, None) is None:
            return _error(404, "OBJECT_NOT_FOUND")
        self.associations = {a for a in self.associations if (a[0], a[1]) != (kind, key)
                             and (a[2], a[3]) != (kind, key)}
        return Response(status_code=204)

    async def gdpr(self, request: Request) -> Response:
        body = await request.json()
        object_id = body.get("objectId")
        if not isinstance(object_id, str) or set(body) - {"objectId", "idProperty"}:
            return _error(400, "VALIDATION_ERROR")
        if object_id not in self.records["contacts"]:
            return _error(404, "OBJECT_NOT_FOUND")
        self.gdpr_deleted.append(object_id)
        request.path_params["kind"], request.path_params["id"] = "contacts", object_id
        return await self.delete(request)

    async def associate(self, request: Request) -> Response:
        p = request.path_params
        missing = self._link(p["kind"], p["id"], p["to_kind"], p["to_id"])
        if missing:
            return missing
        return JSONResponse({"status": "COMPLETE", "results": []})

    def app(self) -> Starlette:
        def route(path: str, name: str, method: str) -> Route:
            async def endpoint(request: Request) -> Response:
                return await self.endpoint(name, request)

            return Route(path, endpoint, methods=[method], name=name)

        return Starlette(routes=[
            route("/crm/v3/objects/contacts/gdpr-delete", "gdpr", "POST"),
            route("/crm/v3/objects/{kind}/batch/upsert", "upsert", "POST"),
            route("/crm/v3/objects/{kind}/search", "search", "POST"),
            route("/crm/v3/objects/{kind}", "create", "POST"),
            route("/crm/v3/objects/{kind}/{id}", "read", "GET"),
            route("/crm/v3/objects/{kind}/{id}", "delete", "DELETE"),
            route("/crm/v4/objects/{kind}/{id}/associations/default/{to_kind}/{to_id}",
                  "associate", "PUT"),
        ])


@pytest.fixture
async def hubspot() -> AsyncIterator[tuple[HubSpot, HubSpotTarget]]:
    stand_in = HubSpot()
    async with serve(stand_in.app()) as base, \
            httpx.AsyncClient(timeout=httpx.Timeout(0.5)) as client:
        try:
            yield stand_in, HubSpotTarget(TOKEN, client, base_url=base)
        finally:
            stand_in.release.set()


def _deals(stand_in: HubSpot) -> list[dict[str, str]]:
    return list(stand_in.records["deals"].values())


async def test_a_lead_becomes_contact_company_and_deal(
        hubspot: tuple[HubSpot, HubSpotTarget]) -> None:
    stand_in, target = hubspot
    lead = lead_json(callback_window={"start": "2026-11-24T09:00:00+01:00",
                                      "end": "2026-11-24T12:00:00+01:00"})
    await target.deliver(Event.for_lead(lead, target=target.name))

    (contact_id, contact), = stand_in.records["contacts"].items()
    assert contact == {"email": "jan@devries-bouw.nl", "firstname": "Jan",
                       "lastname": "de Vries", "phone": "+31612345678",
                       "company": "De Vries Bouw B.V."}
    (company_id, company), = stand_in.records["companies"].items()
    assert company == {"name": "De Vries Bouw B.V.", "intake_kvk": "12345678"}
    (deal_id, deal), = stand_in.records["deals"].items()
    quote = lead["quote"]
    low = str(quote["credit"]["premium_low_eur"] + quote["bi"]["premium_low_eur"])
    high = str(quote["credit"]["premium_high_eur"] + quote["bi"]["premium_high_eur"])
    assert deal == {
        "dealname": "De Vries Bouw B.V. (IK-2026-000123)", "pipeline": "default",
        "dealstage": "appointmentscheduled", "intake_reference": "IK-2026-000123",
        "intake_products": "credit;bi", "intake_urgency": "normal",
        "amount": low, "intake_premium_low": low, "intake_premium_high": high,
        "intake_callback_start": "2026-11-24T09:00:00+01:00",
        "intake_callback_end": "2026-11-24T12:00:00+01:00",
        "intake_callback_preference": "dinsdagochtend"}
    assert ("deals", deal_id, "contacts", contact_id) in stand_in.associations
    assert ("deals", deal_id, "companies", company_id) in stand_in.associations
    assert ("companies", company_id, "contacts", contact_id) in stand_in.associations


async def test_a_retry_after_a_lost_reply_makes_no_second_deal(
        hubspot: tuple[HubSpot, HubSpotTarget]) -> None:
    stand_in, target = hubspot
    event = Event.for_lead(lead_json(), target=target.name)
    stand_in.faults = {"upsert": ["503"]}
    with pytest.raises(Retry, match="HTTP 503"):
        await target.deliver(event)
    stand_in.faults = {"create": [None, "502-after"]}  # company made; deal made, then 502
    with pytest.raises(Retry, match="HTTP 502"):
        await target.deliver(event)
    assert len(_deals(stand_in)) == 1
    # Another lead of the same company (found by its KvK number): the deal is made, but the
    # reply never comes.
    stand_in.faults = {"create": ["lost-after"]}
    other = Event.for_lead(lead_json(reference="IK-2026-000124"), target=target.name)
    with pytest.raises(Retry, match="ReadTimeout"):
        await target.deliver(other)
    stand_in.faults = {"read": ["429"]}
    with pytest.raises(Retry, match="HTTP 429") as limited:
        await target.deliver(event)
    assert limited.value.after == 2
    for _ in range(2):
        await target.deliver(event)
        await target.deliver(other)
    references = sorted(d["intake_reference"] for d in _deals(stand_in))
    assert references == ["IK-2026-000123", "IK-2026-000124"]
    assert len(stand_in.records["contacts"]) == 1  # the same e-mail: one contact
    assert len(stand_in.records["companies"]) == 1


async def test_erasure_deletes_the_contact_and_the_deal(
        hubspot: tuple[HubSpot, HubSpotTarget]) -> None:
    stand_in, target = hubspot
    await target.deliver(Event.for_lead(lead_json(), target=target.name))
    (contact_id,) = stand_in.records["contacts"]
    erased = Event.erased("IK-2026-000123", target=target.name,
                          at=datetime(2026, 11, 30, tzinfo=UTC))
    await target.deliver(erased)
    await target.deliver(erased)  # again: nothing left, still fine
    assert stand_in.gdpr_deleted == [contact_id]
    assert stand_in.records["contacts"] == {} and stand_in.records["deals"] == {}
    assert len(stand_in.records["companies"]) == 1  # the business record stays


async def test_a_call_back_without_email_is_found_by_phone(
        hubspot: tuple[HubSpot, HubSpotTarget]) -> None:
    stand_in, target = hubspot
    lead = lead_json(intent="callback", email=None)
    event = Event.for_lead(lead, target=target.name)
    await target.deliver(event)
    await target.deliver(event)
    assert len(stand_in.records["contacts"]) == 1
    (deal,) = _deals(stand_in)
    assert deal["intake_urgency"] == "urgent"


async def test_a_refused_token_or_a_missing_property_is_permanent(
        hubspot: tuple[HubSpot, HubSpotTarget]) -> None:
    stand_in, target = hubspot
    event = Event.for_lead(lead_json(), target=target.name)
    wrong = HubSpotTarget("pat-wrong", target._client, base_url=target._base)
    with pytest.raises(Failed, match="HTTP 401 \\(INVALID_AUTHENTICATION"):
        await wrong.deliver(event)
    CUSTOM["deals"].discard("intake_urgency")
    try:
        with pytest.raises(Failed, match="HTTP 400 \\(VALIDATION_ERROR PROPERTY_DOESNT_EXIST"):
            await target.deliver(event)
    finally:
        CUSTOM["deals"].add("intake_urgency")
    assert _deals(stand_in) == []
