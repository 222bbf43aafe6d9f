"""schemathesis against the OpenAPI document of the real app: every operation with generated
requests, valid and invalid; no 5xx, and every response as the document says.

The document is loaded with `from_dict` when the module is collected (schemathesis'
`from_fixture` needs a pytest attribute that pytest 9 removed) and each case is sent to a fresh
app from a fixture; a test checks that the app serves exactly this document at /openapi.json.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bot.api import openapi
from tests.support.webapp import WebApp, asgi_client, web_app

schema = schemathesis.openapi.from_dict(openapi())


@pytest.fixture
def built(tmp_path: Path) -> Iterator[WebApp]:
    with web_app(f"sqlite:///{tmp_path / 'schemathesis.sqlite3'}",
                 rate_limit_per_session=0, rate_limit_per_address=0) as app:
        yield app


@pytest.fixture
async def client(built: WebApp) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(built.app) as c:
        yield c


@pytest.fixture
def live_token(built: WebApp) -> str:
    token, _turn = asyncio.run(built.web.open())
    return token


async def test_the_app_serves_the_document_tested_here(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200 and response.json() == openapi()


@schema.parametrize()
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case, built: WebApp,
                                              live_token: str) -> None:
    if case.path_parameters and case.meta and case.meta.generation.mode.is_positive:
        # A generated token names no session (404); a live one lets the generated messages
        # reach a real conversation.
        case.path_parameters["token"] = live_token
    excluded = []
    if case.operation.path == "/api/v1/quotes":
        # Amounts checked against each other (variable costs below turnover, ...) are beyond
        # JSON Schema: a schema-valid request may rightly get 422 there.
        excluded.append(positive_data_acceptance)
    response = case.call_and_validate(app=built.app, excluded_checks=excluded)
    assert response.status_code < 500


def test_stateful_sequences_follow_the_links(built: WebApp) -> None:
    """Sessions made by POST /api/v1/chat/sessions, then messages and reloads on them (the
    document's links), in generated sequences."""
    machine = schemathesis.openapi.from_asgi("/openapi.json", built.app).as_state_machine()
    machine.run(settings=settings(max_examples=25, stateful_step_count=8, deadline=None,
                                  suppress_health_check=list(HealthCheck)))
    conversations = built.store.count("conversations")
    assert conversations > 0
    assert built.store.count("turns") > conversations  # messages reached those sessions
