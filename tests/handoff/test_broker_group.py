"""The brokers' Telegram group: a lead arrives as a message with "Ik bel deze"; the first press
claims it, the message says for everyone who took it, a later press is told; two presses at
once: one wins. The real PTB Application against the Bot API stand-in on loopback, the real
outbox worker, the store on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel
from bot.handoff.broker_group import BrokerGroupTarget
from bot.outbox import OutboxWorker, routes_of
from bot.runtime import AsyncRuntime, Runtime
from bot.service import _claim
from bot.store import Store
from bot.store.schema import leads, outbox
from tests.handoff.test_outbox import _Named, finish_conversation, until
from tests.support.botapi import BotApiServer, botapi_fixture

botapi = botapi_fixture()
GROUP = -1001234567890


class Group:
    def __init__(self, server: BotApiServer, store: Store, runtime: Runtime) -> None:
        self.server = server
        self.store = store
        self.runtime = runtime

    def posts(self) -> list[dict[str, Any]]:
        return self.server.sent_messages(GROUP)

    def press(self, message_id: int, data: str, user_id: int, name: str) -> dict[str, Any]:
        update = self.server.make_callback_update(GROUP, data, message_id, user_id=user_id,
                                                  first_name=name)
        self.server.push_update(update)
        return update


@pytest_asyncio.fixture
async def group(botapi: BotApiServer, db_url: str) -> AsyncIterator[Group]:
    store = Store(db_url)
    store.upgrade()
    inner = Runtime(store, broker_name="Test Makelaars")
    # The group, plus a target that only records lead.claimed rows (a CRM).
    targets: list[Any] = [_Named("crm")]
    targets[0].events = frozenset({"lead.claimed"})
    channel = TelegramChannel(
        AsyncRuntime(inner), botapi.token, base_url=botapi.base_url, broker_chat_id=GROUP,
        on_claim=lambda ref, by, uid: _claim(store, targets, ref, by, uid))
    target = BrokerGroupTarget(channel.app.bot, GROUP)
    targets.append(target)
    worker = OutboxWorker(store, [target], first_delay=0.05)
    inner.routes = routes_of(targets)
    inner.on_enqueue = worker.wake
    await channel.start()
    await worker.start()
    try:
        yield Group(botapi, store, inner)
    finally:
        await worker.stop()
        await channel.stop()
        store.dispose()


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_a_lead_is_posted_with_the_claim_button_and_the_first_press_wins(
        group: Group) -> None:
    reference = await asyncio.to_thread(finish_conversation, group.runtime, "test:group")
    await until(lambda: group.posts())
    [post] = group.posts()
    assert reference in post["text"] and "Vries BV" in post["text"]
    assert "+31 6 12345678" in post["text"]
    assert "jan@vries.nl" not in post["text"]  # the group reads along: no more than needed
    assert buttons(post) == [f"claim:{reference}"]
    message_id = group.server._next_message_id(GROUP) - 1

    # Two brokers press at the same moment.
    group.press(message_id, f"claim:{reference}", 7001, "Anna")
    group.press(message_id, f"claim:{reference}", 7002, "Bram")
    await group.server.wait_for("answerCallbackQuery", count=2, timeout=10)
    with group.store.engine.connect() as conn:
        claimed_by = conn.execute(select(leads.c.claimed_by)
                                  .where(leads.c.reference == reference)).scalar_one()
        claimed_rows = conn.execute(select(outbox.c.type).where(
            outbox.c.target == "crm")).scalars().all()
    assert claimed_by in ("Anna", "Bram")
    assert claimed_rows == ["lead.claimed"]  # one claim, one event
    answers = [c.params for c in group.server.calls if c.method == "answerCallbackQuery"]
    alerts = [a for a in answers if str(a.get("show_alert")).lower() == "true"]
    assert len(alerts) == 1 and "Al opgepakt" in alerts[0]["text"]
    assert claimed_by in alerts[0]["text"]
    edits = [c.params for c in group.server.calls if c.method == "editMessageText" and c.ok]
    assert edits and f"Opgepakt door {claimed_by}" in edits[0]["text"]
    assert reference in edits[0]["text"]

    # Later, a third broker: told who has it, nothing changes.
    group.press(message_id, f"claim:{reference}", 7003, "Cor")
    await group.server.wait_for("answerCallbackQuery", count=3, timeout=10)
    with group.store.engine.connect() as conn:
        assert conn.execute(select(leads.c.claimed_by).where(
            leads.c.reference == reference)).scalar_one() == claimed_by


async def test_a_press_in_another_group_or_for_a_lead_that_is_gone_claims_nothing(
        group: Group) -> None:
    group.server.push_update(group.server.make_callback_update(
        -100999, "claim:IK-2026-000001", 1, user_id=7001))
    group.press(1, "claim:IK-2099-999999", 7001, "Anna")
    await group.server.wait_for("answerCallbackQuery", count=1, timeout=10)
    [answer] = [c.params for c in group.server.calls if c.method == "answerCallbackQuery"]
    assert "bestaat niet meer" in answer["text"]


@pytest.mark.parametrize("company", ["<script>alert(1)</script> & Zn"])
def test_html_in_a_company_name_is_shown_literally(company: str) -> None:
    from bot.handoff.broker_group import lead_message
    from tests.handoff.support import lead_json

    text = lead_message(lead_json(company=company))
    assert "&lt;script&gt;" in text and "<script>" not in text
