"""The broker inbox in a real browser: Debian's Chromium, headless, driven by Playwright, against
a real `intake serve` on loopback (its own SQLite file, a user added with `intake users add`, a
webhook receiver on loopback as the hand-off target).

A broker logs in, finds the lead of a conversation just completed over the web chat API,
claims it, changes its status, downloads the CSV and opens the funnel; on a laptop and on a
phone (390 px wide: no horizontal scrolling). axe-core finds no serious or critical violation
on the list and lead pages. Screenshots go to `test-artifacts/broker/`. Without
/usr/bin/chromium the tests skip loudly (fail in CI).
"""

from __future__ import annotations

import base64
import csv
import http.server
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.net import free_port
from tests.support.webapp import ROUTE

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "broker"
EMAIL = "anna@vandijk.example"
PASSWORD = "een heel goed wachtwoord"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
REFERENCE = re.compile(r"IK-\d{4}-\d{6}")


@dataclass
class Server:
    base: str
    reference: str  # a lead made over the web chat API
    callback: str  # an urgent call-back request


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _lead(base: str, answers: list[str]) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        token = client.post("/api/v1/chat/sessions", json={}).json()["token"]
        turn: dict[str, Any] = {}
        for i, text in enumerate(answers):
            turn = client.post(f"/api/v1/chat/sessions/{token}/messages",
                               json={"text": text, "client_message_id": f"m{i}"}).json()
    assert turn["done"], turn
    return str(turn["lead"]["reference"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`intake serve` as the operator runs it, and a user added the documented way."""
    folder = tmp_path_factory.mktemp("broker")
    db, log = f"sqlite:///{folder / 'intake.sqlite3'}", folder / "serve.log"
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update({
        "INTAKE_HOST": "127.0.0.1", "INTAKE_PORT": str(port), "INTAKE_DATABASE_URL": db,
        "INTAKE_BROKER_NAME": "Van Dijk & Zonen Assurantiën", "INTAKE_BRAND_COLOR": "#0b6e4f",
        "INTAKE_SESSION_SECRET": "test-secret-" + "x" * 20,
        "INTAKE_CRM_WEBHOOK_URL": f"http://127.0.0.1:{receiver.server_port}/hooks/intake",
        "INTAKE_CRM_WEBHOOK_SECRET": "whsec_" + base64.b64encode(b"k" * 32).decode(),
    })
    added = subprocess.run([sys.executable, "-m", "bot", "users", "add", EMAIL,
                            "--password-stdin"], input=PASSWORD + "\n", env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text("utf-8", "replace")
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "intake serve did not come up"
                time.sleep(0.05)
        reference = _lead(base, ROUTE)
        callback = _lead(base, [*ROUTE[:6], "bel mij", "Piet Jansen", "06 1234 5678",
                                "zo snel mogelijk", "ja", "ja"])
        yield Server(base, reference, callback)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        receiver.shutdown()
        receiver.server_close()
        text = log.read_text("utf-8", "replace")
        assert PASSWORD not in text and "jan@vries.nl" not in text, text


@dataclass
class Visit:
    page: Any
    size: str
    errors: list[str]

    def shoot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}-{self.size}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def fits(self) -> None:
        """No horizontal scrolling: nothing wider than the window."""
        width = self.page.evaluate("document.documentElement.scrollWidth")
        inner = self.page.evaluate("window.innerWidth")
        assert width <= inner, f"{self.page.url}: {width} px wide in a {inner} px window"


@pytest.fixture
def visit(browser: Any, server: Server, request: pytest.FixtureRequest) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(viewport: dict[str, int]) -> Visit:
        mobile = viewport["width"] < 600
        context = browser.new_context(viewport=viewport, locale="nl-NL", is_mobile=mobile,
                                      has_touch=mobile, accept_downloads=True,
                                      base_url=server.base)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        return Visit(page, "phone" if mobile else "laptop", errors)

    yield make
    for context in contexts:
        context.close()


def _login(visit: Visit, shoot: bool = False) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.goto("/broker")
    expect(page).to_have_url(re.compile(r"/broker/login\?next="))
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    if shoot:
        visit.shoot("1-login")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()


def test_a_broker_works_a_lead_on_a_laptop(visit: Any, server: Server) -> None:
    from playwright.sync_api import expect

    v: Visit = visit(LAPTOP)
    page = v.page
    _login(v, shoot=True)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=server.reference))
    expect(row).to_contain_text("Vries BV")
    expect(row).to_contain_text("Nieuw")
    expect(page.get_by_role("row").filter(has_text=server.callback)).to_contain_text(
        "Terugbellen")
    v.fits()
    v.shoot("2-list")
    page.get_by_role("link", name=server.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(server.reference)
    expect(page.get_by_role("heading", name="Gesprek")).to_be_visible()
    expect(page.get_by_text("we zijn een aannemer")).to_be_hidden()  # folded away at first
    page.get_by_text(re.compile(r"Toon het hele gesprek \(\d+ berichten\)")).click()
    expect(page.get_by_text("we zijn een aannemer")).to_be_visible()
    page.get_by_text(re.compile(r"Toon het hele gesprek")).click()
    # The hand-off to the webhook has gone out by now (the worker runs in intake serve).
    for _ in range(50):
        if "Afgeleverd" in page.locator("#delivery").locator("..").inner_text():
            break
        time.sleep(0.1)
        page.reload()
    expect(page.locator("section", has=page.locator("#delivery"))).to_contain_text("Afgeleverd")
    v.shoot("3-lead")
    page.get_by_role("button", name="Ik bel deze").click()
    expect(page.get_by_role("status")).to_have_text("U hebt deze lead opgepakt.")
    expect(page.get_by_text(f"Opgepakt door {EMAIL}")).to_be_visible()
    page.get_by_label("Nieuwe status").select_option(label="Gebeld")
    page.get_by_role("button", name="Status opslaan").click()
    expect(page.get_by_role("status")).to_have_text("Status opgeslagen.")
    history = page.locator("section", has=page.locator("#history"))
    expect(history).to_contain_text("Opgepakt")
    expect(history).to_contain_text("Gebeld")
    v.shoot("4-claimed-and-called")
    page.get_by_role("link", name="Terug naar de leads").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=server.reference))
    expect(row).to_contain_text("Gebeld")
    expect(row).to_contain_text(EMAIL)
    with page.expect_download() as info:
        page.get_by_role("link", name="Downloaden als CSV (Excel)").click()
    download = info.value
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    saved = ARTIFACTS / download.suggested_filename
    download.save_as(str(saved))
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = {r["Referentie"]: r for r in csv.DictReader(
        io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";")}
    assert rows[server.reference]["Status"] == "Gebeld"
    assert rows[server.reference]["Eigenaar"] == EMAIL
    assert rows[server.callback]["Soort"] == "Terugbelverzoek"
    assert rows[server.reference]["Soort"] == "Intake afgerond"
    page.get_by_role("link", name="Trechter").click()
    expect(page.get_by_role("heading", name="Waar prospects afhaken")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("turnover")
    v.fits()
    v.shoot("5-funnel")
    page.get_by_label("Kanaal").select_option(label="Telegram")
    page.get_by_role("button", name="Tonen").click()
    expect(page.get_by_text("Geen gesprekken in deze periode.")).to_be_visible()
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    page.goto("/broker")
    expect(page).to_have_url(re.compile(r"/broker/login"))
    assert v.errors == []  # no script error, no CSP refusal


def test_on_a_phone_nothing_scrolls_sideways(visit: Any, server: Server) -> None:
    from playwright.sync_api import expect

    v: Visit = visit(PHONE)
    page = v.page
    page.goto("/broker/login")
    v.fits()
    v.shoot("1-login")
    _login(v)
    v.fits()
    v.shoot("2-list")
    page.get_by_role("link", name=server.callback).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(server.callback)
    v.fits()
    v.shoot("3-lead")
    page.goto(f"/broker/leads/{server.callback}/erase")
    v.fits()
    v.shoot("4-erase-confirm")
    page.goto("/broker/funnel")
    v.fits()
    v.shoot("5-funnel")
    page.locator("#table").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "5-funnel-table-phone.png"))  # the window only
    assert v.errors == []


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_axe_finds_no_serious_or_critical_violation(visit: Any, server: Server,
                                                    viewport: dict[str, int]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    v: Visit = visit(viewport)
    _login(v)
    for path in ("/broker", f"/broker/leads/{server.reference}", "/broker/funnel",
                 "/broker/login"):
        v.page.goto(path)
        results = Axe().run(v.page)
        bad = [x for x in results.response["violations"]
               if x["impact"] in ("serious", "critical")]
        assert bad == [], f"{path}: {results.generate_report()}"
        minor = [f"{x['id']} ({x['impact']})" for x in results.response["violations"]]
        print(f"axe on {path} at {viewport['width']} px, minor findings: {minor}")
