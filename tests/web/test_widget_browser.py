"""The chat widget in a real browser: Debian's Chromium, headless, driven by Playwright, against a
real `intake serve` on loopback with a SQLite file of its own.

Every test saves a screenshot under `test-artifacts/widget/` and checks at the end that the page
raised no script error, opened no dialog and sent no request to any host but the server.
Without /usr/bin/chromium or without the server's chat API the tests skip loudly (fail in CI).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import require
from tests.support.net import free_port

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "widget"
BROKER = "Van Dijk & Zonen Assurantiën"
BRAND = "#0b6e4f"
XSS = "<img src=x onerror=alert(1)>"
REFERENCE = re.compile(r"IK-\d{4}-\d{6}")
MESSAGES = re.compile(r"/api/v1/chat/sessions/[^/]+/messages$")
SESSIONS = re.compile(r"/api/v1/chat/sessions$")

# --- the server --------------------------------------------------------------------------------


@dataclass
class Server:
    base: str  # http://127.0.0.1:PORT
    config: dict[str, Any]
    embed_origin: str  # the other website allowed to embed the widget (INTAKE_WIDGET_ORIGINS)
    embed_port: int

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.config["labels"])

    def session(self, token: str) -> dict[str, Any]:
        response = httpx.get(f"{self.base}/api/v1/chat/sessions/{token}", timeout=10)
        response.raise_for_status()
        return dict(response.json())


def _wait_up(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"intake serve exited: {log.read_text('utf-8', 'replace')}")
        try:
            httpx.get(f"{base}/healthz", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("intake serve did not come up within 30 s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`intake serve` as the operator runs it, configured by INTAKE_* variables only."""
    port, embed_port = free_port(), free_port()
    embed_origin = f"http://localhost:{embed_port}"
    folder = tmp_path_factory.mktemp("widget")
    db, log = folder / "intake.sqlite3", folder / "serve.log"
    env = {**os.environ, "INTAKE_HOST": "127.0.0.1", "INTAKE_PORT": str(port),
           "INTAKE_DATABASE_URL": f"sqlite:///{db}", "INTAKE_BROKER_NAME": BROKER,
           "INTAKE_BRAND_COLOR": BRAND, "INTAKE_BROKER_PHONE": "020-1234567",
           "INTAKE_WIDGET_ORIGINS": embed_origin, "INTAKE_LOG_LEVEL": "INFO"}
    for name in ("INTAKE_TELEGRAM_TOKEN", "INTAKE_TELEGRAM_WEBHOOK_URL", "INTAKE_METRICS_TOKEN"):
        env.pop(name, None)
    with log.open("wb") as out:  # a file, not a pipe: a full pipe would stall the server
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, proc, log)
        config = httpx.get(f"{base}/api/v1/widget/config", timeout=10)
        script = httpx.get(f"{base}/widget.js", timeout=10)
        require(config.status_code == 200 and script.status_code == 200,
                f"intake serve has no widget API yet (GET /api/v1/widget/config: "
                f"{config.status_code}, GET /widget.js: {script.status_code})")
        yield Server(base, config.json(), embed_origin, embed_port)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # The server's log may quote nothing a prospect typed (docs/operations.md).
        text = log.read_text("utf-8", "replace")
        assert "Bouwmaterialen" not in text and XSS not in text, text


# --- the browser -------------------------------------------------------------------------------


@dataclass
class Visit:
    """One browser context on the widget, with everything it did recorded."""

    server: Server
    page: Any
    name: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return self.server.labels

    # -- recording --

    def message_posts(self) -> list[dict[str, Any]]:
        return [r for r in self.requests
                if r["method"] == "POST" and MESSAGES.search(urlsplit(r["url"]).path)]

    def shoot(self, suffix: str = "") -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}{suffix}.png"
        self.page.screenshot(path=str(path))
        return path

    # -- the widget --

    def launcher(self) -> Any:
        """The launcher: the page's button named with the `launcher` label (with "chat")."""
        return self.page.get_by_role("button", name=self.labels["launcher"], exact=True)

    def log(self) -> Any:
        return self.page.get_by_role("log")

    def textbox(self) -> Any:
        return self.page.get_by_role("textbox", name=self.labels["input_label"])

    def open(self, path: str | None = "/") -> None:
        if path is not None:
            self.page.goto(self.server.base + path)
        self.launcher().click()
        self.wait_settled()

    def wait_settled(self) -> None:
        """The widget has a session and no message on its way."""
        from playwright.sync_api import expect

        expect(self.page.locator(".intake-msg-bot").first).to_be_visible()
        expect(self.page.locator(".intake-msg-pending")).to_have_count(0)
        expect(self.page.locator(".intake-log")).to_have_attribute("aria-busy", "false")

    def _turn(self, act: Callable[[], object]) -> dict[str, Any]:
        with self.page.expect_response(
            lambda r: r.request.method == "POST" and bool(MESSAGES.search(urlsplit(r.url).path))
            and r.ok
        ) as info:
            act()
        turn: dict[str, Any] = info.value.json()
        self.wait_settled()
        return turn

    def type(self, text: str) -> dict[str, Any]:
        def act() -> None:
            self.textbox().fill(text)
            self.textbox().press("Enter")

        return self._turn(act)

    def click(self, label: str) -> dict[str, Any]:
        button = self.page.get_by_role("button", name=label, exact=True, disabled=False)
        return self._turn(button.click)

    def bot_texts(self) -> list[str]:
        return list(self.page.locator(".intake-msg-bot .intake-text").all_text_contents())

    def my_texts(self) -> list[str]:
        return list(self.page.locator(".intake-msg-me .intake-text").all_text_contents())

    def token(self) -> str | None:
        stored = self.page.evaluate("Object.assign({}, localStorage)")
        values = [v for k, v in stored.items() if k.startswith("intake.")]
        return values[0] if values else None

    def deep_active(self) -> str:
        """Class of the focused element, looking through the widget's shadow root."""
        return str(self.page.evaluate(
            """() => { let a = document.activeElement;
                       while (a && a.shadowRoot && a.shadowRoot.activeElement) {
                         a = a.shadowRoot.activeElement; }
                       return a ? (a.className || a.tagName) : ''; }"""))

    def assert_clean(self, expected_console: str | None = None) -> None:
        """No script error, no console error (a CSP violation would be one; `expected_console`
        matches those a test causes on purpose), no dialog, no request to any other host than
        the server (and the page's own origin, when it is embedded elsewhere)."""
        assert self.errors == [], self.errors
        console = [c for c in self.console
                   if expected_console is None or not re.search(expected_console, c)]
        assert console == [], console
        assert self.dialogs == [], self.dialogs
        allowed = {urlsplit(self.server.base).netloc, urlsplit(self.server.embed_origin).netloc}
        hosts = {urlsplit(r["url"]).netloc for r in self.requests
                 if urlsplit(r["url"]).scheme in ("http", "https")}
        assert hosts <= allowed, f"requests left for {hosts - allowed}"
        others = [r["url"] for r in self.requests
                  if urlsplit(r["url"]).scheme not in ("http", "https", "data", "blob")]
        assert others == [], others


@pytest.fixture
def visit_factory(browser: Any, server: Server,
                  request: pytest.FixtureRequest) -> Iterator[Callable[..., Visit]]:
    contexts: list[Any] = []
    visits: list[Visit] = []

    def make(**options: Any) -> Visit:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("locale", "nl-NL")
        options.setdefault("reduced_motion", "reduce")
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        visit = Visit(server, page, request.node.name + (f"-{len(visits)}" if visits else ""))

        def on_request(req: Any) -> None:
            body = req.post_data
            visit.requests.append({"method": req.method, "url": req.url,
                                   "body": json.loads(body) if body else None})

        def on_dialog(dialog: Any) -> None:
            visit.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        context.on("request", on_request)
        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: visit.errors.append(str(error)))
        def on_console(message: Any) -> None:
            if message.type == "error":
                visit.console.append(message.text)

        page.on("console", on_console)
        visits.append(visit)
        return visit

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def visit(visit_factory: Callable[..., Visit]) -> Visit:
    return visit_factory()


# --- scripts through the dialogue ---------------------------------------------------------------

# (how, what, the step that follows): untidy Dutch typed, and buttons clicked.
TO_SUMMARY: list[tuple[str, str, str]] = [
    ("click", "Beide", "sector"),
    ("type", "wij zijn een groothandel", "turnover"),
    ("type", "ongeveer 1,2 mln", "credit_share"),
    ("type", "zo'n 90 procent", "debtor_count"),
    ("type", "een stuk of 40", "top5_share"),
    ("type", "35%", "top5_names"),
    ("click", "Overslaan", "largest_exposure"),
    ("type", "€ 80.000,-", "payment_term"),
    ("click", "30 dagen", "export_share"),
    ("type", "10 procent", "bad_debt"),
    ("type", "niks", "indemnity"),
    ("click", "90%", "bi_basis"),
    ("type", "7 ton", "gross_profit_ok"),
    ("click", "Ja", "indemnity_period"),
    ("type", "12 maanden", "waiting_period"),
    ("click", "48 uur", "extra_costs"),
    ("click", "Ja", "locations"),
    ("click", "Eén locatie", "summary"),
]
TO_DONE: list[tuple[str, str, str]] = [
    ("click", "Klopt, ga verder", "contact_name"),
    ("type", "jan de vries", "company_name"),
    ("type", "De Vries Bouwmaterialen B.V.", "email"),
    ("type", " Jan@DeVries-Bouw.nl ", "phone"),
    ("type", "06-12345678", "kvk"),
    ("click", "Overslaan", "callback_moment"),
    ("click", "'s Ochtends", "callback_moment"),  # shown back as a window
    ("click", "Ja", "consent"),
    ("click", "Ja", "done"),
]


def play(visit: Visit, script: list[tuple[str, str, str]]) -> dict[str, Any]:
    turn: dict[str, Any] = {}
    for how, what, expected in script:
        turn = visit.click(what) if how == "click" else visit.type(what)
        assert turn["step"] == expected, (what, turn["step"], turn["replies"])
    return turn


def record_statuses(page: Any) -> None:
    """Keep every text the widget's status line shows (some show for a second only)."""
    page.evaluate("""() => {
        const status = document.querySelector("intake-chat").shadowRoot
            .querySelector(".intake-status");
        window.__statuses = [];
        new MutationObserver(() => {
            const text = status.hidden ? "" : status.firstChild.textContent;
            if (text && window.__statuses[window.__statuses.length - 1] !== text) {
                window.__statuses.push(text);
            }
        }).observe(status, {attributes: true, childList: true, subtree: true,
                            characterData: true});
    }""")


def statuses(page: Any) -> list[str]:
    return list(page.evaluate("window.__statuses"))


def enabled_choices(visit: Visit) -> list[str]:
    return list(visit.page.locator(".intake-choice:enabled").all_text_contents())


# --- the scenarios ------------------------------------------------------------------------------


def test_a_complete_conversation_by_clicking_and_typing(visit: Visit) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.goto(visit.server.base + "/")
    expect(visit.launcher()).to_have_count(1)
    expect(visit.launcher()).to_have_accessible_name(re.compile("chat", re.IGNORECASE))
    assert visit.launcher().evaluate("b => b.tagName") == "BUTTON"
    visit.shoot("-0-page")
    visit.open(None)
    # The broker's name and colour come from the configuration.
    expect(page.get_by_role("dialog")).to_contain_text(BROKER)
    launcher_bg = visit.launcher().evaluate("b => getComputedStyle(b).backgroundColor")
    assert launcher_bg == "rgb(11, 110, 79)"

    turn = play(visit, TO_SUMMARY)
    # The summary is shown exactly as the server wrote it: amounts as it formats them, lines kept.
    shown = visit.bot_texts()
    for reply in turn["replies"]:
        assert reply["text"] in shown
    # A no-break space keeps the euro sign with its number when a line wraps.
    summary = next(r["text"] for r in turn["replies"] if "€\u00a01.200.000" in r["text"])
    bubble = page.locator(".intake-msg-bot .intake-text", has_text="€\u00a01.200.000").last
    assert "\n" in summary and bubble.inner_text().count("\n") >= summary.count("\n") - 1
    assert bubble.evaluate("p => getComputedStyle(p).whiteSpace") == "pre-wrap"
    # Only the current question's buttons work; the old ones are disabled.
    current = [c["label"] for r in turn["replies"] for c in r["choices"]]
    assert enabled_choices(visit) == current
    assert page.locator(".intake-choice:disabled").count() > 10
    progress = page.get_by_role("progressbar")
    expect(progress).to_have_attribute("aria-valuenow", str(turn["progress"]["current"]))
    expect(progress).to_have_attribute("aria-valuemax", str(turn["progress"]["total"]))
    visit.shoot("-1-summary")

    turn = play(visit, TO_DONE)
    assert turn["done"] is True and turn["lead"]
    reference = turn["lead"]["reference"]
    assert REFERENCE.fullmatch(reference)
    expect(visit.log()).to_contain_text(reference)
    expect(progress).to_have_attribute("aria-valuenow", str(turn["progress"]["total"]))
    assert visit.token() is None, "a finished conversation is forgotten by the browser"
    # The typed answers appear as the prospect typed them, and every message went once.
    assert visit.my_texts()[1:3] == ["wij zijn een groothandel", "ongeveer 1,2 mln"]
    posts = visit.message_posts()
    assert len(posts) == len(TO_SUMMARY) + len(TO_DONE)
    assert len({p["body"]["client_message_id"] for p in posts}) == len(posts)
    assert posts[0]["body"] == {"choice": "both", "client_message_id": posts[0]["body"]
                                ["client_message_id"]}
    visit.shoot("-2-done")
    visit.assert_clean()


def test_a_reload_half_way_continues_where_it_was(visit: Visit) -> None:
    from playwright.sync_api import expect

    page = visit.page
    visit.open("/")
    play(visit, TO_SUMMARY[:3])
    token = visit.token()
    assert token
    # The browser keeps the session token and nothing else.
    stored = page.evaluate("Object.assign({}, localStorage)")
    assert list(stored.values()) == [token]
    before = visit.bot_texts()
    mine = visit.my_texts()

    page.reload()
    expect(page.get_by_role("dialog")).to_be_hidden()
    visit.launcher().click()
    visit.wait_settled()
    assert visit.bot_texts() == before
    assert visit.my_texts() == mine == ["Beide", "wij zijn een groothandel", "ongeveer 1,2 mln"]
    # The pressed button is marked again; the old buttons stay disabled.
    expect(page.locator(".intake-choice.intake-chosen")).to_have_text(["Beide"])
    assert enabled_choices(visit) == []
    assert visit.token() == token
    creates = [r for r in visit.requests
               if r["method"] == "POST" and SESSIONS.search(urlsplit(r["url"]).path)]
    assert len(creates) == 1, "the reload restored the session instead of starting one"
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "4")
    visit.shoot("-restored")

    turn = visit.type("zo'n 90 procent")
    assert turn["step"] == "debtor_count"
    assert len(visit.server.session(token)["transcript"]) == 5  # greeting + 4 answers
    visit.shoot()
    visit.assert_clean()


def test_a_session_the_server_no_longer_knows_starts_afresh(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.server.base + "/")
    page.evaluate("localStorage.clear()")
    key = f"intake.chat.token:{visit.server.base}/"
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [key, "unknown-token-" + "x" * 30])
    page.reload()
    visit.open(None)
    token = visit.token()
    assert token and not token.startswith("unknown-token")
    gets = [r for r in visit.requests if r["method"] == "GET" and "unknown-token" in r["url"]]
    assert len(gets) == 1
    assert len(visit.my_texts()) == 0 and visit.bot_texts()
    assert visit.click("Beide")["step"] == "sector"
    visit.shoot()
    visit.assert_clean(expected_console="status of 404")


def test_html_in_an_answer_is_shown_as_text_and_runs_nothing(visit: Visit) -> None:
    from playwright.sync_api import expect

    page = visit.page
    visit.open("/")
    script = [*TO_SUMMARY[:6], ("type", f"{XSS}, <b>Bold BV</b>", "largest_exposure"),
              *TO_SUMMARY[7:], *TO_DONE[:2], ("type", XSS, "email")]
    turn = play(visit, script)
    assert XSS in visit.my_texts()
    # The server echoes the names in its summary: shown literally there too.
    assert any(f"{XSS}, <b>Bold BV</b>" in text for text in visit.bot_texts())
    expect(page.locator("intake-chat img")).to_have_count(0)
    expect(page.locator("intake-chat b")).to_have_count(0)
    expect(page.locator("img")).to_have_count(0)
    assert turn["step"] == "email"
    visit.shoot()

    page.reload()
    visit.launcher().click()
    visit.wait_settled()
    assert XSS in visit.my_texts()
    expect(page.locator("intake-chat img")).to_have_count(0)
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert visit.dialogs == []
    assert not [r for r in visit.requests if urlsplit(r["url"]).path.endswith("/x")]
    visit.shoot("-restored")
    visit.assert_clean()


def test_the_call_back_path_from_the_bel_mij_button(visit: Visit) -> None:
    from playwright.sync_api import expect

    page = visit.page
    visit.open("/")
    play(visit, [("click", "Kredietverzekering", "sector"),
                 ("type", "we zijn een aannemer", "turnover"),
                 ("type", "ongeveer 3 ton", "credit_share")])
    callback = page.get_by_role("button", name=visit.labels["callback"], exact=True)
    expect(callback).to_be_visible()
    turn = visit._turn(callback.click)
    assert turn["step"] == "cb_name"
    assert visit.message_posts()[-1]["body"]["text"] == "bel mij"
    assert visit.my_texts()[-1] == visit.labels["callback"]
    total = turn["progress"]["total"]
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuemax", str(total))
    turn = play(visit, [("type", "Piet Jansen", "cb_phone"),
                        ("type", "+31 6 1234 5678", "cb_moment"),
                        ("click", "'s Middags", "cb_moment"),
                        ("click", "Ja", "cb_consent"),
                        ("click", "Ja", "done")])
    assert turn["done"] and turn["lead"]
    expect(visit.log()).to_contain_text(turn["lead"]["reference"])
    visit.shoot()
    visit.assert_clean()


def test_a_phone_sized_screen_needs_no_sideways_scrolling(
    visit_factory: Callable[..., Visit],
) -> None:
    from playwright.sync_api import expect

    visit = visit_factory(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                          device_scale_factor=2)
    page = visit.page
    page.goto(visit.server.base + "/")
    width = "document.scrollingElement.scrollWidth"
    assert page.evaluate(width) <= 360
    visit.shoot("-page")
    visit.launcher().tap()
    visit.wait_settled()
    dialog = page.get_by_role("dialog")
    box = dialog.bounding_box()
    assert box == {"x": 0, "y": 0, "width": 360, "height": 740}, "full screen on a phone"
    play(visit, [("click", "Beide", "sector")])
    play(visit, [("click", "Zakelijke dienstverlening", "turnover"),
                 ("type", "anderhalf miljoen", "credit_share")])
    assert page.evaluate(width) <= 360
    scroller = page.locator(".intake-scroll")
    assert scroller.evaluate("s => s.scrollWidth <= s.clientWidth")
    for control in (visit.textbox(), page.get_by_role("button", name=visit.labels["send"]),
                    page.get_by_role("button", name=visit.labels["callback"], exact=True),
                    page.get_by_role("button", name=visit.labels["close"])):
        expect(control).to_be_in_viewport()
        control_box = control.bounding_box()
        assert control_box["x"] >= 0 and control_box["x"] + control_box["width"] <= 360
        assert control_box["height"] >= 40, "a finger-sized target"
    visit.shoot()
    page.get_by_role("button", name=visit.labels["close"]).tap()
    expect(dialog).to_be_hidden()
    expect(visit.launcher()).to_be_visible()
    visit.assert_clean()


def test_on_a_phone_list_lines_wrap_under_their_text_and_numbers_stay_whole(
    visit_factory: Callable[..., Visit],
) -> None:
    """The summary's lines ("  • Atradius mkbZeker: € 3.196 – € 4.794") wrap under their own
    text, not under the bullet; a reference (IK-2026-000001) and a phone number (020-1234567)
    never break at a hyphen; the text is still exactly what the server sent."""
    visit = visit_factory(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                          device_scale_factor=2)
    page = visit.page
    visit.open("/")
    summary = play(visit, TO_SUMMARY)
    done = play(visit, TO_DONE)
    for turn in (summary, done):
        for reply in turn["replies"]:
            assert reply["text"] in visit.bot_texts()
    hanging = page.locator(".intake-line-hanging")
    assert hanging.count() >= 10
    # For each list line: where its text starts, where its mark starts, and the left edge of
    # every line box its text wraps into.
    layout = hanging.evaluate_all("""lines => lines.map(line => {
        const [mark, rest] = line.children;
        const boxes = [...rest.getClientRects()].map(r => Math.round(r.left));
        const range = document.createRange();
        range.selectNodeContents(rest);
        const lefts = [...range.getClientRects()].map(r => Math.round(r.left));
        return {mark: Math.round(mark.getBoundingClientRect().left),
                text: boxes[0], lefts, lines: new Set(lefts.map(String)).size,
                height: rest.getBoundingClientRect().height,
                lineHeight: parseFloat(getComputedStyle(rest).lineHeight)};
    })""")
    wrapped = [line for line in layout if line["height"] > 1.5 * line["lineHeight"]]
    assert wrapped, "some summary line wraps at 360 px"
    for line in layout:
        assert line["text"] > line["mark"], line
        assert min(line["lefts"]) >= line["text"] - 1, f"wraps left of its text: {line}"
    nowrap = page.locator(".intake-msg-bot .intake-nowrap")
    texts = nowrap.all_text_contents()
    assert any(t.startswith("IK-") for t in texts) and "020-1234567" in texts
    assert all(n == 1 for n in nowrap.evaluate_all(
        "spans => spans.map(s => s.getClientRects().length)")), "broken at a hyphen"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    visit.shoot()
    visit.assert_clean()


def test_the_keyboard_alone(visit: Visit) -> None:
    from playwright.sync_api import expect

    page = visit.page
    keys = page.keyboard
    page.goto(visit.server.base + "/")
    for _ in range(40):
        keys.press("Tab")
        if "intake-launcher" in visit.deep_active():
            break
    assert "intake-launcher" in visit.deep_active(), "Tab reaches the launcher"
    keys.press("Enter")
    visit.wait_settled()
    assert visit.deep_active() == "intake-input", "focus moves into the panel, to the textbox"
    outline = "() => { let a = document.activeElement; while (a.shadowRoot && " \
              "a.shadowRoot.activeElement) a = a.shadowRoot.activeElement; " \
              "const s = getComputedStyle(a); return [s.outlineStyle, s.outlineWidth]; }"

    turn = visit._turn(lambda: (keys.type("beide"), keys.press("Enter")))
    assert turn["step"] == "sector"
    # Shift+Tab from the textbox reaches the current question's buttons (old ones are disabled).
    for _ in range(3):
        keys.press("Shift+Tab")
        if "intake-choice" in visit.deep_active():
            break
    assert "intake-choice" in visit.deep_active()
    style, width = page.evaluate(outline)
    assert style != "none" and width != "0px", "a visible focus outline"
    focused = page.evaluate("""() => document.querySelector('intake-chat').shadowRoot
                                  .activeElement.textContent""")
    visit.shoot("-focus")
    turn = visit._turn(lambda: keys.press("Space"))
    assert turn["step"] == "turnover"
    assert visit.my_texts()[-1] == focused
    assert visit.deep_active() == "intake-input", "focus returns to the textbox"
    turn = visit._turn(lambda: (keys.type("2,5 miljoen"), keys.press("Enter")))
    assert turn["step"] == "credit_share"
    # Forward Tab from the textbox: the send button (a real button, with an outline too).
    keys.press("Tab")
    assert "intake-send" in visit.deep_active()
    visit.shoot()
    keys.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert "intake-launcher" in visit.deep_active(), "Escape returns focus to the launcher"
    expect(visit.launcher()).to_have_attribute("aria-expanded", "false")
    keys.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    assert visit.my_texts() == ["beide", focused, "2,5 miljoen"], "reopening keeps the chat"
    visit.assert_clean()


def test_a_dropped_connection_is_retried_with_the_same_message_id(visit: Visit) -> None:
    from playwright.sync_api import expect

    page = visit.page
    visit.open("/")
    lost: list[int] = []

    def drop_first_response(route: Any) -> None:
        if not lost:
            # The server gets the message and answers; the answer never reaches the browser.
            lost.append(route.fetch().status)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(MESSAGES, drop_first_response)
    record_statuses(page)
    turn = visit.click("Beide")
    assert lost == [200]
    assert turn["step"] == "sector"
    assert statuses(page) == [visit.labels["error_retry"]], "the prospect saw it retry"
    expect(page.locator(".intake-status")).to_be_hidden()
    posts = visit.message_posts()
    assert len(posts) == 2
    assert posts[0]["body"] == posts[1]["body"], "the retry is the same message, same id"
    # One answer only: in the widget and in the server's transcript.
    assert visit.my_texts() == ["Beide"]
    assert len([t for t in visit.bot_texts() if "Vraag 2 " in t]) == 1
    assert len(visit.server.session(visit.token() or "")["transcript"]) == 2
    visit.shoot()
    visit.assert_clean(expected_console="ERR_CONNECTION_RESET")


def test_after_giving_up_a_retry_button_sends_the_same_message(visit: Visit) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.clock.install()
    visit.open("/")
    page.route(MESSAGES, lambda route: route.abort("internetdisconnected"))
    page.get_by_role("button", name="Beide", exact=True).click()
    failed = page.get_by_text(visit.labels["error_failed"])
    for _ in range(20):
        if failed.is_visible():
            break
        page.wait_for_timeout(100)
        page.clock.fast_forward(16_000)
    expect(failed).to_be_visible()
    attempts = visit.message_posts()
    assert len(attempts) >= 3 and len({json.dumps(p["body"]) for p in attempts}) == 1
    visit.shoot("-failed")

    page.unroute(MESSAGES)
    retry = page.get_by_role("button", name=visit.labels["retry"], exact=True)
    assert visit.labels["retry"] != visit.labels["send"]
    turn = visit._turn(retry.click)
    assert turn["step"] == "sector"
    assert visit.message_posts()[-1]["body"] == attempts[0]["body"]
    assert visit.my_texts() == ["Beide"]
    expect(failed).to_be_hidden()
    visit.shoot()
    visit.assert_clean(expected_console="ERR_INTERNET_DISCONNECTED")


def test_axe_finds_no_serious_or_critical_violation(visit_factory: Callable[..., Visit]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    for viewport in ({"width": 1280, "height": 800}, {"width": 360, "height": 740}):
        visit = visit_factory(viewport=viewport)
        visit.open("/")
        visit.click("Beide")
        visit.assert_clean()  # before axe: its own script sets inline styles the CSP refuses
        results = Axe().run(visit.page)
        bad = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
        visit.shoot()
        assert bad == [], results.generate_report()
        minor = [f"{v['id']} ({v['impact']})" for v in results.response["violations"]]
        print(f"axe at {viewport['width']}px, minor findings: {minor}")


def test_requests_stay_on_the_server(visit: Visit) -> None:
    visit.open("/")
    visit.click("Beide")
    hosts = {urlsplit(r["url"]).netloc for r in visit.requests}
    assert hosts == {urlsplit(visit.server.base).netloc}
    paths = {urlsplit(r["url"]).path for r in visit.requests}
    assert {"/", "/widget.js", "/widget.css", "/api/v1/widget/config",
            "/api/v1/chat/sessions"} <= paths
    visit.shoot()
    visit.assert_clean()


# --- embedded on another website ----------------------------------------------------------------

HOSTILE_PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Andere website</title>
<link rel="icon" href="data:,">
<style>
  * { font-size: 40px !important; color: red; margin: 30px; box-sizing: content-box; }
  button { display: block; width: 900px; background: yellow; border-radius: 0; }
  div, section, p { padding: 50px; border: 5px dotted blue; position: static !important; }
  .intake-launcher, .intake-panel { display: none !important; }
</style></head>
<body><p class="own">Een andere website met eigen, onvriendelijke CSS.</p>
<script src="{base}/widget.js" defer></script></body></html>
"""


@pytest.fixture
def embedding_site(server: Server, tmp_path: Path) -> Iterator[str]:
    """A website on another origin (the one in INTAKE_WIDGET_ORIGINS) that embeds the widget."""
    (tmp_path / "index.html").write_text(HOSTILE_PAGE.replace("{base}", server.base), "utf-8")
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", server.embed_port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.embed_origin + "/index.html"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_embedded_on_another_site_with_hostile_css(visit: Visit, embedding_site: str) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.goto(embedding_site)
    own = page.locator("p.own")
    expect(own).to_be_visible()
    before = own.evaluate("p => getComputedStyle(p).fontFamily")
    launcher = visit.launcher()
    expect(launcher).to_be_visible()
    box = launcher.bounding_box()
    assert box["height"] < 80 and box["width"] < 300, "the host page's CSS does not reach in"
    launcher.click()
    visit.wait_settled()
    assert visit.click("Beide")["step"] == "sector"
    panel = page.get_by_role("dialog").bounding_box()
    assert panel["width"] <= 400
    assert own.evaluate("p => getComputedStyle(p).fontFamily") == before, \
        "the widget's CSS does not reach out"
    # The widget spoke to its own server, across origins (CORS for INTAKE_WIDGET_ORIGINS).
    api = {urlsplit(r["url"]).netloc for r in visit.requests if "/api/" in r["url"]}
    assert api == {urlsplit(visit.server.base).netloc}
    visit.shoot()
    visit.assert_clean()
