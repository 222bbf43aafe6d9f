"""The Bot API stand-in, exercised through the real python-telegram-bot over loopback HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from tests.support.botapi import BotApiServer, UploadedFile, botapi_fixture

CHAT = 424242

botapi = botapi_fixture()


@pytest.fixture
async def bot(botapi: BotApiServer) -> AsyncIterator[Bot]:
    # Spelled out rather than botapi.make_bot(), to show how PTB is pointed at the stub.
    async with Bot(
        botapi.token,
        base_url=f"{botapi.url}/bot",
        base_file_url=f"{botapi.url}/file/bot",
    ) as the_bot:
        yield the_bot


def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ja", callback_data="yes"),
                InlineKeyboardButton("Nee", callback_data="no"),
            ]
        ]
    )


# ---- plain Bot calls ------------------------------------------------------------------------


async def test_get_me_returns_the_bot_user(bot: Bot, botapi: BotApiServer) -> None:
    me = await bot.get_me()

    assert me.is_bot
    assert me.id == botapi.bot_user["id"] == int(botapi.token.split(":")[0])
    assert me.username == "intake_test_bot"
    assert me.can_join_groups is True
    assert [call.method for call in botapi.calls] == ["getMe", "getMe"]  # initialize + ours


async def test_send_message_with_inline_keyboard_is_recorded(
    bot: Bot, botapi: BotApiServer
) -> None:
    first = await bot.send_message(CHAT, "Welkom!", reply_markup=_keyboard())
    second = await bot.send_message(CHAT, "Nog een")

    assert first.text == "Welkom!"
    assert first.chat.id == CHAT and first.chat.type == "private"
    assert first.from_user is not None and first.from_user.id == bot.id
    assert first.reply_markup == _keyboard()
    assert second.message_id == first.message_id + 1
    assert second.reply_markup is None
    (params, _) = botapi.sent_messages(CHAT)
    # PTB sends form fields; the stub decodes them back to their JSON types.
    assert params == {
        "chat_id": CHAT,
        "text": "Welkom!",
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Ja", "callback_data": "yes"}, {"text": "Nee", "callback_data": "no"}]
            ]
        },
    }
    assert botapi.sent_messages(CHAT + 1) == []


async def test_html_parse_mode_yields_entities_and_rejects_bad_markup(bot: Bot) -> None:
    message = await bot.send_message(CHAT, "<b>Premie</b> 🍀 <i>p/j</i> &amp; meer", "HTML")

    assert message.text == "Premie 🍀 p/j & meer"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 6),
        ("italic", 10, 3),  # offsets count UTF-16 units: the clover is two
    ]
    # PTB strips "Bad Request: " and capitalize()s the rest, lower-casing everything after it.
    with pytest.raises(BadRequest, match='Can\'t parse entities: unsupported start tag ""'):
        await bot.send_message(CHAT, "omzet < 1 miljoen", "HTML")
    with pytest.raises(BadRequest, match=r"character '\.' is reserved"):
        await bot.send_message(CHAT, "Bedankt.", "MarkdownV2")


async def test_edit_message_text_and_markup(bot: Bot, botapi: BotApiServer) -> None:
    sent = await bot.send_message(CHAT, "Kies", reply_markup=_keyboard())

    edited = await bot.edit_message_text("Gekozen: ja", chat_id=CHAT, message_id=sent.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "Gekozen: ja"
    assert edited.reply_markup is None  # editing text without reply_markup drops the keyboard
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Gekozen: ja", chat_id=CHAT, message_id=sent.message_id)
    with_kb = await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=_keyboard())
    assert isinstance(with_kb, Message)
    assert with_kb.reply_markup == _keyboard()
    assert with_kb.text == "Gekozen: ja"
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=999)
    assert await bot.edit_message_text("inline", inline_message_id="AAQ123") is True
    assert [c.method for c in await botapi.wait_for("editMessageText", count=4)] == [
        "editMessageText"
    ] * 4


async def test_commands_roundtrip(bot: Bot, botapi: BotApiServer) -> None:
    commands = [BotCommand("start", "Begin de intake"), BotCommand("stop", "Stop")]

    assert await bot.set_my_commands(commands) is True
    assert await bot.get_my_commands() == tuple(commands)
    assert await bot.get_my_commands(language_code="en") == ()
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start-Nu", "ongeldig")])
    assert botapi.calls[1].params["commands"][0] == {
        "command": "start",
        "description": "Begin de intake",
    }


async def test_chat_action_close_and_log_out(bot: Bot, botapi: BotApiServer) -> None:
    assert await bot.send_chat_action(CHAT, "typing") is True
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(CHAT, "dancing")
    assert await bot.close() is True
    assert await bot.log_out() is True
    assert [c.error_code for c in botapi.calls[1:]] == [None, 400, None, None]


# ---- getUpdates -----------------------------------------------------------------------------


async def test_long_poll_returns_a_pushed_update_early(bot: Bot, botapi: BotApiServer) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    pushed = botapi.push_update(botapi.make_text_update(CHAT, "/start nu", first_name="Anouk"))
    started = time.monotonic()

    (update,) = await asyncio.wait_for(poll, 2)

    assert time.monotonic() - started < 1
    assert isinstance(update, Update)
    assert update.update_id == pushed["update_id"]
    assert update.message is not None and update.message.text == "/start nu"
    assert update.effective_user is not None and update.effective_user.first_name == "Anouk"
    assert update.message.entities[0].type == "bot_command"  # what CommandHandler needs
    (call,) = [c for c in botapi.calls if c.method == "getUpdates"]
    assert call.params["timeout"] == 5
    # Not confirmed yet: returned again until an offset above it is sent.
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1) == ()
    assert botapi.pending_updates == []


async def test_long_poll_times_out_empty_and_honours_limit(bot: Bot, botapi: BotApiServer) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=dtm.timedelta(seconds=0.3)) == ()
    assert 0.25 < time.monotonic() - started < 1.5

    for n in range(3):
        botapi.push_update(botapi.make_text_update(CHAT, f"bericht {n}"))
    first_two = await bot.get_updates(limit=2)
    rest = await bot.get_updates(offset=first_two[-1].update_id + 1)
    assert [u.message.text for u in first_two + rest if u.message] == [
        "bericht 0",
        "bericht 1",
        "bericht 2",
    ]


async def test_allowed_updates_filters_and_same_update_can_be_redelivered(
    bot: Bot, botapi: BotApiServer
) -> None:
    sent = await bot.send_message(CHAT, "Kies", reply_markup=_keyboard())
    botapi.push_update(botapi.make_callback_update(CHAT, "yes", sent.message_id))
    text = botapi.push_update(botapi.make_text_update(CHAT, "hallo"))

    (only,) = await bot.get_updates(allowed_updates=["message"])
    assert only.message is not None and only.message.text == "hallo"
    await bot.get_updates(offset=text["update_id"] + 1)
    assert botapi.pending_updates == []  # the callback was never stored, as on Telegram
    # A retried delivery of the same update_id, as Telegram does after a timeout.
    botapi.push_update(text)
    (again,) = await bot.get_updates(offset=text["update_id"] + 1)
    assert again.update_id == text["update_id"]


async def test_callback_update_parses_as_callback_query(bot: Bot, botapi: BotApiServer) -> None:
    sent = await bot.send_message(CHAT, "Klopt dit?", reply_markup=_keyboard())
    botapi.push_update(botapi.make_callback_update(CHAT, "yes", sent.message_id))

    (update,) = await bot.get_updates(timeout=1)

    query = update.callback_query
    assert isinstance(query, CallbackQuery)
    assert query.data == "yes"
    assert query.from_user.id == CHAT
    assert isinstance(query.message, Message)
    assert query.message.message_id == sent.message_id
    assert query.message.text == "Klopt dit?"
    assert await query.answer("Genoteerd") is True
    with pytest.raises(BadRequest, match="query id is invalid"):
        await bot.answer_callback_query("12345")


async def test_media_contact_and_edited_updates_parse(bot: Bot, botapi: BotApiServer) -> None:
    botapi.push_updates(
        [
            botapi.make_contact_update(CHAT, "+31612345678"),
            botapi.make_photo_update(CHAT, caption="polis"),
            botapi.make_voice_update(CHAT, duration=4),
            botapi.make_document_update(CHAT),
            botapi.make_sticker_update(CHAT, emoji="😀"),
            botapi.make_edited_message_update(CHAT, "500.000", message_id=1),
        ]
    )

    contact, photo, voice, document, sticker, edited = await bot.get_updates()

    assert contact.message and contact.message.contact
    assert contact.message.contact.user_id == CHAT
    assert contact.message.contact.phone_number == "+31612345678"
    assert photo.message and len(photo.message.photo) == 3 and photo.message.caption == "polis"
    assert voice.message and voice.message.voice and voice.message.voice.mime_type == "audio/ogg"
    assert document.message and document.message.document
    assert document.message.document.file_name == "jaarrekening.pdf"
    assert sticker.message and sticker.message.sticker and sticker.message.sticker.emoji == "😀"
    assert edited.edited_message and edited.edited_message.text == "500.000"
    assert edited.message is None


# ---- failures -------------------------------------------------------------------------------


async def test_flood_control_raises_retry_after(
    bot: Bot, botapi: BotApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without PTB_TIMEDELTA, PTB 22 warns (PTBDeprecationWarning) inside RetryAfter.__init__,
    # which filterwarnings=error turns into the exception PTB raises instead of RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    botapi.fail_next("sendMessage", 429, retry_after=1)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(CHAT, "te snel")

    assert raised.value.retry_after == dtm.timedelta(seconds=1)
    assert (await bot.send_message(CHAT, "nu wel")).text == "nu wel"
    assert [c.error_code for c in botapi.calls if c.method == "sendMessage"] == [429, None]
    assert [m["text"] for m in botapi.sent_messages()] == ["nu wel"]


async def test_retry_after_warns_without_ptb_timedelta(
    bot: Bot, botapi: BotApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    botapi.fail_next("sendMessage", 429, retry_after=2)

    with pytest.warns(PTBDeprecationWarning), pytest.raises(RetryAfter) as raised:
        await bot.send_message(CHAT, "te snel")
    with pytest.warns(PTBDeprecationWarning):
        assert raised.value.retry_after == 2


async def test_other_injected_errors(bot: Bot, botapi: BotApiServer) -> None:
    botapi.fail_next("sendMessage", 403)
    botapi.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    botapi.fail_next("sendMessage", 500)

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "a")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(CHAT, "b")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(CHAT, "c")
    botapi.blocked_chats.add(CHAT)
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "d")


async def test_wrong_token_raises_invalid_token(botapi: BotApiServer) -> None:
    wrong = Bot("7000000001:AAWrongTokenWrongTokenWrongToken000", base_url=botapi.base_url)
    try:
        # HTTP 401 (and 404) become InvalidToken; initialize() calls getMe and rewords it.
        with pytest.raises(InvalidToken, match="was rejected by the server"):
            await wrong.initialize()
        with pytest.raises(InvalidToken, match="Unauthorized"):
            await wrong.get_me()
    finally:
        await wrong.shutdown()
    assert botapi.calls == []  # requests for another bot are not recorded


async def test_unknown_method_and_raw_http(bot: Bot, botapi: BotApiServer) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")
    async with httpx.AsyncClient(base_url=f"{botapi.url}/bot{botapi.token}") as client:
        missing = await client.post("/sendTelepathy")
        unauthorized = await client.post(f"{botapi.url}/bot1:nope/getMe")
        as_json = await client.post(
            "/sendMessage",
            json={"chat_id": CHAT, "text": "123", "reply_markup": '{"inline_keyboard": []}'},
        )
        as_multipart = await client.post(
            "/sendMessage",
            data={"chat_id": str(CHAT), "text": "456"},
            files={"document": ("a.txt", b"hoi", "text/plain")},
        )
        via_get = await client.get("/getMe")
        in_parallel = await asyncio.gather(*(client.post("/getMe") for _ in range(20)))

    assert missing.status_code == 404
    assert missing.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert unauthorized.status_code == 401
    assert unauthorized.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert as_json.json()["result"]["text"] == "123"
    assert as_multipart.json()["result"]["text"] == "456"
    assert via_get.json()["result"]["id"] == botapi.bot_user["id"]
    assert all(r.json()["ok"] for r in in_parallel)
    json_params, multipart_params = botapi.sent_messages(CHAT)
    assert json_params["reply_markup"] == {"inline_keyboard": []}
    assert json_params["text"] == "123"
    document = multipart_params["document"]
    assert isinstance(document, UploadedFile) and document.data == b"hoi"


async def test_wait_for_times_out_with_a_summary(botapi: BotApiServer) -> None:
    with pytest.raises(TimeoutError, match="sendMessage"):
        await botapi.wait_for("sendMessage", timeout=0.05)


async def test_latency_is_added_per_request(bot: Bot, botapi: BotApiServer) -> None:
    botapi.latency = 0.2
    started = time.monotonic()
    await asyncio.gather(bot.get_me(), bot.get_me())
    elapsed = time.monotonic() - started
    assert 0.18 < elapsed < 0.6  # concurrent requests wait side by side


async def test_stop_answers_pending_long_poll() -> None:
    server = await BotApiServer().start()
    async with server.make_bot() as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await server.wait_for("getMe")
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await server.stop()
        assert await asyncio.wait_for(poll, 2) == ()
        assert time.monotonic() - started < 1.5


# ---- a full Application ---------------------------------------------------------------------


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def test_application_polling_echoes_a_pushed_update(botapi: BotApiServer) -> None:
    app = (
        ApplicationBuilder()
        .token(botapi.token)
        .base_url(f"{botapi.url}/bot")
        .base_file_url(f"{botapi.url}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        pushed = botapi.push_update(botapi.make_text_update(CHAT, "Goedemorgen"))
        (call,) = await botapi.wait_for("sendMessage", chat_id=CHAT)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    assert call.params == {"chat_id": CHAT, "text": "echo: Goedemorgen"}
    methods = [c.method for c in botapi.calls]
    assert methods[:2] == ["getMe", "deleteWebhook"]  # initialize, then the polling bootstrap
    # Updater.stop() confirms what it fetched with one last getUpdates(offset=last + 1).
    assert botapi.calls[-1].method == "getUpdates"
    assert botapi.calls[-1].params["offset"] == pushed["update_id"] + 1
    assert botapi.pending_updates == []


# ---- webhook --------------------------------------------------------------------------------


class _WebhookReceiver:
    """A tiny Starlette webhook endpoint that checks the secret like PTB's own server does."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/telegram", self.endpoint, methods=["POST"])])

    async def endpoint(self, request: Request) -> Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != self.secret:
            return Response(status_code=403)
        self.received.append(json.loads(await request.body()))
        return JSONResponse({})


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[_WebhookReceiver, str]]:
    hook = _WebhookReceiver(secret="geheim_123")
    config = uvicorn.Config(
        hook.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield hook, f"http://127.0.0.1:{port}/telegram"
    server.should_exit = True
    await task


async def test_deliver_webhook(
    bot: Bot, botapi: BotApiServer, receiver: tuple[_WebhookReceiver, str]
) -> None:
    hook, url = receiver
    assert await bot.set_webhook(url, secret_token=hook.secret) is True
    info = await bot.get_webhook_info()
    assert info.url == url

    update = botapi.make_text_update(CHAT, "via webhook")
    assert await botapi.deliver_webhook(update) == 200
    assert await botapi.deliver_webhook(update, secret_token="") == 403
    assert await botapi.deliver_webhook(update, secret_token="fout") == 403
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()

    (received,) = hook.received
    parsed = Update.de_json(received, bot)
    assert parsed.message is not None and parsed.message.text == "via webhook"
    assert await bot.delete_webhook() is True
    assert (await bot.get_webhook_info()).url == ""
    assert await botapi.deliver_webhook(update, url=url, secret_token=hook.secret) == 200
    assert len(hook.received) == 2


async def test_application_builder_helper(botapi: BotApiServer) -> None:
    app: Application[Any, Any, Any, Any, Any, Any] = botapi.application_builder().build()
    async with app:
        assert app.bot.username == "intake_test_bot"
        assert app.bot.base_url == f"{botapi.url}/bot{botapi.token}"


async def test_rate_limiter_retries_after_flood_control(
    botapi: BotApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AIORateLimiter sleeps retry_after + 0.1 s and pauses all other requests meanwhile.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    app = botapi.application_builder().rate_limiter(AIORateLimiter(max_retries=1)).build()
    botapi.fail_next("sendMessage", 429, retry_after=1)
    async with app:
        started = time.monotonic()
        message = await app.bot.send_message(CHAT, "geduld")
        elapsed = time.monotonic() - started

    assert message.text == "geduld"
    assert 1.0 < elapsed < 2.0
    first, second = await botapi.wait_for("sendMessage", count=2)
    assert (first.error_code, second.error_code) == (429, None)
    assert second.at - first.at >= 1.0


async def _read_response(reader: asyncio.StreamReader) -> tuple[bytes, dict[str, Any]]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    return head, json.loads(await asyncio.wait_for(reader.readexactly(length), 2))


async def test_raw_http_chunked_pipelined_and_expect_continue(botapi: BotApiServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", botapi.port)
    path = f"/bot{botapi.token}"
    body = b"chat_id=7&text=hoi"
    chunked = b"".join(
        [f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:5], body[5:])]
    )
    # Three requests in one write: answers must come back in order on the same connection.
    writer.write(
        f"GET {path}/getMe HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        + f"POST {path}/sendMessage HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode()
        + chunked
        + b"0\r\n\r\n"
        + f"POST {path}/sendMessage HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    )
    try:
        head, me = await _read_response(reader)
        assert head.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        assert me == {"ok": True, "result": botapi.bot_user}
        _, sent = await _read_response(reader)
        assert sent["result"]["text"] == "hoi"
        continue_line = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        assert continue_line == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(body)
        head, last = await _read_response(reader)
        assert b"Connection: close" in head and last["ok"]
        assert await asyncio.wait_for(reader.read(), 2) == b""  # the server hung up
    finally:
        writer.close()
        await writer.wait_closed()
    assert [m["text"] for m in botapi.sent_messages(7)] == ["hoi", "hoi"]
