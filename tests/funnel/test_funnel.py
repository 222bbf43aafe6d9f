"""The funnel (bot/funnel.py) over conversations driven through the real runtime and stored in
SQLite and PostgreSQL, with the stored times set by the test so every number is exact."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.funnel import FunnelRow, _step, funnel
from bot.metrics import DropOffCollector
from bot.runtime import Incoming, Runtime
from bot.store import Store
from bot.store.schema import conversations, turns
from flows.flow import current

ROUTE = ["beide", "groothandel", "1,2 miljoen", "90", "40", "35%", "overslaan", "80.000",
         "30 dagen", "10%", "0", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja", "1",
         "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "0612345678",
         "overslaan", "ochtend", "ja", "ja"]

SINCE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
UNTIL = SINCE + timedelta(days=1)
NOW = SINCE + timedelta(hours=20)  # chats touched after NOW - 30 minutes have not stopped
H = timedelta(hours=1)

_ids = itertools.count(1)


@pytest.fixture
def runtime(db_url: str) -> Iterator[Runtime]:
    store = Store(db_url)
    store.upgrade()
    yield Runtime(store, broker_name="Test Makelaars")
    store.dispose()


def talk(runtime: Runtime, chat: str, lines: list[str], *, opened: bool) -> None:
    """A chat through the runtime: opened first (the web widget, `intake chat`: the greeting is
    not a stored turn) or started by its first message (Telegram: "/start")."""
    if opened:
        runtime.open(chat)
    for line in lines:
        message_id = f"m{next(_ids)}"
        if line.startswith("choice:"):
            incoming = Incoming(chat, message_id, choice=line.removeprefix("choice:"))
        elif line == "<photo>":
            incoming = Incoming(chat, message_id, notice="media")
        else:
            incoming = Incoming(chat, message_id, text=line)
        runtime.handle(incoming)


def retime(store: Store, chat: str, created: datetime, times: list[datetime]) -> None:
    """Set the stored times of a chat: the conversation made at `created`, its turns (in order)
    at `times`, last touched at its last turn."""
    with store.engine.begin() as conn:
        ids = conn.execute(select(turns.c.id).where(turns.c.chat_key == chat)
                           .order_by(turns.c.id)).scalars().all()
        assert len(ids) == len(times), (chat, len(ids), len(times))
        for turn_id, at in zip(ids, times, strict=True):
            conn.execute(update(turns).where(turns.c.id == turn_id).values(created_at=at))
        conn.execute(update(conversations).where(conversations.c.chat_key == chat)
                     .values(created_at=created, updated_at=times[-1] if times else created))


def every(start: datetime, gap: int, n: int) -> list[datetime]:
    """n turns, `gap` seconds apart, the first `gap` seconds after `start`."""
    return [start + timedelta(seconds=gap * (i + 1)) for i in range(n)]


# (chat, opened?, lines, created (from SINCE), seconds between turns)
CHATS: list[tuple[str, bool, list[str], timedelta, int]] = [
    ("web:a", True, ROUTE, 1 * H, 10),  # complete
    ("web:b", True, ROUTE, 2 * H, 20),  # complete
    ("telegram:c", False, ["/start", "beide", "bouw", "veel"], 3 * H, 30),  # stops at turnover
    ("telegram:d", False, ["/start", "kredietverzekering", "bouw", "geen idee", "waarom"],
     4 * H, 40),  # refused, a command, stops at turnover
    ("web:e", True, ["beide", "bouw", "xyz", "1,2 miljoen"], 5 * H, 15),  # stops at credit_share
    ("cli:f", True, ["beide", "bouw", "veel"], 6 * H, 25),  # another channel
    ("web:g", True, ["beide", "groothandel"], -48 * H, 10),  # before the period
    ("telegram:i", False, ["/start", "beide", "bouw", "stop"], 8 * H, 10),  # paused
    ("web:j", True, [], 9 * H, 10),  # opened, never answered
    ("web:k", True, ["beide"], 19 * H + timedelta(minutes=45), 300),  # active 10 minutes ago
]


@pytest.fixture
def stored(runtime: Runtime) -> Store:
    store = runtime.store
    for chat, opened, lines, offset, gap in CHATS:
        talk(runtime, chat, lines, opened=opened)
        retime(store, chat, SINCE + offset, every(SINCE + offset, gap, len(lines)))
    # Began before the period and goes on in it: "beide" before, "bouw" and a refusal after.
    talk(runtime, "web:h", ["beide", "bouw", "xyz"], opened=True)
    retime(store, "web:h", SINCE - H, [SINCE - timedelta(minutes=50), SINCE + 7 * H,
                                       SINCE + 7 * H + timedelta(seconds=10)])
    return store


def by_id(rows: list[FunnelRow]) -> dict[str, FunnelRow]:
    return {r.question_id: r for r in rows}


def test_one_row_per_question_in_dialogue_order_with_dutch_labels(stored: Store) -> None:
    rows = funnel(stored.engine, channel=None, since=SINCE, until=UNTIL, now=NOW)
    assert [r.question_id for r in rows] == [q.id for q in current().questions]
    labels = {r.question_id: r.label for r in rows}
    assert labels["turnover"] == "Jaaromzet"
    assert labels["summary"] == "Controle samenvatting"
    assert labels["cb_name"] == "Naam (terugbelverzoek)"


def test_reached_stopped_and_refused_over_every_channel(stored: Store) -> None:
    rows = by_id(funnel(stored.engine, channel=None, since=SINCE, until=UNTIL, now=NOW))
    # a, b, c, d, e, f, i, j, k; not g (before the period) nor h (asked before it).
    assert rows["product"].reached == 9
    assert rows["sector"].reached == 8  # not j (never answered), h (asked before the period)
    assert rows["turnover"].reached == 8  # a, b, c, d, e, f, h, i
    assert rows["credit_share"].reached == 3  # a, b, e
    assert rows["consent"].reached == 2
    assert rows["cb_name"].reached == 0
    # Where people give up: j at the greeting, e at credit_share; c, d, f and h at the turnover
    # and i, paused there with "stop". Not k: touched ten minutes ago.
    assert rows["product"].stopped == 1
    assert rows["sector"].stopped == 0
    assert rows["turnover"].stopped == 5
    assert rows["credit_share"].stopped == 1
    assert sum(r.stopped for r in rows.values()) == 7
    # "veel" (c, f), "geen idee" (d) and "xyz" (e, h) at the turnover; "waarom" is a command,
    # and the call-back moment's "Klopt dat?" shows a reading back: neither is a refusal.
    assert rows["turnover"].refused == 5
    assert rows["turnover"].refused_conversations == 5
    assert rows["turnover"].refusal_rate == pytest.approx(5 / 8)
    assert {q: r.refused for q, r in rows.items() if r.refused} == {"turnover": 5}
    assert rows["callback_moment"].refusal_rate == 0.0


def test_the_median_time_comes_from_the_stored_timestamps(stored: Store) -> None:
    rows = by_id(funnel(stored.engine, channel=None, since=SINCE, until=UNTIL, now=NOW))
    # Product: asked when a web/CLI chat was opened (the conversation's creation) or with the
    # Telegram greeting, answered a gap later: a 10, b 20, c 30, d 40, e 15, f 25, i 10, k 300.
    assert rows["product"].timed == 8
    assert rows["product"].median_seconds == pytest.approx(22.5)
    # Turnover, visits that moved on: a 10, b 20, e 30 (a refusal, then an answer), i 10
    # ("stop"). Not c, d, f, h: they are still there.
    assert rows["turnover"].timed == 4
    assert rows["turnover"].median_seconds == pytest.approx(15.0)
    # The call-back moment takes two turns (the moment, then "ja" to the window): a 20, b 40.
    assert rows["callback_moment"].median_seconds == pytest.approx(30.0)
    assert rows["cb_name"].median_seconds is None and rows["cb_name"].timed == 0


def test_per_channel(stored: Store) -> None:
    telegram = by_id(funnel(stored.engine, channel="telegram", since=SINCE, until=UNTIL,
                            now=NOW))
    assert telegram["product"].reached == 3  # c, d, i
    assert telegram["turnover"].reached == 3
    assert telegram["turnover"].stopped == 3
    assert telegram["turnover"].refused == 2  # c, d
    assert telegram["credit_share"].reached == 0
    cli = by_id(funnel(stored.engine, channel="cli", since=SINCE, until=UNTIL, now=NOW))
    assert (cli["product"].reached, cli["turnover"].reached, cli["turnover"].refused,
            cli["turnover"].stopped) == (1, 1, 1, 1)
    web = by_id(funnel(stored.engine, channel="web", since=SINCE, until=UNTIL, now=NOW))
    assert web["product"].reached == 5  # a, b, e, j, k
    assert web["turnover"].reached == 4  # a, b, e, h
    assert web["turnover"].refused == 2  # e, h
    assert funnel(stored.engine, channel="whatsapp", since=SINCE, until=UNTIL,
                  now=NOW)[0].reached == 0


def test_the_period_bounds(stored: Store) -> None:
    # The two days before: only g (opened, "beide", "groothandel") and h's first turn.
    before = by_id(funnel(stored.engine, channel=None, since=SINCE - 72 * H, until=SINCE,
                          now=NOW))
    assert before["product"].reached == 2  # g opened, h opened
    assert before["sector"].reached == 2
    assert before["turnover"].reached == 1  # g
    # g waits at the turnover, idle, last touched in that period.
    assert before["turnover"].stopped == 1 and before["sector"].stopped == 0
    # Half-open: a period ending exactly at a turn leaves that turn out.
    edge = by_id(funnel(stored.engine, channel="telegram", since=SINCE,
                        until=SINCE + 3 * H + timedelta(seconds=90), now=NOW))
    assert edge["sector"].reached == 1 and edge["turnover"].reached == 0
    with pytest.raises(ValueError, match="naive"):
        funnel(stored.engine, channel=None, since=SINCE.replace(tzinfo=None), until=UNTIL)


def test_stopped_is_the_metrics_drop_off_when_everything_is_idle(stored: Store) -> None:
    """The same conversations as /metrics' intake_conversations_waiting{step}, but one paused
    with "stop" counts at the question it paused at."""
    rows = by_id(funnel(stored.engine, channel=None, since=SINCE - 72 * H, until=UNTIL,
                        now=UNTIL + H))
    waiting = DropOffCollector(stored, ttl=0).counts()
    assert waiting is not None
    assert waiting["stopped"] == 1  # i, paused at the turnover
    for question in current().questions:
        paused = 1 if question.id == "turnover" else 0
        assert rows[question.id].stopped == waiting[question.id] + paused, question.id
    assert rows["sector"].stopped == 1  # k, idle by now


def test_what_is_not_a_refusal(runtime: Runtime) -> None:
    """Commands, a photo, a reading shown back for a yes or no, the summary's "nee" (which
    answer?) and the "nee" to "start again?" are not refused answers; "xyz" is."""
    lines = ["waarom", "hulp", "<photo>", "beide", "bouw", "1.5", "ja", *ROUTE[3:18],
             "nee", "Klopt, ga verder", "opnieuw", "nee", "Jan de Vries", "terug",
             "choice:cmd:callback", "xyz"]
    talk(runtime, "web:r", lines, opened=True)
    retime(runtime.store, "web:r", SINCE + H, every(SINCE + H, 10, len(lines)))
    rows = by_id(funnel(runtime.store.engine, channel=None, since=SINCE, until=UNTIL,
                        now=NOW))
    assert {q: r.refused for q, r in rows.items() if r.refused} == {"cb_phone": 1}
    assert rows["summary"].reached == 1 and rows["summary"].refused == 0
    assert rows["cb_phone"].refusal_rate == 1.0


def test_an_empty_database(runtime: Runtime) -> None:
    rows = funnel(runtime.store.engine, channel=None, since=SINCE, until=UNTIL, now=NOW)
    assert len(rows) == len(current().questions)
    assert all(r.reached == r.stopped == r.refused == r.timed == 0 for r in rows)
    assert all(r.median_seconds is None and r.refusal_rate == 0.0 for r in rows)


def test_the_step_read_by_the_database_is_the_turns_own(stored: Store) -> None:
    """PostgreSQL reads a turn's step as text (bot.funnel._step): the same as its JSON, for
    every stored turn, also when a reply quotes the key."""
    with stored.transaction("web:quote") as tx:
        tx.record("q1", {"text": '"step":"consent"', "choice": None}, {
            "replies": [{"text": 'U schreef "step":"consent", {"step":"x"}', "choices": [
                {"id": "step", "label": '"step":"summary"'}]}],
            "step": "turnover", "progress": {"current": 3, "total": 26}, "done": False,
            "lead": None})
    query = select(turns.c.turn, _step(stored.dialect, turns.c.turn))
    with stored.engine.connect() as conn:
        rows = conn.execute(query).all()
    assert len(rows) > 60
    assert all(step == json.loads(turn)["step"] for turn, step in rows)
