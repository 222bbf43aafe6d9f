"""The web chat API and the quotes API against the real Starlette app (httpx, in-process), on
SQLite and PostgreSQL: a whole conversation, idempotent retries, sessions that do not exist,
field errors, the transcript for a reload, the widget's configuration from the catalog."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from babel.messages.pofile import read_po

from bot.channels.web import LABELS, chat_key
from flows.i18n import catalog_path
from tests.support.webapp import PROFILE, ROUTE, WebApp, asgi_client, web_app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "quote-request.json"
XSS = "<img src=x onerror=alert(1)>"


@pytest_asyncio.fixture
async def api(db_url: str) -> AsyncIterator[tuple[WebApp, httpx.AsyncClient]]:
    with web_app(db_url) as built:
        async with asgi_client(built.app) as client:
            yield built, client


async def start(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    response = await client.post("/api/v1/chat/sessions")
    assert response.status_code == 201, response.text
    body = response.json()
    return body["token"], body["turn"]


async def say(client: httpx.AsyncClient, token: str, text: str | None = None, *,
              choice: str | None = None, mid: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"client_message_id": mid or uuid.uuid4().hex}
    if text is not None:
        body["text"] = text
    if choice is not None:
        body["choice"] = choice
    response = await client.post(f"/api/v1/chat/sessions/{token}/messages", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def texts(turn: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in turn["replies"])


def choice_ids(turn: dict[str, Any]) -> list[str]:
    return [c["id"] for r in turn["replies"] for c in r["choices"]]


# --- a conversation ----------------------------------------------------------------------------


async def test_a_whole_conversation_over_the_api_ends_in_a_lead(
        api: tuple[WebApp, httpx.AsyncClient]) -> None:
    built, client = api
    token, greeting = await start(client)
    assert len(token) == 43
    assert set(greeting) == {"replies", "step", "progress", "done", "lead"}
    assert greeting["step"] == "product" and "Van Dijk Assurantiën" in texts(greeting)
    assert "both" in choice_ids(greeting)
    turn = await say(client, token, choice="both")  # a button
    assert turn["step"] == "sector"
    for line in ROUTE[1:]:
        turn = await say(client, token, line)
    assert turn["done"] is True and turn["step"] == "done"
    lead = turn["lead"]
    assert lead["schema"] == "intake.lead/v1" and lead["channel"] == "web"
    assert lead["company"]["name"] == "Vries BV"
    assert built.store.lead(lead["reference"]) is not None
    # The token itself is nowhere in the database: only its hash names the chat.
    with built.store.engine.connect() as conn:
        keys = [row[0] for row in conn.exec_driver_sql("SELECT DISTINCT chat_key FROM turns")]
    assert keys == [chat_key(token)] and token not in keys[0]


async def test_the_same_client_message_id_gives_the_same_turn_and_changes_nothing(
        api: tuple[WebApp, httpx.AsyncClient]) -> None:
    built, client = api
    token, _ = await start(client)
    await say(client, token, "beide")
    first = await say(client, token, "aannemer", mid="m-2")
    assert first["step"] == "turnover"
    # The connection dropped; the widget sends the same message again (even garbled).
    again = await say(client, token, "aannemer", mid="m-2")
    other = await say(client, token, "iets heel anders", mid="m-2")
    assert again == first and other == first
    state = (await client.get(f"/api/v1/chat/sessions/{token}")).json()
    assert [e["said"] for e in state["transcript"]] == [None, "beide", "aannemer"]
    assert state["turn"]["step"] == "turnover"  # not advanced twice
    assert built.metrics.replays.labels("web")._value.get() == 2


async def test_unknown_and_malformed_tokens_are_404_and_create_nothing(
        api: tuple[WebApp, httpx.AsyncClient]) -> None:
    built, client = api
    unknown = "A" * 43
    for path in (f"/api/v1/chat/sessions/{unknown}", "/api/v1/chat/sessions/short"):
        response = await client.get(path)
        assert response.status_code == 404 and response.json()["error"] == "not_found"
        response = await client.post(f"{path}/messages",
                                     json={"text": "hallo", "client_message_id": "1"})
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert built.store.count("conversations") == 0 and built.store.count("turns") == 0


async def test_a_session_survives_a_new_process(db_url: str) -> None:
    """A token is checked against the database, not only this process's memory."""
    with web_app(db_url) as first:
        async with asgi_client(first.app) as client:
            token, _ = await start(client)
            await say(client, token, "beide")
    with web_app(db_url) as second:
        async with asgi_client(second.app) as client:
            turn = await say(client, token, "aannemer")
            assert turn["step"] == "turnover"


@pytest.mark.parametrize(("body", "where"), [
    ({"text": "hallo"}, ["client_message_id"]),
    ({"client_message_id": "1"}, []),
    ({"client_message_id": "1", "text": "ja", "choice": "yes"}, []),
    ({"client_message_id": "", "text": "ja"}, ["client_message_id"]),
    ({"client_message_id": "x" * 101, "text": "ja"}, ["client_message_id"]),
    ({"client_message_id": "met spatie", "text": "ja"}, ["client_message_id"]),
    ({"client_message_id": "1", "text": 42}, ["text"]),
    ({"client_message_id": "1", "text": "a" * 4097}, ["text"]),
    ({"client_message_id": "1", "text": "ja", "extra": True}, ["extra"]),
    ([1, 2], []),
])
async def test_a_bad_message_body_is_422_with_field_errors(
        api: tuple[WebApp, httpx.AsyncClient], body: Any, where: list[str]) -> None:
    _built, client = api
    token, _ = await start(client)
    response = await client.post(f"/api/v1/chat/sessions/{token}/messages", json=body)
    assert response.status_code == 422
    data = response.json()
    assert data["error"] == "invalid"
    assert any(e["loc"] == where for e in data["detail"]), data
    assert all(set(e) == {"loc", "msg", "type"} for e in data["detail"])
    assert "a" * 100 not in response.text  # no input echoed


async def test_not_json_is_refused(api: tuple[WebApp, httpx.AsyncClient]) -> None:
    _built, client = api
    token, _ = await start(client)
    url = f"/api/v1/chat/sessions/{token}/messages"
    response = await client.post(url, content=b'{"text": "ja", "client_message_id": "1"}',
                                 headers={"content-type": "text/plain"})
    assert response.status_code == 415
    response = await client.post(url, content=b"{not json",
                                 headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "json_invalid"


# --- the call-back, XSS as data, erasure ---------------------------------------------------------


async def test_bel_mij_at_any_step_switches_to_the_call_back_path(
        api: tuple[WebApp, httpx.AsyncClient]) -> None:
    _built, client = api
    token, _ = await start(client)
    await say(client, token, "beide")
    await say(client, token, "groothandel")
    turn = await say(client, token, "bel mij")  # the widget's "Bel mij" button sends this
    assert turn["step"].startswith("cb_"), turn
    for line in ("Jan de Vries", "0612345678"):
        turn = await say(client, token, line)
    assert turn["step"] == "cb_moment"
    turn = await say(client, token, choice="morning")
    assert "Klopt dat?" in texts(turn)  # the call-back window shown back
    turn = await say(client, token, choice="yes")
    assert turn["step"] == "cb_consent"
    turn = await say(client, token, choice="yes")
    assert turn["done"] and turn["lead"]["intent"] == "callback"


async def test_a_company_name_with_markup_is_stored_and_returned_as_literal_text(
        api: tuple[WebApp, httpx.AsyncClient]) -> None:
    built, client = api
    token, _ = await start(client)
    for line in ROUTE[:ROUTE.index("Vries BV")]:
        turn = await say(client, token, line)
    assert turn["step"] == "company_name"
    response = await client.post(f"/api/v1/chat/sessions/{token}/messages",
                                 json={"text": XSS, "client_message_id": "xss"})
    assert response.headers["content-type"] == "application/json"
    for line in ROUTE[ROUTE.index("Vries BV") + 1:]:
        turn = await say(client, token, line)
    assert turn["lead"]["company"]["name"] == XSS
    assert built.store.lead(turn["lead"]["reference"])["company"]["name"] == XSS  # type: ignore[index]
    state = await client.get(f"/api/v1/chat/sessions/{token}")
    # JSON text, byte for byte: not HTML-escaped, not stripped.
    assert json.dumps(XSS)[1:-1] in state.text
    assert any(e["said"] == XSS for e in state.json()["transcript"])


async def test_after_vergeet_mij_the_session_is_gone(
        api: tuple[WebApp, httpx.AsyncClient]) -> None:
    built, client = api
    token, _ = await start(client)
    await say(client, token, "beide")
    asked = await say(client, token, "vergeet mij")
    confirm = [c for c in choice_ids(asked) if "yes" in c or "erase" in c]
    assert confirm, asked
    await say(client, token, choice=confirm[0])
    assert (await client.get(f"/api/v1/chat/sessions/{token}")).status_code == 404
    response = await client.post(f"/api/v1/chat/sessions/{token}/messages",
                                 json={"text": "hallo", "client_message_id": "after"})
    assert response.status_code == 404
    assert built.store.count("conversations") == 0


# --- the transcript --------------------------------------------------------------------------


async def test_the_transcript_restores_a_reload(api: tuple[WebApp, httpx.AsyncClient]) -> None:
    _built, client = api
    token, greeting = await start(client)
    first = await say(client, token, choice="credit")
    second = await say(client, token, "transportbedrijf")
    response = await client.get(f"/api/v1/chat/sessions/{token}")
    assert response.status_code == 200
    state = response.json()
    assert set(state) == {"token", "transcript", "turn"} and state["token"] == token
    assert state["transcript"] == [
        {"said": None, "choice": None, "turn": greeting},
        {"said": "Kredietverzekering", "choice": "credit", "turn": first},
        {"said": "transportbedrijf", "choice": None, "turn": second},
    ]
    assert state["turn"] == second


# --- the widget's configuration --------------------------------------------------------------


async def test_widget_config_has_the_broker_and_every_label_in_dutch_from_the_catalog(
        api: tuple[WebApp, httpx.AsyncClient]) -> None:
    _built, client = api
    response = await client.get("/api/v1/widget/config")
    assert response.status_code == 200
    config = response.json()
    assert config["broker"] == {"name": PROFILE.name, "color": "#0b6e4f",
                                "phone": "020-1234567"}
    labels = config["labels"]
    assert set(labels) == {"launcher", "title", "input_label", "input_placeholder", "send",
                           "callback", "close", "typing", "progress", "error_retry",
                           "error_failed", "retry", "restart"} == set(LABELS)
    documented = (await client.get("/openapi.json")).json()["components"]["schemas"]["LabelsOut"]
    assert set(documented["properties"]) == set(documented["required"]) == set(LABELS)
    with open(catalog_path(), "rb") as po:
        catalog = read_po(po, locale="nl")
    for key, message_id in LABELS.items():
        dutch = catalog[message_id].string
        assert dutch and labels[key] == dutch and labels[key] != message_id, key
    assert "chat" in labels["launcher"].lower()
    assert "{current}" in labels["progress"] and "{total}" in labels["progress"]
    assert labels["callback"] == "Bel mij"


# --- the quotes API --------------------------------------------------------------------------


async def test_quotes_api_reproduces_the_seed_figures(
        api: tuple[WebApp, httpx.AsyncClient]) -> None:
    _built, client = api
    # Seed 000: EUR 1m with a mixed portfolio lands around EUR 2,000-4,000 (the pricing tests'
    # credit_request profile); seed 003: 600k - 300k variable costs insures 300k gross profit.
    body = {"sector": "groothandel", "turnover_eur": 1_000_000,
            "credit": {"credit_share_pct": 100, "debtor_count": 30, "top5_share_pct": 40,
                       "payment_term_days": 30, "export_share_pct": 0,
                       "bad_debt_3y_eur": 2000}}
    response = await client.post("/api/v1/quotes", json=body)
    assert response.status_code == 200, response.text
    credit = response.json()["credit"]
    assert 2000 <= credit["premium_low_eur"] <= credit["premium_high_eur"] <= 4000
    assert response.json()["disclaimer"].startswith("Dit is een indicatie")
    bi = {"sector": "groothandel", "turnover_eur": 600_000,
          "bi": {"variable_costs_eur": 300_000}}
    response = await client.post("/api/v1/quotes", json=bi)
    assert response.status_code == 200 and response.json()["bi"]["insured_sum_eur"] == 300_000
    example = json.loads(EXAMPLE.read_text())
    response = await client.post("/api/v1/quotes", json=example)
    assert response.json()["bi"]["insured_sum_eur"] == 400_000


async def test_quotes_api_gives_field_errors(api: tuple[WebApp, httpx.AsyncClient]) -> None:
    _built, client = api
    bad = json.loads(EXAMPLE.read_text())
    bad["credit"]["debtor_count"] = -3
    bad["turnover_eur"] = "veel"
    response = await client.post("/api/v1/quotes", json=bad)
    assert response.status_code == 422
    where = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert ("credit", "debtor_count") in where and ("turnover_eur",) in where
    assert "veel" not in response.text
    response = await client.post("/api/v1/quotes", json={"sector": "bouw",
                                                         "turnover_eur": 500_000})
    assert response.status_code == 422  # no product asked for


@pytest.mark.parametrize("raw", ["5e-324", "1e400", "-0", "NaN", "Infinity", "-Infinity",
                                 "1" + "0" * 39, '"1E+999999999"', "1e-30"])
@pytest.mark.parametrize("field", [("turnover_eur",), ("credit", "credit_share_pct"),
                                   ("credit", "bad_debt_3y_eur")], ids=".".join)
async def test_quotes_api_refuses_absurd_amounts_with_a_field_error(
        api: tuple[WebApp, httpx.AsyncClient], field: tuple[str, ...], raw: str) -> None:
    """Never a 500: 5e-324 used to raise decimal.InvalidOperation inside the pricing."""
    _built, client = api
    request: dict[str, Any] = json.loads(EXAMPLE.read_text())
    del request["bi"]  # credit only: a BI block would refuse a tiny turnover on its own
    target = request
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = "@@"
    body = json.dumps(request).replace('"@@"', raw)
    response = await client.post("/api/v1/quotes", content=body,
                                 headers={"content-type": "application/json"})
    if field == ("credit", "bad_debt_3y_eur") and raw in ("-0", "5e-324", "1e-30"):
        # No bad debts, as far as cents go: a fine answer, priced.
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [list(field)]


async def test_openapi_describes_every_api_route(api: tuple[WebApp, httpx.AsyncClient]) -> None:
    built, client = api
    spec = (await client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    served = {r.path for r in built.app.routes if getattr(r, "path", "").startswith("/api/")}
    assert served == set(spec["paths"])
    message = spec["paths"]["/api/v1/chat/sessions/{token}/messages"]["post"]
    assert {"200", "404", "413", "422", "429"} <= set(message["responses"])
    schemas = spec["components"]["schemas"]
    assert set(schemas["TurnOut"]["required"]) == {"replies", "step", "progress", "done",
                                                   "lead"}
