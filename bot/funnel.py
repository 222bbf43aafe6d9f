"""The funnel: per question, how many conversations got there, stopped there, had an answer
refused there, and how long they took over it; and its chart, for `/broker/funnel`.

Read from the stored turns (`turns`: one row per prospect message, the `incoming` message and
the `turn` it produced, whose `step` is the question now waiting), the conversations and the
leads. For the conversations of one channel (or all) and the turns created in the period
[since, until) (docs/inbox.md, "The funnel"):

- `reached`: conversations that were asked the question in the period: a turn whose step is
  that question. A web or CLI chat's greeting is not a stored turn (the chat is opened first):
  its first question counts as asked when the conversation was made.
- `stopped`: conversations whose last turn is in the period and waits at the question, idle for
  `idle` (30 minutes) at `now`, and whose chat has no lead: where people give up. The
  conversations `intake_conversations_waiting{step}` (bot/metrics.py) counts at that step,
  except that one paused with "stop" counts at the question it paused at.
- `refused`: answers the bot did not take: the turn after an answer stayed at the question and
  said why (an error and the question again), or offered readings or estimates to pick from
  ("veel" or "geen idee" at the turnover). Not answers: commands ("waarom", "hulp", "terug", the
  yes or no to "opnieuw?"), command buttons, photos and other notices, empty messages. Not
  refusals: a reading shown back for a yes or no ("Bedoelt u € 1.500.000?", the call-back
  moment's "Klopt dat?") and a menu of commands (the summary's "Iets wijzigen").
- `refusal_rate`: the share of the conversations that reached the question with at least one
  answer refused there.
- `median_seconds`: per conversation, the time from the turn that asked the question to the turn
  whose step moved on (an answer, or a command that left it), summed over its visits that began
  in the period; the median over conversations. A visit still open is not timed.

One pass over the turns: those of the conversations active in the period, in the order they
were stored, with only their chat, time and step (read by the database) and whether they
greet. The prospect's message and the shape of the bot's replies are read afterwards, in one
query, only for the turns that stayed at their question (a few in a hundred).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import (
    ColumnElement,
    Engine,
    Float,
    Integer,
    Select,
    Text,
    any_,
    bindparam,
    column,
    exists,
    func,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql

from bot.store.schema import conversations, leads, turns
from bot.store.sql import utc_binder
from bot.store.unit import dumps
from flows.engine import _command
from flows.flow import STOPPED, current
from flows.i18n import N_, _, number
from flows.spec import Question

__all__ = ["IDLE", "FunnelRow", "funnel", "funnel_svg"]

# A conversation untouched this long, without a lead, has stopped at the question it waits at.
IDLE = timedelta(minutes=30)

# The summary has no label of its own; the call-back path's questions share theirs with the
# closing's ("Naam" twice would be ambiguous in a chart).
_SUMMARY_LABEL = N_("Summary check")
_CALLBACK_LABEL = N_("%(label)s (call-back)")
# The greeting's opening sentence (flows.engine._greeting, also bot.metrics._is_greeting): a
# turn that carries it opened the conversation, so nothing was asked before it.
_GREETING = "Good day! I am the automated assistant of %(broker)s, not a person."


@dataclass(frozen=True, slots=True)
class FunnelRow:
    """One question's numbers in the period (the module docstring says what each means)."""

    question_id: str
    label: str  # Dutch, from the catalog
    reached: int
    stopped: int
    refused: int  # refused answers
    refused_conversations: int  # conversations with at least one refused answer here
    refusal_rate: float  # refused_conversations / reached; 0.0 when nobody reached it
    median_seconds: float | None  # None: no conversation moved on from it in the period
    timed: int  # conversations in that median


def _label(question: Question) -> str:
    """The question's Dutch label, from its spec via the catalog."""
    if question.label:
        label = _(question.label)
    elif question.id == "summary":
        label = _(_SUMMARY_LABEL)
    else:
        label = question.id
    if question.block == "callback":
        label = _(_CALLBACK_LABEL) % {"label": label}
    return label


# --- the queries ------------------------------------------------------------------------------


def _step(dialect: str, turn: Any) -> ColumnElement[Any]:
    """The step of a stored turn (`Turn.to_json()` as the store writes it).

    SQLite: json_extract. PostgreSQL: the text between the first `"step":"` and the next `"`,
    because casting every turn to json costs ~5 us a row there (2.1 s against 0.3 s for 385,000
    turns, bench/funnel.py). That text is the top-level key: a quote inside a JSON string is
    always escaped, and nothing before "step" (the replies: text, choices with id and label)
    has a key of that name. tests/funnel checks it against the JSON on every stored turn."""
    step: ColumnElement[Any]
    if dialect == "sqlite":
        step = func.json_extract(turn, "$.step")
        return step
    step = func.split_part(func.split_part(turn, '"step":"', 2), '"', 1)
    return step


def _epoch(dialect: str, column: Any) -> ColumnElement[float]:
    """Seconds since 1970 as a float: no datetime is made per row in Python."""
    if dialect == "sqlite":
        # The stored UTC text (schema.UTCDateTime); julianday reads it to the millisecond.
        return (func.julianday(column) - 2440587.5) * 86400.0
    return sql_cast(func.extract("epoch", column), Float)


def _greeting_prefix() -> str:
    """How a stored turn that opens with the greeting begins: its first reply's text starts
    with the greeting's first words (the broker's name follows)."""
    head = _(_GREETING).partition("%(broker)s")[0]
    marker = "\x00end"
    stored = dumps({"replies": [{"text": head + marker}]})  # as the store writes a turn
    return stored[:stored.index(json.dumps(marker)[1:-1])]


def _channel_range(column: Any, channel: str | None) -> list[ColumnElement[bool]]:
    # "telegram:" <= key < "telegram;" (";" follows ":"), as Store.undelivered selects one.
    if channel is None:
        return []
    return [column >= f"{channel}:", column < f"{channel};"]


def _active(channel: str | None, since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    """Conversations with activity in the period: made before its end, touched since its start
    (a conversation's updated_at is the time of its last turn)."""
    c = conversations.c
    return [c.updated_at >= since, c.created_at < until, *_channel_range(c.chat_key, channel)]


def _conversations_query(dialect: str, channel: str | None, since: datetime,
                         until: datetime) -> Select[Any]:
    """(chat, created, last touched, whether the chat has a lead) of the active conversations.
    Where one waits is not read from its JSON: it is the step of its last turn."""
    c = conversations.c
    return select(
        c.chat_key, _epoch(dialect, c.created_at), _epoch(dialect, c.updated_at),
        exists().where(leads.c.chat_key == c.chat_key),
    ).where(*_active(channel, since, until))


def _turns_query(dialect: str, channel: str | None, start: datetime,
                 until: datetime) -> Select[Any]:
    """The turns stored in [start, until) (of one channel), in the order they were stored:
    (chat, time, step, whether it greets, id). `start` is the creation of the oldest
    conversation active in the period, so every turn of those is in; the caller skips the
    others' (cheaper than testing every row's chat against the active ones: SQLite would look
    each chat's turns up through the (chat_key, message_id) index, a random read per turn)."""
    t = turns.c
    # A LIKE on the first characters: several times cheaper than searching the whole turn. A
    # greeting after a notice (a photo as the first message) is missed, which changes nothing:
    # the notice is no answer, and the first question counts as asked when the chat began.
    greets = t.turn.startswith(_greeting_prefix(), autoescape=True)
    return (select(t.chat_key, _epoch(dialect, t.created_at), _step(dialect, t.turn), greets, t.id)
            .where(t.created_at >= start, t.created_at < until,
                   *_channel_range(t.chat_key, channel))
            .order_by(t.id))


def _details_query(dialect: str, ids: Sequence[int]) -> Select[Any]:
    """Per turn: the incoming message, the number of replies and the first reply's buttons
    (JSON). The ids travel as one parameter (a JSON array on SQLite, an array on PostgreSQL):
    one statement, compiled once, however many there are."""
    t = turns.c
    count: ColumnElement[Any]
    buttons: ColumnElement[Any]
    wanted: ColumnElement[bool]
    if dialect == "sqlite":
        count = func.json_array_length(t.turn, "$.replies")
        buttons = func.json_extract(t.turn, "$.replies[0].choices")
        wanted = t.id.in_(select(column("value")).select_from(
            func.json_each(bindparam("ids", json.dumps(list(ids))))))
    else:
        replies = sql_cast(t.turn, postgresql.JSON)["replies"]
        count = func.json_array_length(replies)
        buttons = sql_cast(replies[0]["choices"], Text)
        wanted = t.id == any_(bindparam("ids", list(ids), type_=postgresql.ARRAY(Integer)))
    return select(t.id, t.incoming, count, buttons).where(wanted)


@contextmanager
def _cursor(engine: Engine, stmt: Select[Any], *, stream: bool = False) -> Iterator[Any]:
    """`stmt` run on the driver's own cursor: rows as the driver makes them (tuples), without
    SQLAlchemy's result rows and type processing, a noticeable share of the time over a few
    hundred thousand rows. `stream`: PostgreSQL sends the rows in chunks (a server-side cursor);
    SQLite steps through them anyway."""
    dialect = engine.dialect
    if not dialect.positional:
        # psycopg takes "%s" as well as "%(name)s": compile for the positional one, as
        # bot.store.sql does for a turn's statements.
        positional: Any = type(dialect)
        dialect = positional(paramstyle="format")
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    bind = utc_binder(dialect)  # times as schema.UTCDateTime binds them
    values = compiled.construct_params()
    args = tuple(bind(v) if isinstance(v, datetime) else v
                 for v in (values[name] for name in compiled.positiontup or ()))
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if stream and engine.dialect.name == "postgresql":
            cursor = driver.cursor(name="intake_funnel")
            cursor.itersize = 5000
        else:
            cursor = driver.cursor()
        try:
            cursor.execute(compiled.string, args)
            yield cursor
        finally:
            cursor.close()
            raw.rollback()
    finally:
        raw.close()


# --- what the prospect sent, and what the bot made of it ---------------------------------------

_ANSWER, _COMMAND, _NOTHING = "answer", "command", "nothing"
# Commands that ask "are you sure?" first: the next message answers that, not the question.
_CONFIRMED = ("erase", "restart")


def _said(raw: str | None) -> tuple[str, str | None]:
    """What a stored incoming message was, at a question: (kind, command name)."""
    try:
        said = json.loads(raw) if raw is not None else None
    except ValueError:
        said = None
    if not isinstance(said, dict) or said.get("notice") is not None:
        return _NOTHING, None  # a photo, an edited message...: not an answer
    choice, text = said.get("choice"), said.get("text")
    if isinstance(choice, str) and choice:
        if choice.startswith("cmd:"):
            return _COMMAND, choice.split(":", 2)[1]
        return _ANSWER, None
    if not isinstance(text, str) or not text.strip():
        return _NOTHING, None  # "I did not receive an answer"
    command = _command(text)  # the engine's own reading of commands
    # As the engine does: "ga verder" at a question is an answer ("Klopt, ga verder").
    if command is None or command[0] == "resume":
        return _ANSWER, None
    return _COMMAND, command[0]


def _is_refusal(count: int | None, buttons: str | None) -> bool:
    """Whether the bot's turn after an answer refused it: anything but one reply that shows a
    reading back for a yes or no, or that offers a menu of commands (the summary's "Iets
    wijzigen": which answer?)."""
    if count is None:
        return False  # the turn is gone (erased meanwhile)
    if count != 1:
        return True  # why not, and the question again
    try:
        choices = json.loads(buttons) if buttons else []
        ids = [c["id"] for c in choices]
    except (ValueError, TypeError, KeyError):
        return True
    if ids == ["yes", "no"]:
        return False
    return not (ids and all(isinstance(i, str) and i.startswith("cmd:") for i in ids))


# --- the pass over the turns ------------------------------------------------------------------


class _Chat:
    """One conversation's walk through the questions, as its turns come by."""

    __slots__ = ("asked", "asked_at", "last", "prev", "run", "spent")

    def __init__(self) -> None:
        self.prev: str | None = None  # the step waiting before the next turn
        self.asked_at: float | None = None  # when this visit to `prev` began, if in the period
        self.last: str | None = None  # the last question asked
        self.run = 0  # the id of the turn that began this visit
        self.asked: set[str] = set()  # the questions asked in the period
        self.spent: dict[str, float] = {}  # seconds per question, over visits that moved on


@dataclass(slots=True)
class _Conv:
    created: float
    updated: float
    lead: bool  # the chat has a lead (`leads`), from this round or an earlier one


# A turn that stayed at its question: (turn id, question, chat, visit, in the period, greets).
_Stay = tuple[int, str, str, int, bool, bool]


def _walk(rows: Iterable[tuple[Any, ...]], convs: dict[str, _Conv], chats: dict[str, _Chat],
          stays: list[_Stay], index: dict[str, int], first: str, lo: float) -> None:
    """Follow each active conversation through its turns (in the order they were stored):
    which questions it was asked, how long each visit took, and which turns stayed at their
    question (an answer refused, or no answer: told apart afterwards)."""
    for key, at, step, greets, turn_id in rows:
        chat = chats.get(key)
        if chat is None:
            conv = convs.get(key)
            if conv is None:
                continue  # a turn of a conversation not active in the period
            chat = chats[key] = _Chat()
            if not greets:
                # No greeting stored: the chat was opened (web, CLI) and its first question
                # asked when the conversation was made.
                chat.prev = chat.last = first
                if conv.created >= lo:
                    chat.asked.add(first)
                    chat.asked_at = conv.created
        prev = chat.prev
        if step == prev:
            if prev in index:
                stays.append((turn_id, step, key, chat.run, at >= lo, bool(greets)))
                if at >= lo:
                    chat.asked.add(step)
            continue
        if chat.asked_at is not None and prev is not None:
            chat.spent[prev] = chat.spent.get(prev, 0.0) + (at - chat.asked_at)
            chat.asked_at = None
        chat.prev = step
        chat.run = turn_id
        if step in index:
            chat.last = step
            if at >= lo:
                chat.asked.add(step)
                chat.asked_at = at


def _refusals(engine: Engine, stays: list[_Stay]) -> list[tuple[str, str]]:
    """(question, chat) of each refused answer among the turns that stayed at their question."""
    details: dict[int, tuple[str | None, int | None, str | None]] = {}
    if stays:
        query = _details_query(engine.dialect.name, [stay[0] for stay in stays])
        with _cursor(engine, query) as cursor:
            details = {int(i): (said, count, buttons) for i, said, count, buttons in cursor}
    out = []
    confirming: dict[str, int] = {}  # chat -> the visit in which a command awaits "yes or no"
    for turn_id, question, key, visit, in_period, greets in stays:
        said, count, buttons = details.get(turn_id, (None, None, None))
        if confirming.pop(key, None) == visit:
            continue  # the yes or no to "are you sure?", not an answer to the question
        kind, command = _said(said)
        if kind == _COMMAND and command in _CONFIRMED and not greets:
            confirming[key] = visit
        if kind == _ANSWER and in_period and _is_refusal(count, buttons):
            out.append((question, key))
    return out


def funnel(engine: Engine, *, channel: str | None, since: datetime, until: datetime,
           now: datetime | None = None, idle: timedelta = IDLE) -> list[FunnelRow]:
    """The funnel of the conversations of `channel` ("telegram", "web", "cli"; None: every
    channel) in the period [since, until): one row per question id, in dialogue order.

    `engine` is the store's (`Store.engine`), SQLite or PostgreSQL. A conversation has stopped
    when it has been idle for `idle` at `now` (default: the clock)."""
    for moment in (since, until, now):
        if moment is not None and moment.tzinfo is None:
            raise ValueError("naive datetime: give a timezone (UTC)")
    flow = current()
    index = flow.index
    first = flow.questions[0].id
    dialect = engine.dialect.name
    lo, hi = since.timestamp(), until.timestamp()
    idle_before = (now or datetime.now(UTC)).timestamp() - idle.total_seconds()

    with _cursor(engine, _conversations_query(dialect, channel, since, until)) as cursor:
        convs = {key: _Conv(float(created), float(updated), bool(lead))
                 for key, created, updated, lead in cursor}

    chats: dict[str, _Chat] = {}
    stays: list[_Stay] = []
    if convs:
        oldest = datetime.fromtimestamp(min(c.created for c in convs.values()), UTC)
        stream = _turns_query(dialect, channel, oldest - timedelta(seconds=1), until)
        with _cursor(engine, stream, stream=True) as cursor:
            _walk(cursor, convs, chats, stays, index, first, lo)
    # Opened in the period, no turn stored before its end: asked the first question (the
    # greeting), and waiting there.
    for key, conv in convs.items():
        if key not in chats and lo <= conv.created < hi:
            chat = chats[key] = _Chat()
            chat.prev = chat.last = first
            chat.asked.add(first)

    reached = dict.fromkeys(index, 0)
    stopped = dict.fromkeys(index, 0)
    seconds: dict[str, list[float]] = {q: [] for q in index}
    for key, chat in chats.items():
        for q in chat.asked:
            reached[q] += 1
        for q, total in chat.spent.items():
            seconds[q].append(total)
        conv = convs[key]
        if conv.lead or not lo <= conv.updated < hi or conv.updated > idle_before:
            continue
        # Its last turn is in the period: its step is where the conversation waits (the state
        # bot.metrics.DropOffCollector reads from the conversation's JSON).
        where = chat.prev if chat.prev in index else chat.last if chat.prev == STOPPED else None
        if where is not None and where in chat.asked:
            stopped[where] += 1

    refused = dict.fromkeys(index, 0)
    refused_by: dict[str, set[str]] = {q: set() for q in index}
    for q, key in _refusals(engine, stays):
        refused[q] += 1
        refused_by[q].add(key)

    out = []
    for question in flow.questions:
        q = question.id
        times = seconds[q]
        n, refusing = reached[q], len(refused_by[q])
        out.append(FunnelRow(
            question_id=q, label=_label(question), reached=n, stopped=stopped[q],
            refused=refused[q], refused_conversations=refusing,
            refusal_rate=refusing / n if n else 0.0,
            median_seconds=statistics.median(times) if times else None, timed=len(times),
        ))
    return out


# --- the chart --------------------------------------------------------------------------------

_WIDTH = 360  # viewBox units: about a CSS pixel each in a phone's column (390 px wide)
_ROW = 46
_TOP = 34
_NUMBERS = 92  # room right of the bars for "1.234 gestopt"
_INK = "#1a1a1a"  # text: 17:1 on white
_BAR = "#1f4e79"  # reached: 9:1 on white (the widget's default brand colour)
_STOP = "#b45309"  # stopped: 5:1 on white, set off from the bar by a white gap
_FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


def _svg_text(x: float, y: float, text: str, *, size: int = 14, anchor: str = "start",
              weight: str = "normal", fill: str = _INK) -> str:
    return (f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}">{escape(text)}</text>')


def funnel_svg(rows: Sequence[FunnelRow], *, title: str | None = None,
               id_prefix: str = "funnel") -> str:
    """The funnel as an accessible SVG bar chart, server-rendered: per question a bar as long
    as the conversations that reached it, the part that stopped there marked at its end and
    named in words. No script, no fixed pixel size (it scales to its column), no inline style
    (the inbox's Content-Security-Policy has no 'unsafe-inline')."""
    title = title if title is not None else _("Funnel: conversations per question")
    most = max((r.reached for r in rows), default=0)
    span = _WIDTH - _NUMBERS
    height = _TOP + _ROW * len(rows) + 4
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'font-family={quoteattr(_FONT)} class="funnel-chart">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(_describe(rows))}</desc>',
        f'<rect x="0" y="4" width="12" height="12" fill="{_BAR}"/>',
        _svg_text(18, 15, _("reached"), size=13),
        f'<rect x="100" y="4" width="12" height="12" fill="{_STOP}"/>',
        _svg_text(118, 15, _("stopped there"), size=13),
    ]
    for i, row in enumerate(rows):
        y = _TOP + i * _ROW
        width = span * row.reached / most if most else 0.0
        cut = width * row.stopped / row.reached if row.reached else 0.0  # the stopped part
        summary = _("%(label)s: %(reached)s reached, %(stopped)s stopped") % {
            "label": row.label, "reached": number(row.reached), "stopped": number(row.stopped)}
        parts.append(f'<g class="funnel-row" data-question={quoteattr(row.question_id)}>'
                     f'<title>{escape(summary)}</title>')
        parts.append(_svg_text(0, y + 14, row.label))
        parts.append(_svg_text(_WIDTH, y + 14, number(row.reached), anchor="end",
                               weight="bold"))
        parts.append(f'<rect class="funnel-bar" x="0" y="{y + 21}" width="{width:.1f}" '
                     f'height="16" fill="{_BAR}"/>')
        if row.stopped:
            # The stopped part at the bar's end (at least 2 units, so a few stops show), set
            # off from the rest by a white line.
            part = min(max(cut, 2.0), width)
            parts.append(f'<rect class="funnel-stop" x="{width - part:.1f}" y="{y + 21}" '
                         f'width="{part:.1f}" height="16" fill="{_STOP}"/>')
            if width - part >= 1.5:
                parts.append(f'<rect x="{width - part - 1.5:.1f}" y="{y + 21}" width="1.5" '
                             f'height="16" fill="#ffffff"/>')
            parts.append(_svg_text(_WIDTH, y + 34, _("%(count)s stopped")
                                   % {"count": number(row.stopped)}, size=13, anchor="end",
                                   fill=_STOP))
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _describe(rows: Sequence[FunnelRow]) -> str:
    """The chart in words, for screen readers: what it shows and where most stopped."""
    if not any(r.reached for r in rows):
        return _("No conversations in this period.")
    text = _("Per question, how many conversations reached it and how many stopped there.")
    first = rows[0]
    text += " " + _("%(label)s: %(reached)s reached.") % {
        "label": first.label, "reached": number(first.reached)}
    worst = sorted((r for r in rows if r.stopped), key=lambda r: -r.stopped)[:3]
    if worst:
        text += " " + _("Most stopped at: %(questions)s.") % {"questions": ", ".join(
            f"{r.label} ({number(r.stopped)})" for r in worst)}
    return text
