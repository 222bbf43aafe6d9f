"""The broker inbox's pages (Starlette routes under /broker): login and logout, the list of
leads, one lead (status, claim, erasure), the CSV export and the funnel. docs/inbox.md.

Server-rendered HTML (Jinja2, autoescaped: whatever a prospect typed is shown as text), one
CSS file (`bot/static/inbox.css`) and a small generated one with the broker's colour
(`/broker/theme.css`); no script. Every page of data needs a session (bot/inbox/auth.py):
without one a page redirects to the login (303) and the export answers 401. Every form post
carries the CSRF token; one without it gets 403. Pages are not cached (`no-store`).
"""

from __future__ import annotations

import asyncio
import hmac
import importlib
import math
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.handoff.summary import (
    AMSTERDAM,
    answer_section,
    contact_section,
    display_name,
    indication_sections,
    is_urgent,
)
from bot.inbox import leads as queries
from bot.inbox.auth import LIFETIME, FailedLogins, Session, Sessions
from bot.inbox.export import leads_csv
from bot.inbox.present import (
    CHANNEL_LABELS,
    EVENT_LABELS,
    STATE_LABELS,
    STATUS_LABELS,
    indication,
    local_time,
    product_list,
    products_text,
    texts,
    window,
)
from bot.inbox.users import verify
from bot.outbox import Route as HandoffRoute
from bot.outbox import claim_lead
from bot.store import Store
from bot.store.outbox import Claim, states
from bot.store.schema import LEAD_STATUSES
from flows.i18n import _, ngettext, number, percent

__all__ = ["LOGIN_COOKIE", "SESSION_COOKIE", "Inbox", "accent_colours"]

SESSION_COOKIE = "intake_broker"
LOGIN_COOKIE = "intake_login"
TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE_SIZE = 50
MAX_FORM_BYTES = 16 * 1024
REFERENCE = re.compile(r"^IK-\d{4}-\d{6,}$")
NO_STORE = {"Cache-Control": "no-store"}


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _darker(colour: str, factor: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{int(v * factor):02x}" for v in (r, g, b))


def accent_colours(brand: str) -> tuple[str, str, str]:
    """(accent, text on the accent, accent as text on white): the brand colour itself for
    surfaces with black or white text on it, whichever reads better, and the brand colour
    darkened until it reaches 4.5:1 on white for links and focus rings (WCAG AA)."""
    brand = brand.lower() if re.fullmatch(r"#[0-9a-fA-F]{6}", brand) else "#1f4e79"
    on = "#ffffff" if _contrast(brand, "#ffffff") >= _contrast(brand, "#000000") else "#000000"
    ink = brand
    while _contrast(ink, "#ffffff") < 4.5:
        ink = _darker(ink, 0.9)
    return brand, on, ink


def _duration(seconds: float | None) -> str:
    """'45 s', '2 min 5 s', '1 u 3 min' ('–' for None)."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    if whole < 60:
        return _("%(n)s s") % {"n": number(whole)}
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return _("%(m)s min %(s)s s") % {"m": number(minutes), "s": number(rest)}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)s h %(m)s min") % {"h": number(hours), "m": number(minutes)}


def _safe_next(value: str | None) -> str:
    """Where to go after the login: a path of the inbox only (no other site, no scheme)."""
    if value and value.startswith("/broker") and not any(
            bad in value for bad in ("//", "\\", "..", "\n", "\r")):
        return value
    return "/broker"


class Inbox:
    """The inbox of one service: its sessions, login limits and pages (`routes()`)."""

    def __init__(self, store: Store, *, secret: bytes,
                 handoff_routes: Sequence[HandoffRoute] = (), broker_name: str = "",
                 brand_color: str = "#1f4e79", failed_per_address: int = 20,
                 failed_per_account: int = 5, failed_window: float = 900.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.engine = store.engine
        self.sessions = Sessions(store.engine, secret, clock=clock)
        self.handoff_routes = tuple(handoff_routes)
        self.broker_name = broker_name or _("our advisory office")
        self.accent = accent_colours(brand_color)
        self.by_address = FailedLogins(failed_per_address, failed_window)
        self.by_account = FailedLogins(failed_per_account, failed_window)
        self.clock = clock
        self.env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                               autoescape=select_autoescape(default=True),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    # --- plumbing ------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/broker", self.leads_page, methods=["GET"]),
            Route("/broker/", self.leads_page, methods=["GET"]),
            Route("/broker/theme.css", self.theme, methods=["GET"]),
            Route("/broker/login", self.login_page, methods=["GET"]),
            Route("/broker/login", self.login, methods=["POST"]),
            Route("/broker/logout", self.logout, methods=["POST"]),
            Route("/broker/leads.csv", self.export, methods=["GET"]),
            Route("/broker/funnel", self.funnel_page, methods=["GET"]),
            Route("/broker/leads/{reference}", self.lead_page, methods=["GET"]),
            Route("/broker/leads/{reference}/status", self.change_status, methods=["POST"]),
            Route("/broker/leads/{reference}/claim", self.claim, methods=["POST"]),
            Route("/broker/leads/{reference}/erase", self.erase_page, methods=["GET"]),
            Route("/broker/leads/{reference}/erase", self.erase, methods=["POST"]),
        ]

    def _render(self, name: str, *, code: int = 200, session: Session | None = None,
                headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
        page = self.env.get_template(name).render(
            t=texts(), broker=self.broker_name, session=session, **context)
        return HTMLResponse(page, status_code=code, headers={**NO_STORE, **(headers or {})})

    def _message(self, title: str, text: str, status: int, session: Session | None = None,
                 headers: dict[str, str] | None = None) -> HTMLResponse:
        return self._render("message.html", code=status, session=session, headers=headers,
                            title=title, text=text)

    async def _session(self, request: Request) -> Session | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        return await asyncio.to_thread(self.sessions.resolve, cookie)

    @staticmethod
    def _to_login(request: Request) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/broker/login?" + urlencode({"next": _safe_next(target)}),
                                status_code=303, headers=NO_STORE)

    @staticmethod
    async def _form(request: Request) -> dict[str, str] | None:
        """The posted form (application/x-www-form-urlencoded), or None when it is not one."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return None
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return None
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                              max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            return None
        return dict(pairs)

    def _forbidden(self, session: Session | None = None) -> HTMLResponse:
        return self._message(_("Not allowed"), texts()["forbidden"], 403, session)

    @staticmethod
    def _csrf_ok(expected: str, form: dict[str, str] | None) -> bool:
        given = (form or {}).get("csrf_token", "")
        return bool(given) and hmac.compare_digest(given.encode(), expected.encode())

    async def _posted(self, request: Request) -> tuple[Session | None, dict[str, str] | None,
                                                       Response | None]:
        """A logged-in post with the right CSRF token: (session, form, None); else the
        response to give (the login for no session, 403 for a wrong or missing token)."""
        session = await self._session(request)
        if session is None:
            return None, None, self._to_login(request)
        form = await self._form(request)
        if not self._csrf_ok(session.csrf, form):
            return session, None, self._forbidden(session)
        return session, form, None

    def _not_found(self, session: Session) -> HTMLResponse:
        t = texts()
        return self._message(t["not_found_title"], t["not_found"], 404, session)

    # --- theme ----------------------------------------------------------------------------

    async def theme(self, _request: Request) -> Response:
        """The broker's colour as CSS variables (the page's style sheet uses them)."""
        accent, on, ink = self.accent
        css = f":root {{ --accent: {accent}; --on-accent: {on}; --accent-ink: {ink}; }}\n"
        return Response(css, media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300"})

    # --- login and logout -----------------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        if await self._session(request) is not None:
            return RedirectResponse(_safe_next(request.query_params.get("next")), 303,
                                    headers=NO_STORE)
        return self._login_form(request)

    def _login_form(self, request: Request, *, error: str = "", email: str = "",
                    status: int = 200, headers: dict[str, str] | None = None,
                    after: str | None = None) -> Response:
        nonce = request.cookies.get(LOGIN_COOKIE) or ""
        if not re.fullmatch(r"[A-Za-z0-9_-]{22,64}", nonce):
            nonce = secrets.token_urlsafe(24)
        response = self._render(
            "login.html", code=status, headers=headers, error=error, email=email,
            title=texts()["login_title"],
            csrf_token=self.sessions.login_csrf(nonce),
            next=_safe_next(after if after is not None else request.query_params.get("next")))
        response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, path="/broker/login",
                            httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")
        return response

    async def login(self, request: Request) -> Response:
        form = await self._form(request)
        nonce = request.cookies.get(LOGIN_COOKIE)
        t = texts()
        if form is None or not nonce or not self._csrf_ok(self.sessions.login_csrf(nonce), form):
            return self._message(t["forbidden_title"], t["login_expired"], 403)
        email = form.get("email", "").strip()
        password = form.get("password", "")
        address = request.client.host if request.client else ""
        account = email.lower()
        wait = max(self.by_address.wait(address), self.by_account.wait(account))
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            too_many = ngettext("Too many failed attempts. Try again in %(minutes)d minute.",
                                "Too many failed attempts. Try again in %(minutes)d minutes.",
                                minutes) % {"minutes": minutes}
            return self._login_form(request, error=too_many,
                                    email=email, status=429, after=form.get("next"),
                                    headers={"Retry-After": str(math.ceil(wait))})
        user = await asyncio.to_thread(verify, self.engine, email, password)
        if user is None:
            self.by_address.failed(address)
            self.by_account.failed(account)
            return self._login_form(request, error=t["login_failed"], email=email, status=401,
                                    after=form.get("next"))
        self.by_account.clear(account)
        cookie = await asyncio.to_thread(self.sessions.create, user.id)
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            await asyncio.to_thread(self.sessions.drop, old)
        response = RedirectResponse(_safe_next(form.get("next")), 303, headers=NO_STORE)
        response.set_cookie(SESSION_COOKIE, cookie, max_age=int(LIFETIME.total_seconds()),
                            path="/broker", httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")
        response.delete_cookie(LOGIN_COOKIE, path="/broker/login")
        return response

    async def logout(self, request: Request) -> Response:
        _who, _form, refused = await self._posted(request)
        if refused is not None:
            return refused
        await asyncio.to_thread(self.sessions.drop, request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/broker/login", 303, headers=NO_STORE)
        response.delete_cookie(SESSION_COOKIE, path="/broker")
        return response

    # --- the list ---------------------------------------------------------------------------

    @staticmethod
    def _filters(request: Request) -> tuple[str | None, str | None]:
        status = request.query_params.get("status") or None
        channel = request.query_params.get("channel") or None
        return (status if status in LEAD_STATUSES else None,
                channel if channel in queries.CHANNELS else None)

    async def leads_page(self, request: Request) -> Response:
        session = await self._session(request)
        if session is None:
            return self._to_login(request)
        status, channel = self._filters(request)
        try:
            page = max(1, min(10_000, int(request.query_params.get("page", "1"))))
        except ValueError:
            page = 1
        rows, total = await asyncio.to_thread(
            queries.lead_rows, self.engine, status=status, channel=channel, limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE)
        t = texts()
        erased = request.query_params.get("erased", "")
        notice = t["erased_notice"] % {"reference": erased} if REFERENCE.match(erased) else ""

        def link(base: str = "/broker", **changes: Any) -> str:
            query = {k: v for k, v in {"status": status, "channel": channel, **changes}.items()
                     if v}
            return base + ("?" + urlencode(query) if query else "")

        return self._render(
            "list.html", session=session, title=t["leads"], leads=[self._row(r) for r in rows],
            total=total, status=status or "", channel=channel or "", notice=notice,
            statuses=[(s, _(STATUS_LABELS[s])) for s in LEAD_STATUSES],
            channels=[(c, _(CHANNEL_LABELS[c])) for c in queries.CHANNELS],
            export=link("/broker/leads.csv"),
            newer=link(page=page - 1 if page > 2 else None) if page > 1 else "",
            older=link(page=page + 1) if page * PAGE_SIZE < total else "",
        )

    @staticmethod
    def _row(row: queries.LeadRow) -> dict[str, Any]:
        data = row.data
        contact = data.get("contact") or {}
        return {
            "reference": row.reference,
            "received": local_time(row.created_at),
            "company": display_name(data),
            "contact": " ".join(str(contact.get("name") or "").split()),
            "products": products_text(data),
            "product_list": product_list(data),
            "indication": indication(data),
            "status": row.status,
            "status_label": _(STATUS_LABELS.get(row.status, row.status)),
            "owner": row.claimed_by or "",
            "urgent": is_urgent(data),
            "window": window(data),
            "channel": _(CHANNEL_LABELS.get(row.channel, row.channel)),
        }

    # --- one lead ----------------------------------------------------------------------------

    async def lead_page(self, request: Request) -> Response:
        session = await self._session(request)
        if session is None:
            return self._to_login(request)
        reference = request.path_params["reference"]
        lead = await asyncio.to_thread(queries.load_lead, self.engine, reference)
        if lead is None:
            return self._not_found(session)

        def gather() -> tuple[Any, Any, Any]:
            return (states(self.engine, reference), queries.history(self.engine, reference),
                    queries.transcript(self.engine, lead.chat_key))

        deliveries, changes, said = await asyncio.to_thread(gather)
        t = texts()
        notices = {"saved": t["status_saved"], "won": t["claimed_you"]}
        notice = notices.get(request.query_params.get("done", ""), "")
        if request.query_params.get("done") == "lost":
            notice = t["claimed_other"] % {"who": lead.claimed_by or ""}
        data = lead.data
        return self._render(
            "lead.html", session=session, title=f"{display_name(data)} – {lead.reference}",
            lead=self._row(lead), notice=notice,
            claimed_by=lead.claimed_by, claimed_at=local_time(lead.claimed_at),
            intent=t["callback_request"] if data.get("intent") == "callback"
            else t["quote_request"],
            contact=contact_section(data), answers=answer_section(data),
            quote=indication_sections(data, offers=True),
            disclaimer=(data.get("quote") or {}).get("disclaimer", ""),
            deliveries=[{"target": d.target, "event": _(EVENT_LABELS.get(d.type, d.type)),
                         "state": d.state, "state_label": _(STATE_LABELS.get(d.state, d.state)),
                         "attempts": d.attempts, "error": d.last_error or "",
                         "finished": local_time(d.finished_at)} for d in deliveries],
            history=[{"status": _(STATUS_LABELS.get(c.status, c.status)), "by": c.by,
                      "at": local_time(c.at)} for c in changes],
            created=local_time(lead.created_at),
            transcript=said, transcript_open=request.query_params.get("transcript") == "open",
            statuses=[(s, _(STATUS_LABELS[s])) for s in LEAD_STATUSES],
        )

    async def change_status(self, request: Request) -> Response:
        session, form, refused = await self._posted(request)
        if refused is not None or session is None or form is None:
            return refused or self._forbidden()
        reference = request.path_params["reference"]
        status = form.get("status", "")
        if status not in LEAD_STATUSES:
            return self._message(_("Not allowed"), _("Unknown status."), 400, session)
        now = self.clock()
        lead = await asyncio.to_thread(queries.load_lead, self.engine, reference)
        if lead is None:
            return self._not_found(session)
        if status == "opgepakt" and lead.claimed_by is None:
            claim = await self._take(lead, session.email, now)
            if not claim.exists:
                return self._not_found(session)
            done = "won" if claim.won else "lost"
        else:
            changed = await asyncio.to_thread(queries.set_status, self.engine, reference,
                                              status, session.email, now)
            if changed is None:
                return self._not_found(session)
            done = "saved"
        return RedirectResponse(f"/broker/leads/{reference}?done={done}", 303,
                                headers=NO_STORE)

    async def _take(self, lead: queries.LeadRow, by: str, at: datetime) -> Claim:
        """The claim of the brokers' group ("Ik bel deze"), made from the inbox."""
        return await asyncio.to_thread(claim_lead, self.engine, lead.reference, by=by, at=at,
                                       routes=self.handoff_routes)

    async def claim(self, request: Request) -> Response:
        session, _form, refused = await self._posted(request)
        if refused is not None or session is None:
            return refused or self._forbidden()
        reference = request.path_params["reference"]
        lead = await asyncio.to_thread(queries.load_lead, self.engine, reference)
        if lead is None:
            return self._not_found(session)
        claim = await self._take(lead, session.email, self.clock())
        if not claim.exists:
            return self._not_found(session)
        return RedirectResponse(f"/broker/leads/{reference}?done={'won' if claim.won else 'lost'}",
                                303, headers=NO_STORE)

    # --- erasure -----------------------------------------------------------------------------

    async def erase_page(self, request: Request) -> Response:
        session = await self._session(request)
        if session is None:
            return self._to_login(request)
        reference = request.path_params["reference"]
        lead = await asyncio.to_thread(queries.load_lead, self.engine, reference)
        if lead is None:
            return self._not_found(session)
        t = texts()
        return self._render("erase.html", session=session,
                            title=t["erase_confirm_title"] % {"reference": reference},
                            lead=self._row(lead))

    async def erase(self, request: Request) -> Response:
        session, _form, refused = await self._posted(request)
        if refused is not None or session is None:
            return refused or self._forbidden()
        reference = request.path_params["reference"]
        from bot.privacy import erase_reference

        erased = await asyncio.to_thread(erase_reference, self.store, reference,
                                         self.handoff_routes)
        if not erased:
            return self._not_found(session)
        return RedirectResponse("/broker?" + urlencode({"erased": reference}), 303,
                                headers=NO_STORE)

    # --- export ------------------------------------------------------------------------------

    async def export(self, request: Request) -> Response:
        session = await self._session(request)
        if session is None:
            return Response(_("Log in to the inbox first.") + "\n", 401,
                            media_type="text/plain; charset=utf-8", headers=NO_STORE)
        status, channel = self._filters(request)

        def build() -> str:
            return leads_csv(queries.iter_leads(self.engine, status=status, channel=channel))

        text = await asyncio.to_thread(build)
        day = self.clock().astimezone(AMSTERDAM).date().isoformat()
        return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
            **NO_STORE, "Content-Disposition": f'attachment; filename="leads-{day}.csv"'})

    # --- funnel ------------------------------------------------------------------------------

    @staticmethod
    def _day(value: str | None, default: date) -> date:
        try:
            return date.fromisoformat(value) if value else default
        except ValueError:
            return default

    async def funnel_page(self, request: Request) -> Response:
        session = await self._session(request)
        if session is None:
            return self._to_login(request)
        today = self.clock().astimezone(AMSTERDAM).date()
        until = self._day(request.query_params.get("until"), today)
        since = self._day(request.query_params.get("since"), until - timedelta(days=29))
        if since > until:
            since, until = until, since
        channel = request.query_params.get("channel") or None
        channel = channel if channel in queries.CHANNELS else None
        start = datetime.combine(since, time(), AMSTERDAM).astimezone(UTC)
        end = datetime.combine(until + timedelta(days=1), time(), AMSTERDAM).astimezone(UTC)
        t = texts()
        try:
            # bot/funnel.py computes the numbers and draws the chart (docs/funnel.md);
            # imported by name so the inbox runs (saying so) in a build without it.
            funnel_module: Any = importlib.import_module("bot.funnel")
        except ImportError:
            funnel_module = None
        rows: list[Any] = []
        svg: Markup | str = ""
        if funnel_module is not None:
            rows = await asyncio.to_thread(funnel_module.funnel, self.engine, channel=channel,
                                           since=start, until=end)
            draw = getattr(funnel_module, "funnel_svg", None)
            if not any(r.reached or r.stopped for r in rows):
                rows = []
            elif draw is not None:
                # The chart is the funnel module's own SVG, which escapes what it writes.
                svg = Markup(draw(rows))
        return self._render(
            "funnel.html", session=session, title=t["funnel_title"], svg=svg,
            rows=[{"label": r.label, "question_id": r.question_id, "reached": r.reached,
                   "stopped": r.stopped, "refused": r.refused,
                   "rate": percent(Decimal(round(r.refusal_rate * 100))),
                   "median": _duration(r.median_seconds)}
                  for r in rows if r.reached or r.stopped],
            available=funnel_module is not None, since=since.isoformat(),
            until=until.isoformat(), channel=channel or "",
            channels=[(c, _(CHANNEL_LABELS[c])) for c in queries.CHANNELS],
        )
