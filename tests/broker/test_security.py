"""The inbox's security: nothing without a session, sessions that end, CSRF on every post,
failed logins limited, whatever a prospect typed shown as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.http import build_app
from bot.inbox.users import remove_user
from bot.inbox.web import SESSION_COOKIE
from tests.broker.conftest import (
    EMAIL,
    PASSWORD,
    Broker,
    csrf_of,
    make_broker,
    with_company,
)
from tests.support.webapp import WebApp, asgi_client


@pytest.fixture
def db_path(db_url: str) -> str:
    """Every test here on SQLite and on PostgreSQL."""
    return db_url


PAGES = ["/broker", "/broker/", "/broker/funnel", "/broker/leads/{ref}",
         "/broker/leads/{ref}/erase", "/broker/funnel?channel=web&since=2026-01-01"]
POSTS = ["/broker/leads/{ref}/status", "/broker/leads/{ref}/claim", "/broker/leads/{ref}/erase",
         "/broker/logout"]


def _no_data(body: str, ref: str) -> None:
    for secret in (ref, "Vries BV", "Jan de Vries", "jan@vries.nl", "0612345678",
                   "+31612345678"):
        assert secret not in body


async def test_anonymous_requests_get_the_login_or_401_and_never_data(broker: Broker) -> None:
    ref = await broker.lead()
    client = broker.client
    for path in PAGES:
        response = await client.get(path.format(ref=ref))
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/broker/login?next=%2Fbroker"), path
        _no_data(response.text, ref)
    export = await client.get("/broker/leads.csv")
    assert export.status_code == 401
    assert export.text == "Log eerst in op de inbox.\n"
    assert export.headers["content-type"].startswith("text/plain")
    for path in POSTS:
        response = await client.post(path.format(ref=ref),
                                     data={"status": "afgewezen", "csrf_token": "x"})
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/broker/login"), path
        _no_data(response.text, ref)
    lead = broker.store.lead(ref)
    assert lead is not None  # not erased
    with broker.store.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT status, claimed_by FROM leads").one()
    assert tuple(row) == ("nieuw", None)
    # The login page itself shows nothing of a lead either.
    login = await client.get("/broker/login")
    assert login.status_code == 200 and 'name="csrf_token"' in login.text
    _no_data(login.text, ref)


async def test_a_forged_or_foreign_cookie_is_no_session(broker: Broker) -> None:
    await broker.login()
    good = broker.client.cookies[SESSION_COOKIE]
    token, _, _signature = good.rpartition(".")
    from bot.inbox.auth import sign

    for cookie in (token, token + ".AAAA", sign(b"another secret of 32 bytes......", token),
                   "", "x" * 500, good[:-1]):
        broker.client.cookies.clear()
        broker.client.cookies.set(SESSION_COOKIE, cookie, domain="intake.test", path="/broker")
        response = await broker.client.get("/broker")
        assert response.status_code == 303, cookie
    broker.client.cookies.clear()
    broker.client.cookies.set(SESSION_COOKIE, good, domain="intake.test", path="/broker")
    assert (await broker.client.get("/broker")).status_code == 200


async def test_a_wrong_password_makes_no_session(broker: Broker) -> None:
    ref = await broker.lead()
    for email, password in ((EMAIL, "wrong password here"), ("nobody@example.nl", PASSWORD),
                            (EMAIL, ""), ("not an address", PASSWORD)):
        response = await broker.login(email, password)
        assert response.status_code == 401
        assert "Het e-mailadres of wachtwoord klopt niet." in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
        assert SESSION_COOKIE not in broker.client.cookies
        page = await broker.client.get("/broker")
        assert page.status_code == 303
        _no_data(page.text, ref)
    ok = await broker.login(EMAIL.upper(), PASSWORD)  # addresses are case-insensitive
    assert ok.status_code == 303 and ok.headers["location"] == "/broker"
    assert ref in (await broker.client.get("/broker")).text


async def test_session_cookie_attributes(web: WebApp) -> None:
    inbox = make_broker(web)
    app = build_app(store=web.store, web=web.web, inbox=inbox)
    for base, secure in (("http://intake.test", False), ("https://intake.test", True)):
        async with asgi_client(app, base_url=base) as client:
            page = await client.get("/broker/login")
            assert "httponly" in page.headers["set-cookie"].lower()
            response = await client.post("/broker/login", data={
                "email": EMAIL, "password": PASSWORD, "csrf_token": csrf_of(page.text)})
            assert response.status_code == 303
            cookie = next(c for c in response.headers.get_list("set-cookie")
                          if c.startswith(SESSION_COOKIE + "="))
            attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
            assert {"httponly", "path", "samesite"} <= attributes
            assert "samesite=lax" in cookie.lower() and "path=/broker" in cookie.lower()
            assert ("secure" in attributes) is secure


async def test_posts_without_the_csrf_token_get_403_and_change_nothing(broker: Broker) -> None:
    ref = await broker.lead()
    await broker.login()
    token = await broker.csrf()
    for path in POSTS:
        for data in ({"status": "afgewezen"}, {"status": "afgewezen", "csrf_token": ""},
                     {"status": "afgewezen", "csrf_token": token[:-2] + "xx"}):
            response = await broker.client.post(path.format(ref=ref), data=data)
            assert response.status_code == 403, (path, data)
            assert "Niet toegestaan" in response.text
        # Not a form at all (JSON with the right token): refused the same way.
        response = await broker.client.post(path.format(ref=ref),
                                            json={"status": "afgewezen", "csrf_token": token})
        assert response.status_code == 403
    with broker.store.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT status, claimed_by FROM leads").one()
    assert tuple(row) == ("nieuw", None)
    assert broker.store.lead(ref) is not None
    assert (await broker.client.get("/broker")).status_code == 200  # still logged in


async def test_the_login_form_needs_its_csrf_token(broker: Broker) -> None:
    await broker.client.get("/broker/login")
    response = await broker.client.post("/broker/login",
                                        data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in broker.client.cookies
    # A token made for another browser's login nonce does not fit this one.
    other = await broker.client.get("/broker/login")
    token = csrf_of(other.text)
    broker.client.cookies.clear()
    await broker.client.get("/broker/login")  # a fresh nonce
    broker.client.cookies.set("intake_login", "A" * 32, domain="intake.test",
                              path="/broker/login")
    response = await broker.client.post("/broker/login", data={
        "email": EMAIL, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 403


async def test_a_session_after_logout_is_refused(broker: Broker) -> None:
    await broker.login()
    cookie = broker.client.cookies[SESSION_COOKIE]
    response = await broker.client.post("/broker/logout",
                                        data={"csrf_token": await broker.csrf()})
    assert response.status_code == 303 and response.headers["location"] == "/broker/login"
    assert broker.store.count("broker_sessions") == 0
    # The old cookie, kept by an attacker or a stale tab: refused.
    broker.client.cookies.set(SESSION_COOKIE, cookie, domain="intake.test", path="/broker")
    assert (await broker.client.get("/broker")).status_code == 303
    assert (await broker.client.get("/broker/leads.csv")).status_code == 401


async def test_sessions_expire_when_idle_and_end_with_their_user(web: WebApp) -> None:
    now = [datetime(2026, 11, 24, 9, 0, tzinfo=UTC)]
    inbox = make_broker(web, clock=lambda: now[0])
    app = build_app(store=web.store, web=web.web, inbox=inbox)
    async with asgi_client(app) as client:
        page = await client.get("/broker/login")
        await client.post("/broker/login", data={"email": EMAIL, "password": PASSWORD,
                                                 "csrf_token": csrf_of(page.text)})
        now[0] += timedelta(hours=11)
        assert (await client.get("/broker")).status_code == 200  # and seen again now
        now[0] += timedelta(hours=11)
        assert (await client.get("/broker")).status_code == 200
        now[0] += timedelta(hours=12, minutes=1)
        assert (await client.get("/broker")).status_code == 303  # idle too long
        assert web.store.count("broker_sessions") == 0
        page = await client.get("/broker/login")
        await client.post("/broker/login", data={"email": EMAIL, "password": PASSWORD,
                                                 "csrf_token": csrf_of(page.text)})
        assert (await client.get("/broker")).status_code == 200
        assert remove_user(web.store.engine, EMAIL)
        assert (await client.get("/broker")).status_code == 303
        assert web.store.count("broker_sessions") == 0


async def test_html_in_a_company_name_is_shown_as_text(broker: Broker) -> None:
    xss = "<script>alert(1)</script>"
    ref = await broker.lead(with_company(xss))
    await broker.login()
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for path in ("/broker", f"/broker/leads/{ref}", f"/broker/leads/{ref}/erase"):
        page = await broker.client.get(path)
        assert page.status_code == 200
        assert xss not in page.text, path
        assert escaped in page.text, path
        assert "<script" not in page.text, path
    export = await broker.client.get("/broker/leads.csv")
    assert xss in export.text  # a CSV is text: Excel shows it as written


async def test_failed_logins_are_limited_per_account_and_per_address(web: WebApp) -> None:
    inbox = make_broker(web, failed_per_account=5, failed_per_address=8)
    app = build_app(store=web.store, web=web.web, inbox=inbox)

    async def attempt(client: object, email: str, password: str) -> object:
        page = await client.get("/broker/login")  # type: ignore[attr-defined]
        return await client.post("/broker/login", data={  # type: ignore[attr-defined]
            "email": email, "password": password, "csrf_token": csrf_of(page.text)})

    async with asgi_client(app, client=("203.0.113.7", 40000)) as client:
        for _ in range(5):
            assert (await attempt(client, EMAIL, "wrong guess number")).status_code == 401
        refused = await attempt(client, EMAIL, PASSWORD)  # the right one, too late
        assert refused.status_code == 429
        assert "Te veel mislukte pogingen. Probeer het over 15 minuten opnieuw." in refused.text
        assert int(refused.headers["retry-after"]) > 800
        assert SESSION_COOKIE not in client.cookies
    # Another address may not try that account either; another account from there may.
    async with asgi_client(app, client=("198.51.100.4", 40000)) as client:
        assert (await attempt(client, EMAIL, PASSWORD)).status_code == 429
        for i in range(3):
            response = await attempt(client, f"user{i}@example.nl", "wrong guess number")
            assert response.status_code == 401
    # The first address failed 5 times; 3 more make 8, its limit: then it is refused too.
    async with asgi_client(app, client=("203.0.113.7", 40001)) as client:
        for i in range(3):
            assert (await attempt(client, f"other{i}@example.nl", "nope nope nope")).status_code \
                == 401
        assert (await attempt(client, "last@example.nl", "nope nope nope")).status_code == 429


async def test_pages_are_not_cached_and_carry_the_security_headers(broker: Broker) -> None:
    await broker.login()
    for path in ("/broker", "/broker/funnel", "/broker/leads.csv", "/broker/login"):
        response = await broker.client.get(path)
        assert response.headers["cache-control"] == "no-store", path
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "SAMEORIGIN"


async def test_the_login_sends_nowhere_but_the_inbox(broker: Broker) -> None:
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example",
                   "/broker/../api", "javascript:alert(1)"):
        broker.client.cookies.clear()
        page = await broker.client.get("/broker/login", params={"next": target})
        assert "evil" not in page.text and "javascript" not in page.text
        response = await broker.client.post("/broker/login", data={
            "email": EMAIL, "password": PASSWORD, "csrf_token": csrf_of(page.text),
            "next": target})
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith("/broker") and "//" not in location, (target, location)


async def test_a_failed_login_keeps_where_the_broker_was_going(broker: Broker) -> None:
    ref = await broker.lead()
    first = await broker.client.get(f"/broker/leads/{ref}")
    page = await broker.client.get(first.headers["location"])
    wrong = await broker.client.post("/broker/login", data={
        "email": EMAIL, "password": "not it at all", "csrf_token": csrf_of(page.text),
        "next": f"/broker/leads/{ref}"})
    assert wrong.status_code == 401
    assert f'name="next" value="/broker/leads/{ref}"' in wrong.text
    right = await broker.client.post("/broker/login", data={
        "email": EMAIL, "password": PASSWORD, "csrf_token": csrf_of(wrong.text),
        "next": f"/broker/leads/{ref}"})
    assert right.headers["location"] == f"/broker/leads/{ref}"


def test_behind_an_https_proxy_the_cookies_are_secure(tmp_path: Path) -> None:
    """intake serve as deployed: uvicorn believes X-Forwarded-Proto from a proxy in
    INTAKE_FORWARDED_ALLOW_IPS (127.0.0.1 by default), and the cookies say Secure then."""
    import subprocess
    import sys

    import httpx

    from tests.support.webapp import ROOT, intake_serve

    db = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    added = subprocess.run([sys.executable, "-m", "bot", "users", "add", EMAIL,
                            "--password-stdin", "--db", db], input=PASSWORD + "\n",
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    with intake_serve(tmp_path, INTAKE_SESSION_SECRET="x" * 32) as served, \
            httpx.Client(base_url=served.base, timeout=10) as client:
        for proto, secure in (("https", True), ("http", False)):
            client.cookies.clear()
            headers = {"x-forwarded-proto": proto}
            page = client.get("/broker/login", headers=headers)
            assert ("secure" in page.headers["set-cookie"].lower()) is secure
            # A Secure cookie is not sent back over the test's plain http: pass it by hand, as
            # the browser does over https.
            nonce = page.headers["set-cookie"].split(";")[0]
            client.cookies.clear()
            response = client.post("/broker/login", headers={**headers, "cookie": nonce}, data={
                "email": EMAIL, "password": PASSWORD, "csrf_token": csrf_of(page.text)})
            assert response.status_code == 303, response.text
            cookie = next(c for c in response.headers.get_list("set-cookie")
                          if c.startswith(SESSION_COOKIE + "="))
            assert ("; secure" in cookie.lower()) is secure, cookie
    assert "INTAKE_SESSION_SECRET is not set" not in served.stderr
