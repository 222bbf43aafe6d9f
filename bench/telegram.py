"""Turns per second through python-telegram-bot's real Application.process_update.

Run: .venv/bin/python bench/telegram.py [--chats N] [--rounds R]
Side by side, in one run, with the same Bot API stand-in that answers in-process (a PTB
BaseRequest: the wire is mocked, no network) and the same driver (N chats at once, each
sending its messages one after another):
- ours: the intake dialogue through TelegramChannel, every turn committed to a SQLite file
  (WAL, synchronous=NORMAL) before its reply is sent;
- peer: PTB's own ConversationHandler running an 8-question flow with its state in memory,
  the way most bots are built.
Prints the median turns/s of each and the ratio ours/peer (issue 4's target: >= 1.0).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# This file is called telegram.py: keep its folder off the path so `import telegram` finds
# python-telegram-bot, and put the project root on it instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData

from bot.channels.telegram import TelegramChannel
from bot.runtime import AsyncRuntime, Runtime
from bot.store import Store

TOKEN = "7000000001:AAFakeTokenForTheIntakeBenchmark0001"
BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "Intake", "username": "intake_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
ROUTE = ["/start", "beide", "aannemer", "1,2 miljoen", "90", "zo'n 40", "35%", "overslaan",
         "80.000", "30 dagen", "10%", "geen", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja",
         "1", "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "06-12345678",
         "overslaan", "ochtend", "ja"]
PEER_ROUTE = ["/start", "bouw", "1200000", "80", "40", "35", "30", "10", "90"]


class LocalBotApi(BaseRequest):
    """Answers Bot API calls in-process, shaped like Telegram's replies."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None
                         ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        result: Any = True
        if name == "getMe":
            result = BOT_USER
        elif name in ("sendMessage", "editMessageText"):
            chat_id = int(params["chat_id"])
            result = {"message_id": next(self._ids), "date": int(time.time()),
                      "chat": {"id": chat_id, "type": "private", "first_name": "Jan"},
                      "from": BOT_USER, "text": params.get("text", "")}
        elif name == "getUpdates":
            result = []
        return 200, json.dumps({"ok": True, "result": result}).encode()


def text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": "private", "first_name": "Jan"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Jan"},
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


def builder() -> ApplicationBuilder:  # type: ignore[type-arg]
    return (ApplicationBuilder().token(TOKEN).request(LocalBotApi())
            .get_updates_request(LocalBotApi()).updater(None))


def peer_application() -> Application:  # type: ignore[type-arg]
    """An 8-question flow the usual way: ConversationHandler, answers in user_data."""
    questions = ["Branche?", "Omzet?", "Deel op rekening?", "Aantal klanten?", "Top 5?",
                 "Betalingstermijn?", "Export?", "Dekking?"]

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None
        await update.message.reply_text(questions[0])
        return 0

    def answer(i: int) -> Any:
        async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            assert update.message is not None and context.user_data is not None
            context.user_data[i] = update.message.text
            if i + 1 < len(questions):
                await update.message.reply_text(questions[i + 1])
                return i + 1
            await update.message.reply_text("Dank u wel!")
            return ConversationHandler.END
        return handler

    app = builder().concurrent_updates(True).build()
    app.add_handler(ConversationHandler(
        entry_points=[MessageHandler(filters.COMMAND, start)],
        states={i: [MessageHandler(filters.TEXT & ~filters.COMMAND, answer(i))]
                for i in range(len(questions))},
        fallbacks=[],
    ))
    return app


async def drive(app: Application, route: list[str], chats: int) -> float:  # type: ignore[type-arg]
    """All chats at once, each chat's messages in order; returns turns per second."""
    ids = itertools.count(1)
    base = int(time.time() * 1000) % 1_000_000 * 1000

    async def one_chat(chat_id: int) -> None:
        for text in route:
            update = Update.de_json(text_update(next(ids), chat_id, text), app.bot)
            await app.process_update(update)

    start = time.perf_counter()
    await asyncio.gather(*(one_chat(base + c) for c in range(chats)))
    return chats * len(route) / (time.perf_counter() - start)


async def ours(chats: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.sqlite3")
        store.create_all()
        # Without AIORateLimiter, like the peer: it caps sending at Telegram's ~30 messages a
        # second per bot, which would measure the limiter rather than either design.
        channel = TelegramChannel(AsyncRuntime(Runtime(store)), TOKEN, builder=builder(),
                                  rate_limit=False)
        await channel.app.initialize()
        try:
            return await drive(channel.app, ROUTE, chats)
        finally:
            await channel.app.shutdown()
            store.dispose()


async def peer(chats: int) -> float:
    app = peer_application()
    await app.initialize()
    try:
        return await drive(app, PEER_ROUTE, chats)
    finally:
        await app.shutdown()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    await ours(5)
    await peer(5)
    mine, theirs = [], []
    for _ in range(args.rounds):
        mine.append(await ours(args.chats))
        theirs.append(await peer(args.chats))
    m, p = statistics.median(mine), statistics.median(theirs)
    print(f"{args.chats} chats at once, {args.rounds} rounds, process_update with an in-process "
          "Bot API")
    print(f"ours (durable SQLite turn, {len(ROUTE)}-turn intake): median {m:7,.0f} turns/s")
    print(f"peer (ConversationHandler in memory, 8 questions): median {p:7,.0f} turns/s")
    print(f"ratio ours/peer: {m / p:.2f}  (target >= 1.0)")


if __name__ == "__main__":
    asyncio.run(main())
