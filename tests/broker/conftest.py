"""The broker inbox in-process (httpx over ASGI) on a fresh database, with a user and leads
made the way prospects make them (the web chat API)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bot.http import build_app
from bot.inbox import Inbox
from bot.inbox.users import add_user
from bot.outbox import Route
from bot.store import Store
from tests.support.webapp import ROUTE, WebApp, asgi_client, web_app

EMAIL = "anna@vandijk.example"
PASSWORD = "correct horse battery staple"
SECRET = b"s" * 32
# The configured hand-off targets the inbox passes claims and erasures on to.
ROUTES = (Route("webhook", frozenset({"lead.created", "lead.callback_requested",
                                      "lead.claimed", "lead.erased"})),)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REFERENCE = re.compile(r"IK-\d{4}-\d{6}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives the widget in headless Chromium (Playwright, /usr/bin/chromium)"
    )


@dataclass
class Broker:
    """An inbox app with one user; `client` is a browser without a session until login()."""

    app: Starlette
    web: WebApp
    inbox: Inbox
    client: httpx.AsyncClient

    @property
    def store(self) -> Store:
        return self.web.store

    async def login(self, email: str = EMAIL, password: str = PASSWORD) -> httpx.Response:
        page = await self.client.get("/broker/login")
        token = csrf_of(page.text)
        return await self.client.post("/broker/login", data={
            "email": email, "password": password, "csrf_token": token, "next": "/broker"})

    async def csrf(self, path: str = "/broker") -> str:
        return csrf_of((await self.client.get(path)).text)

    async def lead(self, answers: list[str] | None = None) -> str:
        """A web conversation through to its lead; its reference."""
        return await complete(self.client, answers or ROUTE)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html[:2000]
    return found[1]


async def complete(client: httpx.AsyncClient, answers: list[str]) -> str:
    opened = await client.post("/api/v1/chat/sessions", json={})
    token = opened.json()["token"]
    turn: dict[str, Any] = {}
    for i, text in enumerate(answers):
        response = await client.post(f"/api/v1/chat/sessions/{token}/messages",
                                     json={"text": text, "client_message_id": f"m{i}"})
        assert response.status_code == 200, response.text
        turn = response.json()
    assert turn["done"] and turn["lead"], turn
    return str(turn["lead"]["reference"])


def with_company(name: str) -> list[str]:
    """ROUTE with another company name."""
    answers = list(ROUTE)
    answers[answers.index("Vries BV")] = name
    return answers


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'inbox.sqlite3'}"


@pytest.fixture
def web(db_path: str) -> Iterator[WebApp]:
    with web_app(db_path) as app:
        yield app


def make_broker(web: WebApp, **options: Any) -> Inbox:
    """The inbox on the web app's store, one user, and the runtime queueing hand-offs for the
    targets in ROUTES (nothing delivers them here: they stay pending)."""
    web.web.runtime.runtime.routes = ROUTES
    inbox = Inbox(web.store, secret=SECRET, handoff_routes=ROUTES, broker_name="Van Dijk",
                  brand_color="#0b6e4f", **options)
    add_user(web.store.engine, EMAIL, PASSWORD, now=datetime.now(UTC))
    return inbox


@pytest.fixture
async def broker(web: WebApp) -> AsyncIterator[Broker]:
    inbox = make_broker(web)
    app = build_app(store=web.store, web=web.web, inbox=inbox)
    async with asgi_client(app) as client:
        yield Broker(app, web, inbox, client)
