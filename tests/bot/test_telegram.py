"""The Telegram channel: the real python-telegram-bot Application against our Bot API stand-in
on loopback, in polling and in webhook mode."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.channels.telegram import TelegramChannel, keyboard_rows
from bot.runtime import AsyncRuntime, Runtime
from bot.store import Store
from flows.conversation import ChoiceOut
from tests.support.botapi import BotApiServer, botapi_fixture

botapi = botapi_fixture()
CHAT = 515151

TYPED = ["beide", "aannemer", "anderhalf miljoen", "80%", "zo'n 25", "de helft", "overslaan",
         "€ 75.000,-", "60 dagen", "geen", "nul", "weet ik niet", "6 ton", "ja hoor",
         "12 maanden", "48 uur", "jazeker", "meerdere", "Klopt, ga verder", "Jan de Vries",
         "De Vries Bouw B.V.", "jan@devries-bouw.nl", "06-12345678", "overslaan",
         "dinsdagochtend", "ja", "ja"]


class Harness:
    def __init__(self, server: BotApiServer, channel: TelegramChannel, store: Store) -> None:
        self.server = server
        self.channel = channel
        self.store = store

    def stored_turn(self, chat_id: int, update_id: int) -> dict[str, Any] | None:
        with self.store.transaction(f"telegram:{chat_id}") as tx:
            turn, _ = tx.begin_turn(f"u{update_id}")
        return turn

    async def exchange(self, update: dict[str, Any], *, webhook: bool = False
                       ) -> list[dict[str, Any]]:
        """Deliver one update and return the messages the bot sent for it."""
        chat_id = _chat_of(update)
        before = len(self.server.sent_messages(chat_id))
        # wait_for counts failed calls too; sent_messages only the successful ones.
        attempts = sum(1 for c in self.server.calls if c.method == "sendMessage"
                       and str(c.params.get("chat_id")) == str(chat_id))
        if webhook:
            status = await self.server.deliver_webhook(update)
            assert status == 200
        else:
            self.server.push_update(update)
        turn = None
        for _ in range(500):
            turn = self.stored_turn(chat_id, update["update_id"])
            if turn is not None:
                break
            await asyncio.sleep(0.01)
        assert turn is not None, "the update was never processed"
        expected = attempts + len(turn["replies"])
        await self.server.wait_for("sendMessage", count=expected, chat_id=chat_id, timeout=10)
        return self.server.sent_messages(chat_id)[before:]

    async def say(self, chat_id: int, text: str) -> list[dict[str, Any]]:
        return await self.exchange(self.server.make_text_update(chat_id, text, user_id=chat_id))

    async def press(self, chat_id: int, data: str) -> list[dict[str, Any]]:
        message_id = self.last_keyboard_message_id(chat_id)
        return await self.exchange(self.server.make_callback_update(
            chat_id, data, message_id, user_id=chat_id))

    def last_keyboard_message_id(self, chat_id: int) -> int:
        """The id of the newest message in the chat that still shows inline buttons."""
        messages = self.server._messages.get(chat_id, {})
        with_buttons = [i for i, m in messages.items()
                        if (m.get("reply_markup") or {}).get("inline_keyboard")]
        assert with_buttons, "no message with buttons to press"
        return max(with_buttons)


def _chat_of(update: dict[str, Any]) -> int:
    for key in ("message", "edited_message"):
        if key in update:
            return int(update[key]["chat"]["id"])
    return int(update["callback_query"]["message"]["chat"]["id"])


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


@pytest_asyncio.fixture
async def harness(botapi: BotApiServer, tmp_path: Path) -> AsyncIterator[Harness]:
    store = Store(f"sqlite:///{tmp_path / 'tg.sqlite3'}")
    store.create_all()
    channel = TelegramChannel(AsyncRuntime(Runtime(store, broker_name="Test Makelaars")),
                              botapi.token, base_url=botapi.base_url)
    await channel.start()
    try:
        yield Harness(botapi, channel, store)
    finally:
        await channel.stop()
        store.dispose()


async def test_commands_are_registered_in_dutch(harness: Harness) -> None:
    calls = await harness.server.wait_for("setMyCommands")
    commands = calls[0].params["commands"]
    if isinstance(commands, str):
        commands = json.loads(commands)
    names = [c["command"] for c in commands]
    assert names == ["start", "terug", "opnieuw", "stop", "hulp", "belmij", "vergeet"]
    assert any("adviseur" in c["description"] for c in commands)


async def test_a_full_conversation_by_typing_ends_in_a_lead(harness: Harness) -> None:
    sent = await harness.say(CHAT, "/start")
    assert "geautomatiseerde assistent" in sent[0]["text"]
    assert buttons(sent[-1]) == ["credit", "bi", "both", "callback"]
    for line in TYPED[:-1]:
        sent = await harness.say(CHAT, line)
        assert "Ik kan alleen" not in sent[-1]["text"]
    sent = await harness.say(CHAT, TYPED[-1])
    assert "IK-20" in sent[-1]["text"]
    with harness.store.transaction(f"telegram:{CHAT}") as tx:
        _, data = tx.begin_turn("none")
    assert data is not None and data["lead"]["channel"] == "telegram"
    assert data["lead"]["contact"]["phone"] == "+31612345678"


async def test_a_conversation_by_buttons_closes_each_keyboard(harness: Harness) -> None:
    chat = CHAT + 1
    await harness.say(chat, "/start")
    sent = await harness.press(chat, "callback")
    assert "adviseur" in sent[0]["text"]
    edits = await harness.server.wait_for("editMessageText")
    assert edits[0].ok, "the pressed keyboard is taken away"
    assert edits[0].params["text"].endswith("✓ Bel mij liever"), "the answer stays visible"
    with pytest.raises(AssertionError):
        harness.last_keyboard_message_id(chat)  # no buttons left to press twice
    answers = await harness.server.wait_for("answerCallbackQuery")
    assert answers
    await harness.say(chat, "Karin Smit")
    sent = await harness.say(chat, "na vijven")  # not a phone number
    assert "telefoonnummer" in sent[0]["text"]
    # The phone question offers the one-tap share button.
    markup = sent[-1].get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else markup
    assert markup["keyboard"][0][0]["request_contact"] is True
    # Someone else's contact is refused; the prospect's own is taken.
    sent = await harness.exchange(harness.server.make_contact_update(
        chat, "+31 6 11111111", contact_user_id=999, user_id=chat))
    assert "eigen telefoonnummer" in sent[0]["text"]
    sent = await harness.exchange(harness.server.make_contact_update(
        chat, "+31612345678", contact_user_id=chat, user_id=chat))
    assert buttons(sent[-1])[:3] == ["asap", "morning", "afternoon"]
    await harness.press(chat, "morning")
    await harness.press(chat, "yes")  # the call-back window shown back
    sent = await harness.press(chat, "yes")
    assert "IK-20" in sent[-1]["text"]


async def test_a_duplicated_update_gets_one_answer(harness: Harness) -> None:
    chat = CHAT + 2
    await harness.say(chat, "/start")
    update = harness.server.make_text_update(chat, "beide", user_id=chat)
    first = await harness.exchange(update)
    assert "In welke branche" in first[-1]["text"]
    harness.server.push_update(dict(update))
    # The next update is answered only after the duplicate was handled (one chat, in order).
    await harness.say(chat, "bouw")
    texts = [m["text"] for m in harness.server.sent_messages(chat)]
    assert sum("In welke branche" in t for t in texts) == 1


async def test_non_text_and_edited_messages_get_the_same_question(harness: Harness) -> None:
    chat = CHAT + 3
    await harness.say(chat, "/start")
    await harness.say(chat, "beide")
    for update in (harness.server.make_sticker_update(chat),
                   harness.server.make_photo_update(chat),
                   harness.server.make_voice_update(chat),
                   harness.server.make_document_update(chat)):
        sent = await harness.exchange(update)
        assert "Ik kan alleen tekst lezen" in sent[0]["text"]
        assert "In welke branche" in sent[-1]["text"]
    sent = await harness.exchange(harness.server.make_edited_message_update(chat, "bouw", 1))
    assert "gewijzigd bericht" in sent[0]["text"]
    sent = await harness.say(chat, "x" * 4097)
    assert "te lang" in sent[0]["text"]
    sent = await harness.say(chat, "bouw")
    assert "jaaromzet" in sent[-1]["text"]


async def test_typed_text_is_escaped_when_echoed(harness: Harness) -> None:
    chat = CHAT + 4
    await harness.say(chat, "/start")
    for line in ["kredietverzekering", "ict", "1 miljoen", "100%", "40", "30%"]:
        await harness.say(chat, line)
    await harness.say(chat, "<b>Jansen</b> & <script>x</script>")
    for line in ["50.000", "30", "0", "0", "90%"]:
        sent = await harness.say(chat, line)
    summary = "\n".join(m["text"] for m in sent)
    assert "&lt;b&gt;Jansen&lt;/b&gt; &amp; &lt;script&gt;" in summary
    assert all(m["parse_mode"] == "HTML" for m in sent)


async def test_fifty_chats_at_once_each_in_order(harness: Harness) -> None:
    chats = [700000 + i for i in range(50)]
    for chat in chats:
        harness.server.push_update(harness.server.make_text_update(chat, "/start", user_id=chat))
        harness.server.push_update(harness.server.make_text_update(chat, "beide", user_id=chat))
        harness.server.push_update(harness.server.make_text_update(chat, "bouw", user_id=chat))
    for chat in chats:
        await harness.server.wait_for("sendMessage", count=6, chat_id=chat, timeout=30)
    for chat in chats:
        texts = [m["text"] for m in harness.server.sent_messages(chat)]
        assert "Goedendag" in texts[0]
        assert "Waarvoor" in texts[1]
        assert "Genoteerd: Kredietverzekering, Bedrijfsschadeverzekering" in texts[2]
        assert "In welke branche" in texts[3]
        assert "Genoteerd: Bouw en installatie" in texts[4]
        assert "jaaromzet" in texts[5]


async def test_flood_control_is_retried_after_retry_after(harness: Harness) -> None:
    chat = CHAT + 5
    harness.server.fail_next("sendMessage", 429, retry_after=1, count=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = await harness.say(chat, "/start")
    assert "Goedendag" in sent[0]["text"]
    assert loop.time() - started >= 1.0


async def test_a_failed_send_loses_nothing(harness: Harness) -> None:
    chat = CHAT + 6
    await harness.say(chat, "/start")
    # AIORateLimiter does not retry a server error: the single send of this turn fails.
    harness.server.fail_next("sendMessage", 500, count=1)
    update = harness.server.make_text_update(chat, "beide", user_id=chat)
    harness.server.push_update(update)
    for _ in range(300):
        if harness.stored_turn(chat, update["update_id"]) is not None:
            break
        await asyncio.sleep(0.01)
    assert harness.stored_turn(chat, update["update_id"]) is not None
    await harness.server.wait_for("sendMessage", count=3, chat_id=chat)  # 2 greeting + 1 failed
    assert len(harness.server.sent_messages(chat)) == 2
    # The prospect asks again and gets the question the failed message carried.
    sent = await harness.say(chat, "/start")
    assert buttons(sent[-1]) == ["cmd:resume", "cmd:restart"]
    sent = await harness.press(chat, "cmd:resume")
    assert "In welke branche" in sent[-1]["text"]


def test_long_choice_lists_are_laid_out_in_rows() -> None:
    short = [ChoiceOut(str(i), f"{i} dagen") for i in range(4)]
    assert [len(r) for r in keyboard_rows(short)] == [3, 1]
    long = [ChoiceOut(str(i), "Landbouw, bosbouw en visserij") for i in range(3)]
    assert [len(r) for r in keyboard_rows(long)] == [1, 1, 1]


# --- webhook mode -----------------------------------------------------------------------------


@pytest_asyncio.fixture
async def webhook(botapi: BotApiServer, tmp_path: Path) -> AsyncIterator[tuple[Harness, str]]:
    import socket

    import uvicorn

    from bot.http import build_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    store = Store(f"sqlite:///{tmp_path / 'wh.sqlite3'}")
    store.create_all()
    channel = TelegramChannel(AsyncRuntime(Runtime(store)), botapi.token,
                              base_url=botapi.base_url, webhook_url=url, secret="s3cret-token")
    await channel.start()
    server = uvicorn.Server(uvicorn.Config(build_app(channel), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield Harness(botapi, channel, store), url
    finally:
        server.should_exit = True
        await task
        await channel.stop()
        store.dispose()


async def test_webhook_mode_registers_and_processes_updates(
    webhook: tuple[Harness, str],
) -> None:
    harness, url = webhook
    calls = await harness.server.wait_for("setWebhook")
    assert calls[0].params["url"] == url
    assert calls[0].params["secret_token"] == "s3cret-token"
    sent = await harness.exchange(
        harness.server.make_text_update(CHAT, "/start", user_id=CHAT), webhook=True)
    assert "Goedendag" in sent[0]["text"]


@pytest.mark.parametrize("secret", ["", "wrong", "s3cret-tokeN"])
async def test_webhook_without_the_right_secret_is_403_and_not_processed(
    webhook: tuple[Harness, str], secret: str,
) -> None:
    harness, url = webhook
    update = harness.server.make_text_update(CHAT, "/start", user_id=CHAT)
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json=update, headers=headers)
    assert response.status_code == 403
    await asyncio.sleep(0.1)
    assert harness.stored_turn(CHAT, update["update_id"]) is None
    assert harness.server.sent_messages(CHAT) == []


async def test_a_quote_conversation_pressing_every_button_it_can(harness: Harness) -> None:
    chat = CHAT + 7
    await harness.say(chat, "/start")
    steps: list[tuple[str, str]] = [
        ("press", "both"), ("press", "groothandel"), ("say", "2 miljoen"), ("say", "90"),
        ("say", "40"), ("say", "30"), ("press", "skip"), ("say", "1 ton"), ("press", "60"),
        ("say", "0"), ("say", "0"), ("press", "85"), ("say", "1,2 miljoen"), ("press", "yes"),
        ("press", "78"), ("press", "72"), ("press", "no"), ("press", "1"),
        ("press", "confirm"), ("say", "Eva Jansen"), ("say", "Jansen Groothandel"),
        ("say", "eva@jansen.nl"), ("say", "+31 6 1234 5678"), ("press", "skip"),
        ("press", "any"), ("press", "yes"), ("press", "yes"),
    ]
    sent: list[dict[str, Any]] = []
    for how, value in steps:
        sent = await (harness.press(chat, value) if how == "press" else harness.say(chat, value))
    assert "IK-20" in sent[-1]["text"]
    with harness.store.transaction(f"telegram:{chat}") as tx:
        _, data = tx.begin_turn("none")
    assert data is not None
    answers = data["lead"]["answers"]
    assert answers["credit"]["payment_term_days"] == 60
    assert answers["credit"]["indemnity_pct"] == 85
    assert answers["bi"]["indemnity_period_weeks"] == 78
    assert answers["bi"]["waiting_period_hours"] == 72
    assert answers["bi"]["gross_profit_eur"] == 800000


async def test_an_error_in_a_turn_gets_an_apology_and_the_same_question(
    harness: Harness, caplog: pytest.LogCaptureFixture,
) -> None:
    chat = CHAT + 8
    await harness.say(chat, "/start")
    runtime = harness.channel.runtime.runtime
    real = runtime.process
    calls = {"n": 0}

    def flaky(incoming: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError(f"failed on {incoming.text}")  # a message quoting input
        return real(incoming, **kw)

    runtime.process = flaky  # type: ignore[method-assign]
    update = harness.server.make_text_update(chat, "Jan Jansen 06-12345678", user_id=chat)
    harness.server.push_update(update)
    await harness.server.wait_for("sendMessage", count=4, chat_id=chat, timeout=10)
    texts = [m["text"] for m in harness.server.sent_messages(chat)]
    assert "Sorry" in texts[2] and "Waarvoor" in texts[3]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged
    # The exception's message quoted the input; only its type and frames are logged.
    assert "Jan Jansen" not in logged and "12345678" not in logged


async def test_group_chats_are_ignored(harness: Harness) -> None:
    update = harness.server.make_text_update(-100123, "/start", user_id=42)
    update["message"]["chat"]["type"] = "supergroup"
    harness.server.push_update(update)
    await harness.say(CHAT + 9, "/start")  # processed after the group update
    assert harness.server.sent_messages(-100123) == []
