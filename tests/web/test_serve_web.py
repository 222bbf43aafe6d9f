"""The web chat against a real `intake serve` subprocess on loopback, configured only by INTAKE_*
variables: the demo page and the widget's files at once, a whole conversation over HTTP, a
restart in the middle, protection as configured, and no token in the log."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.support.webapp import ROUTE, intake_serve

BROKER_SITE = "https://www.vandijk.example"


def _say(client: httpx.Client, token: str, text: str, mid: str | None = None) -> httpx.Response:
    return client.post(f"/api/v1/chat/sessions/{token}/messages",
                       json={"text": text, "client_message_id": mid or uuid.uuid4().hex})


def test_intake_serve_shows_the_demo_page_and_runs_a_conversation_across_a_restart(
        tmp_path: Path) -> None:
    env = {"INTAKE_BROKER_NAME": "Van Dijk Assurantiën", "INTAKE_BRAND_COLOR": "#0B6E4F",
           "INTAKE_BROKER_PHONE": "020-1234567", "INTAKE_WIDGET_ORIGINS": BROKER_SITE}
    with intake_serve(tmp_path, **env) as served, \
            httpx.Client(base_url=served.base, timeout=10) as client:
        page = client.get("/")
        assert page.status_code == 200 and "widget.js" in page.text
        for response in (page, client.get("/widget.js"), client.get("/widget.css")):
            assert response.status_code == 200
            assert "unsafe-inline" not in response.headers["content-security-policy"]
            assert response.headers["x-content-type-options"] == "nosniff"
        assert client.get("/widget.js").headers["content-type"].startswith("text/javascript")
        config = client.get("/api/v1/widget/config").json()
        assert config["broker"] == {"name": "Van Dijk Assurantiën", "color": "#0b6e4f",
                                    "phone": "020-1234567"}
        assert config["labels"]["callback"] == "Bel mij"
        created = client.post("/api/v1/chat/sessions", headers={"Origin": BROKER_SITE})
        assert created.status_code == 201
        assert created.headers["access-control-allow-origin"] == BROKER_SITE
        assert created.headers["referrer-policy"] == "no-referrer"
        token = created.json()["token"]
        half = len(ROUTE) // 2
        for line in ROUTE[:half]:
            assert _say(client, token, line).status_code == 200
        waiting = client.get(f"/api/v1/chat/sessions/{token}").json()["turn"]["step"]
        refused = client.post("/api/v1/chat/sessions", headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers
    assert served.proc.returncode == 0
    assert token not in served.stderr, "a session token reached the log"

    # A new process on the same database: the prospect goes on where they were.
    with intake_serve(tmp_path, **env) as served, \
            httpx.Client(base_url=served.base, timeout=10) as client:
        state = client.get(f"/api/v1/chat/sessions/{token}").json()
        assert state["turn"]["step"] == waiting
        assert len(state["transcript"]) == half + 1
        for line in ROUTE[half:]:
            turn = _say(client, token, line).json()
        assert turn["done"] and turn["lead"]["channel"] == "web"
        assert turn["lead"]["contact"]["email"] == "jan@vries.nl"
        again = _say(client, token, "ja", mid="late-retry")
        assert _say(client, token, "nee", mid="late-retry").json() == again.json()
    assert token not in served.stderr and "jan@vries.nl" not in served.stderr


def test_intake_serve_limits_a_session_and_a_body(tmp_path: Path) -> None:
    with intake_serve(tmp_path, INTAKE_RATE_LIMIT_PER_SESSION="3",
                      INTAKE_MAX_BODY_BYTES="2048") as served, \
            httpx.Client(base_url=served.base, timeout=10) as client:
        token = client.post("/api/v1/chat/sessions").json()["token"]
        statuses = [_say(client, token, "beide", mid=str(i)).status_code for i in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = _say(client, token, "beide", mid="4")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert limited.headers["x-content-type-options"] == "nosniff"
        other = client.post("/api/v1/chat/sessions").json()["token"]
        assert _say(client, other, "x" * 4000).status_code == 413
