"""The inbox's leads on SQLite and PostgreSQL: the list and its filters, a lead's page, status
changes and their history, one claim shared with the brokers' Telegram group, erasure."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from bot import outbox as handoff
from bot.store.outbox import take_lead
from bot.store.schema import lead_status, leads, outbox
from tests.broker.conftest import EMAIL, ROUTES, Broker, with_company
from tests.support.webapp import ROUTE

CALLBACK = [*ROUTE[:6], "bel mij", "Piet Jansen", "06 1234 5678", "zo snel mogelijk", "ja", "ja"]


@pytest.fixture
def db_path(db_url: str) -> str:
    """Every test here on SQLite and on PostgreSQL."""
    return db_url


def _text(html: str) -> str:
    """The page's text without tags, whitespace collapsed (what a reader sees, roughly)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _group_claim(broker: Broker, reference: str, by: str, user_id: int) -> object:
    """The brokers' Telegram group's "Ik bel deze" (bot.service._claim), called directly."""
    at = datetime.now(UTC)

    def rows(chat_key: str | None) -> list[dict[str, object]]:
        return handoff.claim_rows(reference, by=by, at=at, telegram_user_id=user_id,
                                  chat_key=chat_key, routes=ROUTES)

    return take_lead(broker.store.engine, reference, by, at, rows)


async def test_the_list_shows_leads_newest_first_and_filters(broker: Broker) -> None:
    first = await broker.lead(with_company("Eerste Bouw BV"))
    second = await broker.lead(CALLBACK)
    await broker.login()
    page = await broker.client.get("/broker")
    assert page.status_code == 200
    html = page.text
    assert html.index(second) < html.index(first)  # newest first
    text = _text(html)
    assert "Eerste Bouw BV" in text and "Piet Jansen" in text
    assert "Kredietverzekering Bedrijfsschadeverzekering" in text
    assert "Nieuw" in text and "nog niemand" in text
    assert "Terugbellen" in text  # the call-back request is marked urgent
    assert re.search(r"Kredietverzekering: € [\d.]+ – € [\d.]+", text.replace("\xa0", " "))
    assert "2 van 2 leads" in text
    # Filters: a status, a channel; a value that is not one is ignored.
    await _set(broker, first, "gebeld")
    gebeld = _text((await broker.client.get("/broker", params={"status": "gebeld"})).text)
    assert first in gebeld and second not in gebeld and "1 van 1 leads" in gebeld
    web = _text((await broker.client.get("/broker", params={"channel": "web"})).text)
    assert first in web and second in web
    telegram = (await broker.client.get("/broker", params={"channel": "telegram"})).text
    assert first not in telegram and "Er zijn geen leads die aan deze filters voldoen." in telegram
    odd = await broker.client.get("/broker", params={"status": "x' OR 1=1", "page": "zz"})
    assert odd.status_code == 200 and first in odd.text


async def _set(broker: Broker, reference: str, status: str) -> None:
    token = await broker.csrf(f"/broker/leads/{reference}")
    response = await broker.client.post(f"/broker/leads/{reference}/status",
                                        data={"status": status, "csrf_token": token})
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"/broker/leads/{reference}?done=")


async def test_the_lead_page_has_answers_quote_transcript_delivery_and_history(
        broker: Broker) -> None:
    reference = await broker.lead()
    await broker.login()
    page = await broker.client.get(f"/broker/leads/{reference}")
    assert page.status_code == 200
    text = _text(page.text).replace("\xa0", " ")
    lead = broker.store.lead(reference)
    assert lead is not None
    # Contact and every answer, as the e-mail shows them.
    for shown in ("Jan de Vries", "Vries BV", "jan@vries.nl", "+31 6 12345678",
                  "€ 1.200.000", "Kredietverzekering", "Bedrijfsschadeverzekering"):
        assert shown in text, shown
    # The quote per insurer product.
    for offer in lead["quote"]["credit"]["offers"]:
        assert f"{offer['insurer']} {offer['product']}" in text
    assert lead["quote"]["disclaimer"] in text
    # The whole transcript: every answer typed, and the bot's first and last words.
    for said in ("we zijn een aannemer", "1,2 miljoen", "Jan de Vries", "0612345678"):
        assert said in text
    assert "Prospect" in text and "Assistent" in text
    assert reference in text
    # The delivery state per hand-off target (the lead.created row of the configured webhook).
    assert "webhook" in text and "Nieuwe lead" in text and "Wacht" in text
    assert "lead ontvangen" in text  # the history starts with the lead itself


async def test_status_changes_are_kept_with_who_and_when(broker: Broker) -> None:
    reference = await broker.lead()
    await broker.login()
    for status in ("gebeld", "offerte aangevraagd", "offerte aangevraagd", "afgesloten"):
        await _set(broker, reference, status)
    with broker.store.engine.connect() as conn:
        history = conn.execute(select(lead_status.c.status, lead_status.c.by)
                               .order_by(lead_status.c.id)).all()
        current = conn.execute(select(leads.c.status, leads.c.claimed_by)).one()
    # The same status twice is one change; a status change is not a claim.
    assert [tuple(r) for r in history] == [("gebeld", EMAIL), ("offerte aangevraagd", EMAIL),
                                           ("afgesloten", EMAIL)]
    assert tuple(current) == ("afgesloten", None)
    text = _text((await broker.client.get(f"/broker/leads/{reference}")).text)
    history_part = text[text.index("Statusgeschiedenis"):]
    assert history_part.index("Gebeld") < history_part.index("Offerte aangevraagd") \
        < history_part.index("Afgesloten")
    assert EMAIL in history_part
    assert "Status opgeslagen." in _text(
        (await broker.client.get(f"/broker/leads/{reference}?done=saved")).text)
    # An unknown status is refused; a lead that does not exist is 404.
    token = await broker.csrf()
    bad = await broker.client.post(f"/broker/leads/{reference}/status",
                                   data={"status": "verkocht", "csrf_token": token})
    assert bad.status_code == 400
    missing = await broker.client.post("/broker/leads/IK-2026-999999/status",
                                       data={"status": "gebeld", "csrf_token": token})
    assert missing.status_code == 404


async def test_a_claim_in_the_inbox_and_in_the_group_are_one_claim(broker: Broker) -> None:
    ours, theirs = await broker.lead(), await broker.lead(with_company("Groep BV"))
    await broker.login()
    # The inbox first: the group's later press finds it taken, by us.
    token = await broker.csrf(f"/broker/leads/{ours}")
    response = await broker.client.post(f"/broker/leads/{ours}/claim",
                                        data={"csrf_token": token})
    assert response.headers["location"] == f"/broker/leads/{ours}?done=won"
    late = _group_claim(broker, ours, "Piet (Telegram)", 42)
    assert (late.won, late.by) == (False, EMAIL)  # type: ignore[attr-defined]
    # The group first: the inbox shows its owner and its claim cannot be taken again.
    first = _group_claim(broker, theirs, "Anna de Groot", 7)
    assert first.won  # type: ignore[attr-defined]
    page = _text((await broker.client.get(f"/broker/leads/{theirs}")).text)
    assert "Opgepakt door Anna de Groot" in page and "Ik bel deze" not in page
    assert "Opgepakt" in page
    token = await broker.csrf(f"/broker/leads/{theirs}")
    again = await broker.client.post(f"/broker/leads/{theirs}/claim", data={"csrf_token": token})
    assert again.headers["location"] == f"/broker/leads/{theirs}?done=lost"
    lost = _text((await broker.client.get(again.headers["location"])).text)
    assert "Iemand anders was eerder: Anna de Groot heeft deze lead." in lost
    # Status "opgepakt" chosen in the form is the same claim (and loses the same way).
    again = await broker.client.post(f"/broker/leads/{theirs}/status",
                                     data={"status": "opgepakt", "csrf_token": token})
    assert again.headers["location"] == f"/broker/leads/{theirs}?done=saved"
    with broker.store.engine.connect() as conn:
        owners = dict(conn.execute(select(leads.c.reference, leads.c.claimed_by)).all())
        statuses = dict(conn.execute(select(leads.c.reference, leads.c.status)).all())
        history = conn.execute(select(lead_status.c.reference, lead_status.c.by)
                               .order_by(lead_status.c.id)).all()
        claimed = conn.execute(select(outbox.c.reference, outbox.c.payload)
                               .where(outbox.c.type == "lead.claimed")
                               .order_by(outbox.c.id)).all()
    assert owners == {ours: EMAIL, theirs: "Anna de Groot"}
    assert statuses == {ours: "opgepakt", theirs: "opgepakt"}
    assert [tuple(r) for r in history] == [(ours, EMAIL), (theirs, "Anna de Groot")]
    # One lead.claimed per lead for the webhook, whoever claimed it.
    assert [r.reference for r in claimed] == [ours, theirs]
    assert json.loads(claimed[0].payload)["data"]["claimed_by"]["name"] == EMAIL
    # The list shows both owners.
    listing = _text((await broker.client.get("/broker")).text)
    assert EMAIL in listing and "Anna de Groot" in listing


async def test_a_claim_from_the_status_form_claims_an_unclaimed_lead(broker: Broker) -> None:
    reference = await broker.lead()
    await broker.login()
    await _set(broker, reference, "opgepakt")
    with broker.store.engine.connect() as conn:
        row = conn.execute(select(leads.c.status, leads.c.claimed_by)).one()
    assert tuple(row) == ("opgepakt", EMAIL)
    # A lead that moved on before it was claimed keeps its status when claimed later.
    other = await broker.lead()
    await _set(broker, other, "gebeld")
    assert _group_claim(broker, other, "Kees", 9).won  # type: ignore[attr-defined]
    with broker.store.engine.connect() as conn:
        status = conn.execute(select(leads.c.status).where(leads.c.reference == other))\
            .scalar_one()
    assert status == "gebeld"


async def test_erasing_from_the_lead_page(broker: Broker) -> None:
    reference = await broker.lead()
    keep = await broker.lead(with_company("Blijft BV"))
    await broker.login()
    await _set(broker, reference, "gebeld")
    lead_page = await broker.client.get(f"/broker/leads/{reference}")
    assert f'href="/broker/leads/{reference}/erase"' in lead_page.text
    # A confirmation step first: the GET erases nothing.
    confirm = await broker.client.get(f"/broker/leads/{reference}/erase")
    assert confirm.status_code == 200
    assert f"{reference} verwijderen?" in _text(confirm.text)
    assert broker.store.lead(reference) is not None
    response = await broker.client.post(f"/broker/leads/{reference}/erase",
                                        data={"csrf_token": await broker.csrf()})
    assert response.status_code == 303
    assert response.headers["location"] == f"/broker?erased={reference}"
    assert broker.store.lead(reference) is None
    gone = await broker.client.get(f"/broker/leads/{reference}")
    assert gone.status_code == 404 and "Jan de Vries" not in gone.text
    listing = await broker.client.get(response.headers["location"])
    text = _text(listing.text)
    assert f"Lead {reference} en alles wat de prospect ons vertelde, zijn verwijderd." in text
    assert f'href="/broker/leads/{reference}"' not in listing.text and keep in text
    export = (await broker.client.get("/broker/leads.csv")).text
    assert reference not in export and keep in export
    with broker.store.engine.connect() as conn:
        history = conn.execute(select(lead_status.c.reference)).scalars().all()
        erased = conn.execute(select(outbox.c.reference, outbox.c.payload)
                              .where(outbox.c.type == "lead.erased")).all()
    assert history == []  # the status history went with the lead
    assert [r.reference for r in erased] == [reference]  # passed on to the webhook
    assert "Jan" not in erased[0].payload
    again = await broker.client.post(f"/broker/leads/{reference}/erase",
                                     data={"csrf_token": await broker.csrf()})
    assert again.status_code == 404


async def test_a_lead_without_a_transcript_or_quote_still_shows(broker: Broker) -> None:
    reference = await broker.lead()
    with broker.store.engine.begin() as conn:
        data = json.loads(conn.execute(select(leads.c.data)).scalar_one())
        data["quote"] = None
        conn.execute(update(leads).values(data=json.dumps(data), chat_key="telegram:1"))
    await broker.login()
    page = await broker.client.get(f"/broker/leads/{reference}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Het gesprek is niet meer bewaard." in text and "geen indicatie" in text
