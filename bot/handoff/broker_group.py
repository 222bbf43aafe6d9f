"""The brokers' Telegram group (INTAKE_BROKER_CHAT_ID): every new lead as a message with an
"Ik bel deze" button; the first broker to press it claims the lead (bot/channels/telegram.py
handles the press, `bot.store.outbox.take_lead` decides who was first).

The message shows what a broker needs to pick up the phone: who, which company, the phone
number, the products and the indication, urgency and the call-back window. The group is a
place brokers read along, so it gets no more than that (no e-mail address, no answers).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from babel.dates import format_datetime
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

from bot.handoff.base import Failed, Retry
from bot.handoff.events import Event, EventType
from bot.handoff.summary import (
    AMSTERDAM,
    callback_window,
    display_name,
    indication_sections,
    is_urgent,
    phone_text,
    window_text,
)
from flows.i18n import LOCALE, N_, _

__all__ = ["CLAIM_PREFIX", "BrokerGroupTarget", "claimed_text", "lead_message"]

log = logging.getLogger("intake.handoff")
CLAIM_PREFIX = "claim:"

CLAIM_BUTTON = N_("I'll call this one")


def lead_message(lead: Mapping[str, Any], event_type: str = "") -> str:
    """The group message for a lead, in Telegram's HTML."""
    e = html.escape
    contact = lead.get("contact") or {}
    lines: list[str] = []
    if is_urgent(lead, event_type):
        urgent = _("Urgent: call-back requested")
        lines.append(f"<b>{e(urgent)}</b>")
    lines.append(f"<b>{e(display_name(lead))}</b> · {e(str(lead.get('reference', '')))}")
    if contact.get("name"):
        lines.append(e(" ".join(str(contact["name"]).split())))
    if contact.get("phone"):
        label = _("Phone")
        lines.append(f"{e(label)}: {e(phone_text(str(contact['phone'])))}")
    window = callback_window(lead)
    if window is not None:
        label = _("Call between")
        lines.append(f"{e(label)}: {e(window_text(*window))}")
    elif contact.get("callback_preference"):
        preference = " ".join(str(contact["callback_preference"]).split())
        label = _("Preferred moment")
        lines.append(f"{e(label)}: {e(preference)}")
    for section in indication_sections(lead, offers=False):
        lines.append("")
        lines.append(f"<b>{e(section.title)}</b>")
        lines.extend(f"{e(row.label)}: {e(row.value)}" for row in section.rows)
    return "\n".join(lines)


def claimed_text(by: str, at: datetime) -> str:
    """'Opgepakt door Anna de Boer, di 24 nov. 14:05'."""
    when = format_datetime(at.astimezone(AMSTERDAM), "EEE d MMM HH:mm", locale=LOCALE)
    return _("Taken by %(name)s, %(when)s") % {"name": by, "when": when}


def claim_keyboard(reference: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        _(CLAIM_BUTTON), callback_data=f"{CLAIM_PREFIX}{reference}")]])


class BrokerGroupTarget:
    """Posts each new lead to the brokers' group, with the claim button."""

    events: frozenset[EventType] = frozenset({"lead.created", "lead.callback_requested"})

    def __init__(self, bot: Bot, chat_id: int | str, *, name: str = "telegram_group") -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.name = name

    async def deliver(self, event: Event) -> None:
        lead = event.lead
        try:
            await self.bot.send_message(
                self.chat_id, lead_message(lead, event.type), parse_mode=ParseMode.HTML,
                reply_markup=claim_keyboard(event.reference),
                disable_web_page_preview=True,
            )
        except RetryAfter as error:
            after = error.retry_after
            seconds = after.total_seconds() if hasattr(after, "total_seconds") else float(after)
            raise Retry("telegram: 429", after=seconds) from None
        except (Forbidden, InvalidToken) as error:
            raise Failed(f"telegram: {type(error).__name__}") from None
        except BadRequest as error:
            # "chat not found" and the like: configuration, not weather.
            raise Failed(f"telegram: BadRequest {error.message[:80]}") from None
        except TelegramError as error:  # NetworkError, TimedOut: transient
            raise Retry(f"telegram: {type(error).__name__}") from None
        log.info("telegram group: lead %s posted", event.reference)

    async def alert(self, reference: str, target: str, reason: str) -> None:
        """Tell the brokers a hand-off failed for good (the outbox worker's alert)."""
        text = _("Attention: lead %(reference)s could not be delivered to %(target)s "
                 "(%(reason)s). Please pick it up by hand.") % {
            "reference": reference, "target": target, "reason": reason}
        await self.bot.send_message(self.chat_id, text)
