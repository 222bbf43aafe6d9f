"""The Telegram channel: python-telegram-bot in front of the shared runtime.

A thin adapter: it turns an Update into an `Incoming`, hands it to the runtime, and renders the
`Turn` as Telegram messages. It decides nothing about the dialogue. Conversation state lives in
our store, not in PTB (no ConversationHandler, no PTB persistence: DESIGN, engineering notes).
"""

from __future__ import annotations

import hmac
import html
import logging
import os
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.handoff.broker_group import CLAIM_PREFIX, claimed_text
from bot.logs import chat_ref
from bot.runtime import AsyncRuntime, Incoming
from bot.store.outbox import Claim
from flows.conversation import ChoiceOut, Turn
from flows.i18n import N_, _

__all__ = ["COMMANDS", "TelegramChannel", "keyboard_rows", "render"]

log = logging.getLogger("intake.telegram")

# PTB 22 reports Telegram's retry_after as a timedelta only when this is set, and warns on every
# flood-control reply otherwise; opt in, so production behaves as the tests do. Read per call.
os.environ.setdefault("PTB_TIMEDELTA", "1")

MAX_TEXT = 4096

# (reference, the broker's name, their Telegram user id) -> who has the lead now.
ClaimHandler = Callable[[str, str, int], Awaitable[Claim]]

# Registered with setMyCommands; the engine understands each as typed text ("/terug").
COMMANDS = (
    ("start", N_("Start or continue the intake")),
    ("terug", N_("Back to the previous question")),
    ("opnieuw", N_("Start again")),
    ("stop", N_("Pause the conversation")),
    ("hulp", N_("What you can type")),
    ("belmij", N_("Have an adviser call you")),
    ("vergeet", N_("Erase your conversation and details")),
)


def _chat_ref(chat_id: int) -> str:
    """A keyed, non-reversible reference to a chat for logs: no personal data in logs."""
    return chat_ref(f"telegram:{chat_id}")


def _pressed_label(markup: Any, data: str | None) -> str | None:
    for row in getattr(markup, "inline_keyboard", ()) or ():
        for button in row:
            if button.callback_data == data:
                return str(button.text)
    return None


def keyboard_rows(choices: Sequence[ChoiceOut]) -> list[list[ChoiceOut]]:
    """Two or three buttons a row when the labels are short, one a row when they are long."""
    longest = max((len(c.label) for c in choices), default=0)
    per_row = 3 if longest <= 12 else 2 if longest <= 22 else 1
    return [list(choices[i:i + per_row]) for i in range(0, len(choices), per_row)]


def render(turn: Turn) -> list[dict[str, Any]]:
    """The sendMessage calls for a turn: escaped HTML, inline buttons for choices, and the
    one-tap 'share my number' keyboard when the question asks for a phone number."""
    messages: list[dict[str, Any]] = []
    for i, reply in enumerate(turn.replies):
        # Everything is escaped, our own texts included: what a prospect typed and we echo
        # (names in the summary) can never become markup.
        text = html.escape(reply.text, quote=False)
        markup: Any = None
        if reply.choices:
            markup = InlineKeyboardMarkup([
                [InlineKeyboardButton(c.label, callback_data=c.id) for c in row]
                for row in keyboard_rows(reply.choices)
            ])
        elif turn.input_hint == "phone" and i == len(turn.replies) - 1:
            markup = ReplyKeyboardMarkup(
                [[KeyboardButton(_("Share my phone number"), request_contact=True)]],
                one_time_keyboard=True, resize_keyboard=True,
                input_field_placeholder="06-12345678",
            )
        messages.append({"text": text, "parse_mode": ParseMode.HTML, "reply_markup": markup})
    return messages


class TelegramChannel:
    def __init__(
        self,
        runtime: AsyncRuntime,
        token: str,
        *,
        base_url: str = "https://api.telegram.org/bot",
        webhook_url: str | None = None,
        secret: str | None = None,
        max_retries: int = 3,
        rate_limit: bool = True,
        builder: ApplicationBuilder | None = None,  # type: ignore[type-arg]
        broker_chat_id: int | str | None = None,
        on_claim: ClaimHandler | None = None,
    ) -> None:
        self.runtime = runtime
        # The brokers' group (INTAKE_BROKER_CHAT_ID): its "Ik bel deze" presses are claims.
        self.broker_chat_id = None if broker_chat_id is None else str(broker_chat_id)
        self.on_claim = on_claim
        self.webhook_url = webhook_url
        self.secret = secret
        if webhook_url and not secret:
            raise ValueError("INTAKE_TELEGRAM_WEBHOOK_URL needs INTAKE_TELEGRAM_SECRET as well")
        builder = builder or ApplicationBuilder()
        builder = (
            builder.token(token)
            .base_url(base_url)
            .base_file_url(base_url.replace("/bot", "/file/bot", 1))
            .concurrent_updates(True)
        )
        if rate_limit:
            # Telegram's own limits (about 30 messages a second per bot, 1 a second per chat);
            # retries a 429 after the retry_after Telegram gives.
            builder = builder.rate_limiter(AIORateLimiter(max_retries=max_retries))
        if webhook_url:
            builder = builder.updater(None)
        self.app: Application = builder.build()  # type: ignore[type-arg]
        self.app.add_handler(TypeHandler(Update, self.on_update))
        self.app.add_error_handler(self.on_error)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Initialise, register the commands, and start polling or set the webhook."""
        await self.app.initialize()
        await self.app.bot.set_my_commands(
            [BotCommand(name, _(description)) for name, description in COMMANDS]
        )
        await self.app.start()
        # Before new updates: what a killed process committed but never sent goes out first.
        await self.redeliver()
        if self.webhook_url:
            await self.app.bot.set_webhook(
                self.webhook_url, secret_token=self.secret,
                allowed_updates=["message", "edited_message", "callback_query"],
            )
            log.info("telegram: webhook mode")
        else:
            assert self.app.updater is not None
            await self.app.updater.start_polling(
                poll_interval=0.0, timeout=10, drop_pending_updates=False,
                allowed_updates=["message", "edited_message", "callback_query"],
            )
            log.info("telegram: long polling")

    async def stop(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    # --- webhook -----------------------------------------------------------------------------

    def secret_ok(self, header: str | None) -> bool:
        """Constant-time check of X-Telegram-Bot-Api-Secret-Token."""
        if not self.secret or header is None:
            return False
        return hmac.compare_digest(header.encode(), self.secret.encode())

    async def feed(self, data: dict[str, Any]) -> None:
        """Process one update that arrived over the webhook; returns once it is committed."""
        update = Update.de_json(data, self.app.bot)
        await self.app.process_update(update)

    # --- updates -----------------------------------------------------------------------------

    async def on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Translate one update into the runtime's vocabulary and send back the turn."""
        assert isinstance(update, Update)
        chat = update.effective_chat
        if chat is None:
            return
        if chat.type != ChatType.PRIVATE:
            query = update.callback_query
            if (query is not None and self.broker_chat_id == str(chat.id)
                    and (query.data or "").startswith(CLAIM_PREFIX)):
                await self._claim(query)
                return
            # An intake asks for personal details: never in a group, where others read along.
            log.info("telegram: ignored an update from a %s chat", chat.type)
            return
        incoming = self._incoming(update, f"telegram:{chat.id}")
        if incoming is None:
            return
        query = update.callback_query
        if query is not None:
            await self._close_keyboard(query)

        async def deliver(turn: Turn) -> bool:
            return await self._send(chat.id, turn)

        await self.runtime.process(incoming, deliver)

    def _incoming(self, update: Update, chat_key: str) -> Incoming | None:
        message_id = f"u{update.update_id}"
        if update.callback_query is not None:
            return Incoming(chat_key, message_id, choice=update.callback_query.data or "")
        if update.edited_message is not None:
            return Incoming(chat_key, message_id, notice="edited")
        message = update.message
        if message is None:
            return None
        if message.contact is not None:
            sender = message.from_user
            if sender is None or message.contact.user_id != sender.id:
                return Incoming(chat_key, message_id, notice="foreign_contact")
            return Incoming(chat_key, message_id, text=message.contact.phone_number)
        if message.text is None:
            return Incoming(chat_key, message_id, notice="media")
        if len(message.text) > MAX_TEXT:
            return Incoming(chat_key, message_id, notice="too_long")
        return Incoming(chat_key, message_id, text=message.text)

    async def _claim(self, query: Any) -> None:
        """"Ik bel deze" in the brokers' group: the first press claims the lead; the message
        then says for everyone who took it and when, and a later press is told so."""
        reference = (query.data or "")[len(CLAIM_PREFIX):]
        user = query.from_user
        if self.on_claim is None or user is None:
            await query.answer()
            return
        claim = await self.on_claim(reference, user.full_name, user.id)
        if not claim.exists:
            await query.answer(_("This lead no longer exists."), show_alert=True)
            return
        assert claim.by is not None and claim.at is not None
        taken = claimed_text(claim.by, claim.at)
        try:
            if claim.won:
                await query.answer(_("The lead is yours."))
            else:
                await query.answer(_("Already taken. %(claim)s") % {"claim": taken},
                                   show_alert=True)
            message = query.message
            if message is not None and message.reply_markup is not None:
                await query.edit_message_text(
                    f"{message.text_html}\n\n✅ {html.escape(taken, quote=False)}",
                    parse_mode=ParseMode.HTML, reply_markup=None)
        except TelegramError as error:  # an edit that another press made already
            log.info("telegram: claim message not edited: %s", type(error).__name__)
        log.info("telegram: lead %s claim pressed (%s)", reference,
                 "taken" if claim.won else "already taken")

    async def _close_keyboard(self, query: Any) -> None:
        """Answer the button press and replace the buttons by the answer chosen ("✓ Beide"),
        so it cannot be pressed twice and the chat history shows what was answered."""
        try:
            await query.answer()
            message = query.message
            if message is None:
                return
            label = _pressed_label(message.reply_markup, query.data)
            if label is not None and message.text:
                await query.edit_message_text(
                    html.escape(f"{message.text}\n\n✓ {label}", quote=False),
                    parse_mode=ParseMode.HTML, reply_markup=None,
                )
            else:
                await query.edit_message_reply_markup(reply_markup=None)
        except TelegramError as error:
            # An old or already edited message: the answer itself still goes through.
            log.info("telegram: could not close keyboard: %s", type(error).__name__)

    async def _send(self, chat_id: int, turn: Turn) -> bool:
        """Send a turn's messages; whether all of them reached Telegram."""
        for message in render(turn):
            try:
                await self.app.bot.send_message(chat_id=chat_id, **message)
            except TelegramError as error:
                # The turn is stored and stays "not delivered": it is sent again when Telegram
                # redelivers the update or the service starts.
                log.warning("telegram: send failed for chat %s: %s", _chat_ref(chat_id),
                            type(error).__name__)
                return False
        return True

    async def redeliver(self) -> int:
        """Send the replies committed but never confirmed sent (the process died between
        commit and send), once each, no older than a day."""

        async def send(chat_key: str, turn: Turn) -> bool:
            return await self._send(int(chat_key.split(":", 1)[1]), turn)

        sent = await self.runtime.redeliver("telegram", send)
        if sent:
            log.info("telegram: sent %d reply(ies) committed before a restart", sent)
        return sent

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log without personal data and give the prospect an apology and the same question."""
        error = context.error
        # The type and the frames, not the message: an exception's message may quote input
        # (pydantic's does), and input is personal data.
        frames = "".join(traceback.format_tb(error.__traceback__)) if error else ""
        log.error("telegram: update %s failed: %s\n%s", getattr(update, "update_id", "?"),
                  type(error).__name__, frames)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        chat_id = update.effective_chat.id
        try:
            async def deliver(turn: Turn) -> bool:
                return await self._send(chat_id, turn)

            await self.runtime.process(
                Incoming(f"telegram:{chat_id}", f"error-{update.update_id}", notice="error"),
                deliver)
        except Exception as again:  # pragma: no cover - the store itself is down
            log.error("telegram: apology failed: %s", type(again).__name__)
