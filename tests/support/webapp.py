"""The web app as `intake serve` builds it: in-process for httpx and schemathesis, or as a
subprocess on a loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from bot.channels.web import WebChannel
from bot.config import BrokerProfile
from bot.http import MIB, WebOptions, build_app
from bot.metrics import MeteredRuntime, Metrics
from bot.runtime import Runtime
from bot.store import Store
from tests.support.net import free_port

__all__ = ["PROFILE", "ROUTE", "ServedIntake", "WebApp", "asgi_client", "intake_serve",
           "web_app"]

ROOT = Path(__file__).resolve().parents[2]

PROFILE = BrokerProfile(name="Van Dijk Assurantiën", phone="020-1234567",
                        brand_color="#0b6e4f")

# A complete conversation, answered the way prospects type (tests/support/dialogue.ROUTE), up to
# and including consent ("ja" to the call-back window shown back, "ja" to consent): the last turn
# is done and carries the lead.
ROUTE = ["beide", "we zijn een aannemer", "1,2 miljoen", "90", "40", "35%", "overslaan",
         "80.000", "30 dagen", "10%", "0", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja",
         "1", "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "0612345678",
         "overslaan", "ochtend", "ja", "ja"]


@dataclass
class WebApp:
    app: Starlette
    store: Store
    web: WebChannel
    metrics: Metrics


@contextmanager
def web_app(db_url: str, *, max_body_bytes: int = MIB, **options: Any) -> Iterator[WebApp]:
    """The app with a web channel over a metered runtime on `db_url` (migrated)."""
    store = Store(db_url)
    store.upgrade()
    metrics = Metrics(store)
    web = WebChannel(MeteredRuntime(Runtime(store, profile=PROFILE), metrics), PROFILE)
    app = build_app(store=store, metrics=metrics, web=web, max_body_bytes=max_body_bytes,
                    options=WebOptions(**options))
    try:
        yield WebApp(app, store, web, metrics)
    finally:
        store.dispose()


def asgi_client(app: Starlette, client: tuple[str, int] = ("127.0.0.1", 50000),
                base_url: str = "http://intake.test") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=client),
                             base_url=base_url)


@dataclass
class ServedIntake:
    proc: subprocess.Popen[str]
    base: str
    stderr: str = ""  # the log, once it has stopped


@contextmanager
def intake_serve(tmp_path: Path, **env: str) -> Iterator[ServedIntake]:
    """`intake serve` as a subprocess on a free loopback port with its own SQLite file."""
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    full.update({"INTAKE_HOST": "127.0.0.1", "INTAKE_PORT": str(port),
                 "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}", **env})
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"intake serve exited: {proc.stderr.read()}")  # type: ignore[union-attr]
            try:
                httpx.get(f"{base}/healthz", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError("intake serve did not come up") from None
                time.sleep(0.05)
        served = ServedIntake(proc, base)
        yield served
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            _out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
    served.stderr = err
