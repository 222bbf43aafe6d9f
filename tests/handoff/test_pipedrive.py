"""The Pipedrive target against a stand-in Pipedrive on loopback that checks the documented
v1 paths, request shapes and the x-api-token header, and keeps its records."""

from __future__ import annotations

import asyncio
import itertools
import uuid
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

from bot.handoff import Event, Failed, PipedriveTarget, Retry
from tests.handoff.support import lead_json, serve

TOKEN = "0123456789abcdef0123456789abcdef01234567"


def _fail(status: int, error: str) -> JSONResponse:
    return JSONResponse({"success": False, "error": error}, status_code=status)


def _ok(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse({"success": True, "data": data}, status_code=status)


@dataclass
class Pipedrive:
    organizations: dict[int, dict[str, Any]] = field(default_factory=dict)
    persons: dict[int, dict[str, Any]] = field(default_factory=dict)
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted_persons: list[int] = field(default_factory=list)
    faults: dict[str, list[str | None]] = field(default_factory=dict)
    indexed: bool = True  # False: the search index lags (finds nothing new)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def endpoint(self, name: str, request: Request) -> Response:
        if request.headers.get("x-api-token") != TOKEN or "api_token" in request.query_params:
            return _fail(401, "unauthorized access")
        plan = self.faults.get(name) or []
        fault = plan.pop(0) if plan else None
        if fault == "500":
            return _fail(500, "internal error")
        if request.method in ("POST", "PATCH") and \
                request.headers.get("content-type") != "application/json":
            return _fail(415, "application/json required")
        response: Response = await getattr(self, name)(request)
        if fault == "lost-after":
            await self.release.wait()
        return response

    def _search(self, request: Request, records: dict[Any, dict[str, Any]],
                values: Any) -> Response:
        term = request.query_params.get("term", "")
        exact = request.query_params.get("exact_match") == "true"
        if len(term) < (1 if exact else 2):
            return _fail(400, "term too short")
        items = []
        for record in records.values() if self.indexed else ():
            candidates = [str(v) for v in values(record)]
            hit = any(c.casefold() == term.casefold() if exact else term.casefold() in
                      c.casefold() for c in candidates)
            if hit:
                items.append({"result_score": 1, "item": record})
        return _ok({"items": items})

    async def search_organizations(self, request: Request) -> Response:
        assert request.query_params["fields"] == "name"
        return self._search(request, self.organizations, lambda r: [r["name"]])

    async def search_persons(self, request: Request) -> Response:
        field_name = request.query_params["fields"]
        assert field_name in ("email", "phone")
        return self._search(request, self.persons,
                            lambda r: [e["value"] for e in r.get(f"{field_name}s") or ()])

    async def search_leads(self, request: Request) -> Response:
        assert request.query_params["fields"] == "title"
        return self._search(request, {k: {"id": v["id"], "title": v["title"],
                                          "person": {"id": v.get("person_id")}}
                                      for k, v in self.leads.items()}, lambda r: [r["title"]])

    async def add_organization(self, request: Request) -> Response:
        body = await request.json()
        if not isinstance(body.get("name"), str) or not body["name"]:
            return _fail(400, "name is required")
        org_id = next(self.ids)
        self.organizations[org_id] = {"id": org_id, "name": body["name"]}
        return _ok(self.organizations[org_id], 201)

    async def add_person(self, request: Request) -> Response:
        body = await request.json()
        if not body.get("name"):
            return _fail(400, "name is required")
        for key in ("email", "phone"):
            for entry in body.get(key) or ():
                if set(entry) - {"value", "primary", "label"} or "value" not in entry:
                    return _fail(400, f"{key} must be objects with value, primary, label")
        if body.get("org_id") is not None and body["org_id"] not in self.organizations:
            return _fail(400, "organization not found")
        person_id = next(self.ids)
        self.persons[person_id] = {"id": person_id, "name": body["name"],
                                   "emails": body.get("email") or [],
                                   "phones": body.get("phone") or [],
                                   "org_id": body.get("org_id")}
        return _ok(self.persons[person_id], 201)

    async def add_lead(self, request: Request) -> Response:
        body = await request.json()
        if not isinstance(body.get("title"), str):
            return _fail(400, "title is required")
        person_id, org_id = body.get("person_id"), body.get("organization_id")
        if person_id is None and org_id is None:
            return _fail(400, "a lead needs a person or an organization")
        if (person_id is not None and person_id not in self.persons) or \
                (org_id is not None and org_id not in self.organizations):
            return _fail(400, "person or organization not found")
        value = body.get("value")
        if value is not None and (set(value) != {"amount", "currency"}
                                  or not isinstance(value["amount"], int | float)):
            return _fail(400, "value must be {amount, currency}")
        lead_id = str(uuid.uuid4())
        self.leads[lead_id] = {"id": lead_id, "title": body["title"], "person_id": person_id,
                               "organization_id": org_id, "value": value,
                               "add_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        return _ok(self.leads[lead_id], 201)

    async def list_leads(self, request: Request) -> Response:
        if request.query_params.get("sort") != "add_time DESC":
            return _fail(400, "this stand-in only lists newest first")
        start = int(request.query_params.get("start", 0))
        limit = int(request.query_params.get("limit", 100))
        if not 1 <= limit <= 500:
            return _fail(400, "limit")
        ordered = sorted(self.leads.values(), key=lambda lead: lead["add_time"], reverse=True)
        page = ordered[start:start + limit]
        more = start + limit < len(ordered)
        return JSONResponse({"success": True, "data": page or None, "additional_data": {
            "pagination": {"start": start, "limit": limit, "more_items_in_collection": more}}})

    async def delete_lead(self, request: Request) -> Response:
        if self.leads.pop(request.path_params["id"], None) is None:
            return _fail(404, "lead not found")
        return _ok({"id": request.path_params["id"]})

    async def delete_person(self, request: Request) -> Response:
        person_id = int(request.path_params["id"])
        if self.persons.pop(person_id, None) is None:
            return _fail(404, "person not found")
        self.deleted_persons.append(person_id)
        return _ok({"id": person_id})

    async def list_notes(self, request: Request) -> Response:
        lead_id = request.query_params["lead_id"]
        return _ok([n for n in self.notes.values() if n["lead_id"] == lead_id] or None)

    async def add_note(self, request: Request) -> Response:
        body = await request.json()
        if not body.get("content") or body.get("lead_id") not in self.leads:
            return _fail(400, "content and an existing lead_id are required")
        note_id = next(self.ids)
        self.notes[note_id] = {"id": note_id, **body}
        return _ok(self.notes[note_id], 201)

    def app(self) -> Starlette:
        def route(path: str, name: str, method: str) -> Route:
            async def endpoint(request: Request) -> Response:
                return await self.endpoint(name, request)

            return Route(path, endpoint, methods=[method])

        return Starlette(routes=[
            route("/api/v1/organizations/search", "search_organizations", "GET"),
            route("/api/v1/persons/search", "search_persons", "GET"),
            route("/api/v1/leads/search", "search_leads", "GET"),
            route("/api/v1/organizations", "add_organization", "POST"),
            route("/api/v1/persons", "add_person", "POST"),
            route("/api/v1/leads", "add_lead", "POST"),
            route("/api/v1/leads", "list_leads", "GET"),
            route("/api/v1/leads/{id}", "delete_lead", "DELETE"),
            route("/api/v1/persons/{id}", "delete_person", "DELETE"),
            route("/api/v1/notes", "list_notes", "GET"),
            route("/api/v1/notes", "add_note", "POST"),
        ])


@pytest.fixture
async def pipedrive() -> AsyncIterator[tuple[Pipedrive, PipedriveTarget]]:
    stand_in = Pipedrive()
    async with serve(stand_in.app()) as base, \
            httpx.AsyncClient(timeout=httpx.Timeout(0.5)) as client:
        try:
            yield stand_in, PipedriveTarget(TOKEN, client, base_url=base)
        finally:
            stand_in.release.set()


async def test_a_lead_becomes_organization_person_lead_and_note(
        pipedrive: tuple[Pipedrive, PipedriveTarget]) -> None:
    stand_in, target = pipedrive
    lead = lead_json(company="<b>Bouw</b> & Zn.", callback_window={
        "start": "2026-11-24T09:00:00+01:00", "end": "2026-11-24T12:00:00+01:00"})
    await target.deliver(Event.for_lead(lead, target=target.name))
    (org,) = stand_in.organizations.values()
    (person,) = stand_in.persons.values()
    (created,) = stand_in.leads.values()
    (note,) = stand_in.notes.values()
    assert org["name"] == "<b>Bouw</b> & Zn."
    assert person == {"id": person["id"], "name": "Jan de Vries", "org_id": org["id"],
                      "emails": [{"value": "jan@devries-bouw.nl", "primary": True,
                                  "label": "work"}],
                      "phones": [{"value": "+31612345678", "primary": True,
                                  "label": "mobile"}]}
    quote = lead["quote"]
    assert created["title"] == "IK-2026-000123 <b>Bouw</b> & Zn."
    assert created["person_id"] == person["id"] and created["organization_id"] == org["id"]
    assert created["value"] == {
        "amount": quote["credit"]["premium_low_eur"] + quote["bi"]["premium_low_eur"],
        "currency": "EUR"}
    content = note["content"].replace("\xa0", " ")
    assert note["lead_id"] == created["id"]
    assert "intake:IK-2026-000123" in content
    assert "Terugbelmoment: dinsdag 24 november 2026, 09:00–12:00" in content
    assert "Kredietverzekering" in content and "Premie per jaar" in content
    assert "<b>Bouw</b>" not in content  # nothing of the lead is markup


async def test_retries_make_no_second_lead(
        pipedrive: tuple[Pipedrive, PipedriveTarget]) -> None:
    stand_in, target = pipedrive
    event = Event.for_lead(lead_json(), target=target.name)
    stand_in.faults = {"add_lead": ["lost-after"]}  # made, but the reply never comes
    with pytest.raises(Retry, match="ReadTimeout"):
        await target.deliver(event)
    stand_in.indexed = False  # the search index has not caught up: the person's list has
    stand_in.faults = {"list_notes": ["500"]}
    with pytest.raises(Retry, match="HTTP 500"):
        await target.deliver(event)
    stand_in.indexed = True
    await target.deliver(event)
    await target.deliver(event)
    assert len(stand_in.leads) == 1 and len(stand_in.notes) == 1
    assert len(stand_in.persons) == 1 and len(stand_in.organizations) == 1


async def test_erasure_deletes_the_lead_and_the_person(
        pipedrive: tuple[Pipedrive, PipedriveTarget]) -> None:
    stand_in, target = pipedrive
    await target.deliver(Event.for_lead(lead_json(), target=target.name))
    (person_id,) = stand_in.persons
    erased = Event.erased("IK-2026-000123", target=target.name,
                          at=datetime(2026, 11, 30, tzinfo=UTC))
    await target.deliver(erased)
    await target.deliver(erased)
    assert stand_in.leads == {} and stand_in.persons == {}
    assert stand_in.deleted_persons == [person_id]


async def test_a_wrong_token_is_permanent(
        pipedrive: tuple[Pipedrive, PipedriveTarget]) -> None:
    stand_in, target = pipedrive
    wrong = PipedriveTarget("nope", target._client, base_url=target._base)
    with pytest.raises(Failed, match=r"HTTP 401 \(unauthorized access\)"):
        await wrong.deliver(Event.for_lead(lead_json(), target=target.name))
    assert stand_in.leads == {}


async def test_an_earlier_attempts_lead_is_found_behind_newer_ones(
        pipedrive: tuple[Pipedrive, PipedriveTarget]) -> None:
    """The index lags and 250 leads came in after ours: the newest-first list finds it."""
    stand_in, target = pipedrive
    event = Event.for_lead(lead_json(), target=target.name)
    stand_in.faults = {"add_note": ["500"]}
    with pytest.raises(Retry):
        await target.deliver(event)
    (ours,) = stand_in.leads
    for n in range(250):
        lead_id = str(uuid.uuid4())
        stand_in.leads[lead_id] = {"id": lead_id, "title": f"IK-2026-{n + 500:06d} Other",
                                   "person_id": None, "organization_id": 1, "value": None,
                                   "add_time": f"2099-01-01T00:00:{n % 60:02d}.{n:06d}Z"}
    stand_in.indexed = False
    await target.deliver(event)
    assert len(stand_in.leads) == 251 and len(stand_in.notes) == 1
    assert next(iter(stand_in.notes.values()))["lead_id"] == ours
