"""E-mail targets: the lead to the broker, and (with consent) the indication to the prospect.

Two targets with their own outbox rows, so a prospect's mail server refusing a message never
sends the broker's mail twice, and the other way round.

- `BrokerMailTarget` ("broker_email"): to INTAKE_BROKER_EMAIL, HTML and plain text: the
  contact (the phone number as a `tel:` link), urgency, every answer, the indication per
  product and per insurer; Reply-To is the prospect. With a call-back window
  (`contact.callback_window`) an `.ics` invitation is attached (METHOD:REQUEST, Europe/Amsterdam,
  UID from the reference, so a re-sent invitation updates the same calendar entry).
- `ProspectMailTarget` ("prospect_email"): only when the lead has the prospect's consent and an
  e-mail address: their indication, the reference and what happens next, from the broker.

Every sentence is Dutch from the catalog; every value is HTML-escaped. The Message-ID is
derived from the event id (`<msg_...broker@domain>`): a message sent again after a lost reply
is recognisably the same message.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from icalendar import Calendar, vCalAddress
from icalendar import Event as VEvent

from bot.config import BrokerProfile
from bot.handoff.base import Failed
from bot.handoff.events import Event, EventType
from bot.handoff.smtp import SmtpUrl, send
from bot.handoff.summary import (
    AMSTERDAM,
    Row,
    Section,
    answer_section,
    callback_window,
    contact_section,
    display_name,
    indication_sections,
    is_urgent,
    phone_text,
    window_text,
)
from flows.i18n import _

__all__ = ["BrokerMailTarget", "ProspectMailTarget", "broker_message", "calendar_invite",
           "prospect_message"]

log = logging.getLogger("intake.handoff.mail")
LEAD_EVENTS: frozenset[EventType] = frozenset({"lead.created", "lead.callback_requested"})


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip(">") or "intake.invalid"


def _message_id(event: Event, kind: str, sender: str) -> str:
    return f"<{event.id}.{kind}@{_domain(sender)}>"


# --- rendering --------------------------------------------------------------------------------

_STYLE = ("font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.45;"
          "color:#1a1a1a")


def _html_lines(paragraph: str) -> str:
    return "<br>".join(html.escape(line) for line in paragraph.split("\n"))


def _html_value(row: Row) -> str:
    value = html.escape(row.value)
    if row.href:
        return f'<a href="{html.escape(row.href, quote=True)}">{value}</a>'
    return value


def _html(title: str, intro: Sequence[str], sections: Sequence[Section],
          outro: Sequence[str] = (), *, alert: str | None = None) -> str:
    out = ['<!DOCTYPE html>', '<html lang="nl"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title></head>", f'<body style="{_STYLE}">',
           f'<h1 style="font-size:20px">{html.escape(title)}</h1>']
    if alert:
        out.append('<p style="background:#fde8e8;border-left:4px solid #c0392b;padding:8px;'
                   f'font-weight:bold">{html.escape(alert)}</p>')
    out += [f"<p>{_html_lines(p)}</p>" for p in intro]
    for section in sections:
        out.append(f'<h2 style="font-size:16px;margin-top:20px">{html.escape(section.title)}</h2>')
        if section.rows:
            out.append('<table cellpadding="4" cellspacing="0" style="border-collapse:collapse">')
            for row in section.rows:
                out.append(f'<tr><th align="left" valign="top" style="font-weight:normal;'
                           f'color:#555;padding-right:16px">{html.escape(row.label)}</th>'
                           f"<td>{_html_value(row)}</td></tr>")
            out.append("</table>")
        if section.notes:
            out.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in section.notes)
                       + "</ul>")
    out += [f'<p style="color:#555">{_html_lines(p)}</p>' for p in outro]
    out.append("</body></html>")
    return "\n".join(out)


def _plain(title: str, intro: Sequence[str], sections: Sequence[Section],
           outro: Sequence[str] = (), *, alert: str | None = None) -> str:
    out = [title, "=" * len(title), ""]
    if alert:
        out += [f"!! {alert}", ""]
    for paragraph in intro:
        out += [paragraph, ""]
    for section in sections:
        out += [section.title, "-" * len(section.title)]
        out += [f"{row.label}: {row.value}" for row in section.rows]
        out += [f"  {note}" for note in section.notes]
        out.append("")
    for paragraph in outro:
        out += [paragraph, ""]
    return "\n".join(out).rstrip() + "\n"


# --- the broker's e-mail ----------------------------------------------------------------------


def calendar_invite(lead: Mapping[str, Any], *, organizer: str, attendees: Sequence[str],
                    stamp: datetime) -> bytes | None:
    """The call-back as an iCalendar invitation (METHOD:REQUEST), or None without a window."""
    window = callback_window(lead)
    if window is None:
        return None
    start, end = window
    reference = str(lead["reference"])
    contact = lead.get("contact") or {}
    cal = Calendar()
    cal.add("prodid", "-//intake//lead hand-off//NL")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = VEvent()
    event.add("uid", f"{reference}-callback@intake")
    event.add("sequence", 0)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", _("Call back %(company)s (%(reference)s)")
              % {"company": display_name(lead), "reference": reference})
    details = [_("Reference") + ": " + reference]
    if contact.get("name"):
        details.append(_("Name") + ": " + _one_line(contact["name"]))
    if contact.get("phone"):
        details.append(_("Phone") + ": " + phone_text(contact["phone"]))
    event.add("description", "\n".join(details))
    if contact.get("phone"):
        event.add("location", f"tel:{contact['phone']}")
    event.add("status", "CONFIRMED")
    event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    for attendee in attendees:
        address = vCalAddress(f"mailto:{attendee}")
        address.params["ROLE"] = "REQ-PARTICIPANT"
        address.params["RSVP"] = "FALSE"
        event.add("attendee", address, encode=False)
    cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def broker_message(event: Event, *, sender: str, to: Sequence[str]) -> EmailMessage:
    """The lead for the broker: HTML and plain text, and an .ics with a call-back window."""
    lead = event.lead
    reference = event.reference
    urgent = is_urgent(lead, event.type)
    name = display_name(lead)
    subject = (_("Call-back request %(reference)s: %(name)s") if urgent
               else _("New lead %(reference)s: %(name)s")) % {"reference": reference,
                                                              "name": name}
    alert = _("Urgent: the prospect asked to be called back.") if urgent else None
    received = event.timestamp.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")
    intro = [_("Reference: %(reference)s, received %(when)s.")
             % {"reference": reference, "when": received}]
    if lead.get("estimated"):
        intro.append(_("Some answers are estimates: please check them with the prospect."))
    sections = [contact_section(lead), answer_section(lead), *indication_sections(lead)]
    quote = lead.get("quote") or {}
    outro = []
    if quote.get("disclaimer"):
        outro.append(_one_line(str(quote["disclaimer"])))
    if quote.get("tariff_version"):
        outro.append(_("Tariff") + ": " + str(quote["tariff_version"]))

    message = EmailMessage()
    message["Subject"] = _one_line(subject)
    message["From"] = sender
    message["To"] = ", ".join(to)
    email = (lead.get("contact") or {}).get("email")
    if email:
        message["Reply-To"] = email
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = _message_id(event, "broker", sender)
    message["X-Intake-Reference"] = reference
    message["X-Intake-Event"] = event.type
    if urgent:
        message["Importance"] = "high"
        message["X-Priority"] = "1"
    message.set_content(_plain(subject, intro, sections, outro, alert=alert))
    message.add_alternative(_html(subject, intro, sections, outro, alert=alert), subtype="html")
    invite = calendar_invite(lead, organizer=sender, attendees=to, stamp=event.timestamp)
    if invite is not None:
        message.add_attachment(invite, maintype="text", subtype="calendar",
                               filename=f"terugbellen-{reference}.ics",
                               params={"method": "REQUEST", "charset": "utf-8"})
    return message


# --- the prospect's e-mail --------------------------------------------------------------------


def prospect_message(event: Event, *, sender: str, profile: BrokerProfile,
                     reply_to: Sequence[str] = ()) -> EmailMessage | None:
    """The prospect's indication, reference and next step; None without consent or address."""
    lead = event.lead
    contact = lead.get("contact") or {}
    email = contact.get("email")
    consent = lead.get("consent") or {}
    if not email or not consent.get("given_at"):
        return None
    reference = event.reference
    broker = profile.name or _("our advisory office")
    sections = indication_sections(lead, offers=False)
    subject = (_("Your premium indication from %(broker)s (%(reference)s)") if sections
               else _("Your call-back request at %(broker)s (%(reference)s)")) \
        % {"broker": broker, "reference": reference}
    greeting = (_("Dear %(name)s,") % {"name": _one_line(contact["name"])}
                if contact.get("name") else _("Dear Sir or Madam,"))
    intro = [greeting,
             _("Thank you for your request. Your reference number is %(reference)s.")
             % {"reference": reference}]
    if sections:
        intro.append(_("Here is the premium indication based on your answers."))
    window = callback_window(lead)
    if window is not None:
        next_step = _("An adviser will call you %(window)s.") % {"window": window_text(*window)}
    elif profile.office_hours:
        next_step = _("An adviser will contact you during office hours (%(hours)s) to discuss "
                      "the next steps.") % {"hours": profile.office_hours}
    else:
        next_step = _("An adviser will contact you as soon as possible to discuss the next "
                      "steps.")
    outro = [next_step]
    quote = lead.get("quote") or {}
    if quote.get("disclaimer"):
        outro.append(_one_line(str(quote["disclaimer"])))
    if profile.phone:
        outro.append(_("Questions? Call us at %(phone)s.") % {"phone": profile.phone})
    outro.append(_("Kind regards,") + "\n" + broker)

    message = EmailMessage()
    message["Subject"] = _one_line(subject)
    message["From"] = sender
    message["To"] = email
    if reply_to:
        message["Reply-To"] = ", ".join(reply_to)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = _message_id(event, "prospect", sender)
    message["X-Intake-Reference"] = reference
    message.set_content(_plain(subject, intro, sections, outro))
    message.add_alternative(_html(subject, intro, sections, outro), subtype="html")
    return message


# --- the targets ------------------------------------------------------------------------------


class BrokerMailTarget:
    """Every lead and call-back request to the broker's inbox."""

    events: frozenset[EventType] = LEAD_EVENTS

    def __init__(self, smtp: SmtpUrl, broker_emails: Sequence[str], *,
                 name: str = "broker_email") -> None:
        if not broker_emails:
            raise Failed("broker_email: no broker address configured")
        self.name = name
        self._smtp = smtp
        self._to = tuple(broker_emails)
        self._sender = smtp.sender or self._to[0]

    async def deliver(self, event: Event) -> None:
        message = broker_message(event, sender=self._sender, to=self._to)
        await send(self._smtp, message, self.name)
        log.info("broker e-mail sent", extra={"reference": event.reference,
                                              "event": event.type})

    async def alert(self, reference: str, target: str, reason: str) -> None:
        """Tell the brokers a hand-off failed for good (the outbox worker's alert)."""
        message = EmailMessage()
        message["Subject"] = _("Lead %(reference)s not delivered to %(target)s") % {
            "reference": reference, "target": target}
        message["From"] = self._sender
        message["To"] = ", ".join(self._to)
        message.set_content(_(
            "Attention: lead %(reference)s could not be delivered to %(target)s "
            "(%(reason)s). Please pick it up by hand.") % {
            "reference": reference, "target": target, "reason": reason})
        await send(self._smtp, message, f"{self.name} alert")


class ProspectMailTarget:
    """The indication to the prospect, when they consented and gave an e-mail address."""

    events: frozenset[EventType] = LEAD_EVENTS

    def __init__(self, smtp: SmtpUrl, broker_emails: Sequence[str], profile: BrokerProfile,
                 *, name: str = "prospect_email") -> None:
        if not broker_emails:
            raise Failed("prospect_email: no broker address configured")
        self.name = name
        self._smtp = smtp
        self._reply_to = tuple(broker_emails)
        self._sender = smtp.sender or self._reply_to[0]
        self._profile = profile

    async def deliver(self, event: Event) -> None:
        message = prospect_message(event, sender=self._sender, profile=self._profile,
                                   reply_to=self._reply_to)
        if message is None:
            log.info("no prospect e-mail (no consent or no address)",
                     extra={"reference": event.reference})
            return
        await send(self._smtp, message, self.name)
        log.info("prospect e-mail sent", extra={"reference": event.reference})
