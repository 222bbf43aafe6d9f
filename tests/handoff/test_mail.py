"""The e-mail targets against a real SMTP server on loopback (aiosmtpd): both messages are
received, parsed with the email package and read the way a mail client would."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from typing import Any, cast
from zoneinfo import ZoneInfo

import icalendar
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.config import BrokerProfile
from bot.handoff import BrokerMailTarget, Event, Failed, ProspectMailTarget, Retry
from bot.handoff.smtp import parse_smtp_url
from flows.i18n import money
from tests.handoff.support import closed_port, lead_json

BROKER = "leads@vandijk-assurantien.nl"
PROFILE = BrokerProfile(name="Van Dijk Assurantiën", phone="020-1234567",
                        office_hours="ma-vr 09:00-17:30")
WINDOW = {"start": "2026-11-24T09:00:00+01:00", "end": "2026-11-24T12:00:00+01:00"}
EVIL = "<script>alert('x')</script> & Zn. B.V."


@dataclass
class Mailbox:
    """The SMTP server's handler: keeps every message; can refuse recipients."""

    received: list[Envelope] = field(default_factory=list)
    refuse: str | None = None  # an SMTP reply for RCPT TO, e.g. "451 4.3.0 try later"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [cast(EmailMessage, email.message_from_bytes(
            cast(bytes, e.original_content or e.content), policy=email.policy.default))
            for e in self.received]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, str]]:
    box = Mailbox()
    port = closed_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, f"smtp://127.0.0.1:{port}?starttls=0&from=noreply%40vandijk-assurantien.nl"
    finally:
        controller.stop()


def _targets(url: str) -> tuple[BrokerMailTarget, ProspectMailTarget]:
    smtp = parse_smtp_url(url)
    return BrokerMailTarget(smtp, [BROKER]), ProspectMailTarget(smtp, [BROKER], PROFILE)


def _part(message: EmailMessage, content_type: str) -> Any:
    parts = [p for p in message.walk() if p.get_content_type() == content_type]
    assert len(parts) == 1, f"{content_type}: {len(parts)} parts"
    return parts[0]


def _text(part: Any) -> str:
    """A text part's content, the non-breaking space of Dutch amounts read as a space."""
    return str(part.get_content()).replace("\xa0", " ")


def _ranges(lead: dict[str, Any]) -> tuple[str, str]:
    """The premium ranges as the e-mails show them: '€ 3.548 – € 5.322'."""
    def shown(part: dict[str, Any]) -> str:
        low, high = (money(Decimal(str(part[k]))).replace("\xa0", " ")
                     for k in ("premium_low_eur", "premium_high_eur"))
        return f"{low} – {high}"

    return shown(lead["quote"]["credit"]), shown(lead["quote"]["bi"])


async def test_the_broker_and_the_prospect_each_get_their_mail(
        smtp_server: tuple[Mailbox, str]) -> None:
    box, url = smtp_server
    broker_target, prospect_target = _targets(url)
    lead = lead_json(company=EVIL, callback_window=WINDOW)
    await broker_target.deliver(Event.for_lead(lead, target=broker_target.name))
    await prospect_target.deliver(Event.for_lead(lead, target=prospect_target.name))

    assert [e.rcpt_tos for e in box.received] == [[BROKER], ["jan@devries-bouw.nl"]]
    broker, prospect = box.messages()

    # The broker's: plain text and HTML, the .ics, a Message-ID from the event id.
    event = Event.for_lead(lead, target="broker_email")
    assert broker["Message-ID"] == f"<{event.id}.broker@vandijk-assurantien.nl>"
    assert broker["From"] == "noreply@vandijk-assurantien.nl"
    assert broker["Reply-To"] == "jan@devries-bouw.nl"
    assert broker["Subject"] == f"Nieuwe lead IK-2026-000123: {EVIL}"
    page = _text(_part(broker, "text/html"))
    plain = _text(_part(broker, "text/plain"))
    assert '<a href="tel:+31612345678">+31 6 12345678</a>' in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Zn. B.V." in page
    assert "<script>" not in page
    assert f"Bedrijf: {EVIL}" in plain  # plain text shows it literally
    credit, bi = _ranges(lead)
    for text in (plain, page):
        assert "Jaaromzet" in text and "€ 1.500.000" in text  # every answer
        assert "Betalingstermijn" in text and "60 dagen" in text
        assert "Atradius mkbZeker" in text and credit in text  # per insurer
        assert "Bedrijfsschadeverzekering" in text and bi in text
        assert "dinsdag 24 november 2026, 09:00–12:00" in text  # the call-back window
    assert "Telefoon: +31 6 12345678" in plain

    ics = _part(broker, "text/calendar")
    assert ics.get_param("method") == "REQUEST"
    assert ics.get_filename() == "terugbellen-IK-2026-000123.ics"
    calendar = icalendar.Calendar.from_ical(ics.get_payload(decode=True))
    assert calendar["METHOD"] == "REQUEST"
    (vevent,) = calendar.walk("VEVENT")
    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert vevent.decoded("DTSTART") == datetime(2026, 11, 24, 9, 0, tzinfo=amsterdam)
    assert vevent.decoded("DTEND") == datetime(2026, 11, 24, 12, 0, tzinfo=amsterdam)
    assert "TZID=Europe/Amsterdam" in ics.get_payload(decode=True).decode()
    assert str(vevent["SUMMARY"]) == f"Terugbellen {EVIL} (IK-2026-000123)"
    assert str(vevent["UID"]) == "IK-2026-000123-callback@intake"
    assert str(vevent["ORGANIZER"]) == "mailto:noreply@vandijk-assurantien.nl"

    # The prospect's: their indication, the reference, the next step; no insurer list.
    assert prospect["To"] == "jan@devries-bouw.nl"
    assert prospect["Reply-To"] == BROKER
    assert prospect["Subject"] == \
        "Uw premie-indicatie van Van Dijk Assurantiën (IK-2026-000123)"
    text = _text(_part(prospect, "text/plain"))
    assert "IK-2026-000123" in text and "Beste Jan de Vries," in text
    assert credit in text and bi in text
    assert "Een adviseur belt u dinsdag 24 november 2026, 09:00–12:00." in text
    assert "Atradius" not in text
    assert "020-1234567" in text
    assert "Dit is een indicatie, geen advies" in text


async def test_a_retried_mail_is_the_same_message(smtp_server: tuple[Mailbox, str]) -> None:
    box, url = smtp_server
    broker_target, _ = _targets(url)
    event = Event.for_lead(lead_json(), target=broker_target.name)
    await broker_target.deliver(event)
    await broker_target.deliver(event)
    first, second = box.messages()
    assert first["Message-ID"] == second["Message-ID"]
    assert not [p for p in first.walk() if p.get_content_type() == "text/calendar"]


async def test_no_prospect_mail_without_an_address(smtp_server: tuple[Mailbox, str]) -> None:
    box, url = smtp_server
    _, prospect_target = _targets(url)
    lead = lead_json(email=None)
    await prospect_target.deliver(Event.for_lead(lead, target=prospect_target.name))
    assert box.received == []


async def test_a_call_back_request_is_urgent(smtp_server: tuple[Mailbox, str]) -> None:
    box, url = smtp_server
    broker_target, _ = _targets(url)
    lead = lead_json(intent="callback", callback_window=WINDOW)
    event = Event.for_lead(lead, target=broker_target.name)
    assert event.type == "lead.callback_requested"
    await broker_target.deliver(event)
    (message,) = box.messages()
    assert message["Subject"].startswith("Terugbelverzoek IK-2026-000123")
    assert message["Importance"] == "high"
    assert "Spoed" in _text(_part(message, "text/plain"))


async def test_smtp_failures_are_classified(smtp_server: tuple[Mailbox, str]) -> None:
    box, url = smtp_server
    event = Event.for_lead(lead_json(), target="broker_email")
    down = BrokerMailTarget(parse_smtp_url(f"smtp://127.0.0.1:{closed_port()}?starttls=0"),
                            [BROKER])
    with pytest.raises(Retry):
        await down.deliver(event)
    broker_target, _ = _targets(url)
    box.refuse = "451 4.3.0 Mailbox busy, try later"
    with pytest.raises(Retry, match="451"):
        await broker_target.deliver(event)
    box.refuse = "550 5.1.1 No such user"
    with pytest.raises(Failed, match="550") as failed:
        await broker_target.deliver(event)
    assert BROKER not in failed.value.reason
    assert box.received == []


async def test_a_hand_off_given_up_is_reported_to_the_broker_by_mail(
        smtp_server: tuple[Mailbox, str]) -> None:
    box, url = smtp_server
    broker_target, _ = _targets(url)
    await broker_target.alert("IK-2026-000042", "hubspot", "hubspot: HTTP 401")
    [message] = box.messages()
    assert message["To"] == BROKER
    assert "IK-2026-000042" in message["Subject"] and "hubspot" in message["Subject"]
    body = _text(message.get_body(("plain",)))
    assert "kon niet worden afgeleverd" in body and "HTTP 401" in body
