"""Protection of the web server (bot/guard.py, bot/http.py): body limit, rate limits, CORS, security
headers, and the static files' types and caching. In-process with httpx against the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.guard import Buckets, own_origin
from bot.http import STATIC
from tests.support.webapp import WebApp, asgi_client, web_app

BROKER_SITE = "https://www.vandijk.example"
MESSAGE = {"text": "beide", "client_message_id": "1"}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'web.sqlite3'}"


@pytest.fixture
def app(sqlite_url: str) -> Iterator[WebApp]:
    with web_app(sqlite_url, widget_origins=(BROKER_SITE,), max_body_bytes=4096) as built:
        yield built


@pytest.fixture
async def client(app: WebApp) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app.app) as c:
        yield c


async def new_token(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/chat/sessions")
    assert response.status_code == 201
    return str(response.json()["token"])


# --- body limit --------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_413_declared_or_streamed(
        client: httpx.AsyncClient) -> None:
    token = await new_token(client)
    url = f"/api/v1/chat/sessions/{token}/messages"
    big = b'{"client_message_id": "1", "text": "' + b"a" * 8000 + b'"}'
    response = await client.post(url, content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"a" * 1000

    response = await client.post(url, content=chunks(),
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413
    response = await client.post("/api/v1/quotes", content=big,
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"


# --- rate limits -------------------------------------------------------------------------------


async def test_a_session_over_its_limit_gets_429_with_retry_after(sqlite_url: str) -> None:
    with web_app(sqlite_url, rate_limit_per_session=5) as built:
        async with asgi_client(built.app) as client:
            token = await new_token(client)
            other = await new_token(client)
            url = f"/api/v1/chat/sessions/{token}/messages"
            statuses = [(await client.post(url, json={**MESSAGE, "client_message_id": str(i)}))
                        .status_code for i in range(5)]
            assert statuses == [200] * 5
            refused = await client.post(url, json={**MESSAGE, "client_message_id": "6"})
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) >= 1
            assert refused.json()["error"] == "rate_limited"
            assert (await client.get(f"/api/v1/chat/sessions/{token}")).status_code == 429
            # Another session is not affected, nor is the rest of the site.
            ok = await client.post(f"/api/v1/chat/sessions/{other}/messages", json=MESSAGE)
            assert ok.status_code == 200
            assert (await client.get("/healthz")).status_code == 200


async def test_an_address_over_its_limit_gets_429_and_loopback_is_exempt(
        sqlite_url: str) -> None:
    with web_app(sqlite_url, rate_limit_per_address=3) as built:
        async with asgi_client(built.app, client=("203.0.113.9", 4000)) as far, \
                asgi_client(built.app, client=("198.51.100.7", 4000)) as elsewhere, \
                asgi_client(built.app, client=("127.0.0.1", 4000)) as local:
            statuses = [(await far.get("/api/v1/widget/config")).status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            refused = await far.post("/api/v1/chat/sessions")
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
            assert (await elsewhere.get("/api/v1/widget/config")).status_code == 200
            for _ in range(10):
                assert (await local.get("/api/v1/widget/config")).status_code == 200
            # The static files and the demo page are not counted.
            assert (await far.get("/")).status_code in (200, 404)


def test_token_buckets_refill_at_the_configured_rate() -> None:
    now = [0.0]
    buckets = Buckets(60, clock=lambda: now[0])  # one a second, a burst of 60
    assert all(buckets.take("a") == 0.0 for _ in range(60))
    wait = buckets.take("a")
    assert 0.9 < wait <= 1.0
    now[0] += 1.0
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0
    assert buckets.take("b") == 0.0  # keys are independent
    now[0] += 3600.0
    buckets.take("c")  # a sweep drops the buckets that are full again
    assert len(buckets) == 1


# --- CORS --------------------------------------------------------------------------------------


async def test_cors_allows_listed_origins_and_our_own(client: httpx.AsyncClient) -> None:
    preflight = await client.options("/api/v1/chat/sessions", headers={
        "Origin": BROKER_SITE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == BROKER_SITE
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    response = await client.post("/api/v1/chat/sessions", headers={"Origin": BROKER_SITE})
    assert response.status_code == 201
    assert response.headers["access-control-allow-origin"] == BROKER_SITE
    assert "Origin" in response.headers["vary"]
    assert "retry-after" in response.headers["access-control-expose-headers"].lower()
    own = await client.get("/api/v1/widget/config", headers={"Origin": "http://intake.test"})
    assert own.status_code == 200
    assert own.headers["access-control-allow-origin"] == "http://intake.test"


@pytest.mark.parametrize("origin", ["https://evil.example", "http://www.vandijk.example",
                                    "https://www.vandijk.example.evil.example", "null"])
async def test_cors_refuses_any_other_origin(app: WebApp, client: httpx.AsyncClient,
                                             origin: str) -> None:
    preflight = await client.options("/api/v1/chat/sessions", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    simple = await client.post("/api/v1/chat/sessions", headers={"Origin": origin})
    assert simple.status_code == 403
    assert "access-control-allow-origin" not in simple.headers
    assert app.store.count("conversations") == 0  # nothing was started for that site


def test_own_origin_compares_scheme_host_and_port() -> None:
    assert own_origin("https://chat.example.nl", "chat.example.nl")
    assert own_origin("https://chat.example.nl", "chat.example.nl:443")
    assert own_origin("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert not own_origin("http://127.0.0.1:8001", "127.0.0.1:8000")
    assert not own_origin("https://chat.example.nl", "chat.example.nl:8443")
    assert not own_origin("https://evil.example", "chat.example.nl")
    assert not own_origin("https://chat.example.nl", None)


def test_widget_origins_are_validated_and_normalised() -> None:
    settings = Settings(widget_origins=" https://WWW.Broker.nl:443/ ,http://localhost:8080,")
    assert settings.widget_origin_list == ("https://www.broker.nl", "http://localhost:8080")
    for bad in ("www.broker.nl", "https://broker.nl/page", "ftp://broker.nl"):
        with pytest.raises(ValueError):
            Settings(widget_origins=bad)


# --- security headers and static files ----------------------------------------------------------


def _assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    token = await new_token(client)
    assert (STATIC / "demo.html").is_file() and (STATIC / "widget.js").is_file()
    for method, path in [("GET", "/"), ("GET", "/widget.js"), ("GET", "/widget.css"),
                         ("GET", "/api/v1/widget/config"), ("POST", "/api/v1/chat/sessions"),
                         ("GET", f"/api/v1/chat/sessions/{token}"), ("GET", "/openapi.json"),
                         ("GET", "/healthz"), ("GET", "/nope"), ("GET", "/api/v1/nope"),
                         ("DELETE", "/api/v1/quotes")]:
        response = await client.request(method, path)
        assert response.status_code < 500, path
        _assert_security_headers(response)
    api = await client.get(f"/api/v1/chat/sessions/{token}")
    assert api.headers["cache-control"] == "no-store"


async def test_the_demo_page_and_the_widget_files_with_types_and_caching(
        client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "widget.js" in page.text
    script = await client.get("/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "public, max-age=300"
    again = await client.get("/widget.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    style = await client.get("/widget.css")
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    assert (await client.get("/../pyproject.toml")).status_code == 404
    assert (await client.get("/%2e%2e/pyproject.toml")).status_code == 404


async def test_a_wrong_method_on_the_api_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/quotes")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["error"] == "method_not_allowed"
