"""Time of one `bot.funnel.funnel()` call over a big database (the /broker/funnel page).

Run: .venv/bin/python bench/funnel.py [--conversations 20000] [--days 30] [--rounds 3]
         [--postgres URL]

Fills a scratch SQLite file (and, with --postgres, a scratch schema in that database) with
conversations spread over the last `days` days: each route shape below is driven once through
the real dialogue engine (flows.engine.step), and its turns (incoming message and turn JSON,
as the runtime stores them) are replayed under many chat keys, channels and start times, with
a few seconds to a minute between turns. Shapes: complete quotes (both products, credit only,
BI only), the call-back path, drop-offs at several questions (after a refused answer or not),
refusals that recover, commands ("waarom", "terug", "hulp"), a pause with "stop", and web chats
opened but never answered. Web and CLI chats are opened first (their greeting is not a stored
turn), Telegram chats start with "/start".

Prints the number of rows, then the median of `rounds` calls (seconds) for: all channels over
the whole period, one channel, and the last 7 days. Target: under 1 s for 20,000
conversations (~400,000 turns) on SQLite.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bot.funnel import funnel
from bot.store import Store
from bot.store.schema import conversations, turns
from flows.conversation import Context, Conversation
from flows.engine import step
from flows.office_hours import TZ

BOTH = ["beide", "groothandel", "1,2 miljoen", "90", "40", "35%", "overslaan", "80.000",
        "30 dagen", "10%", "0", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja", "1",
        "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "0612345678",
        "overslaan", "ochtend", "ja", "ja"]
CREDIT = ["kredietverzekering", "bouw", "3 ton", "80", "25", "50%", "overslaan", "40.000",
          "60 dagen", "0", "nee", "75%", "ja", "Piet Bakker", "Bakker Bouw", "piet@bakker.nl",
          "0687654321", "12345678", "zo snel mogelijk", "ja", "ja"]
BI = ["bedrijfsschade", "transport", "2 miljoen", "1,2 miljoen", "ja", "52 weken", "72 uur",
      "nee", "2", "ja", "Anna de Wit", "De Wit Transport", "anna@dewit.nl", "0611122233",
      "overslaan", "middag", "ja", "ja"]
CALLBACK = ["bel mij liever", "Karel Jansen", "0622233344", "morgenochtend", "ja", "ja"]

# (weight, channel kinds, lines): the route shapes, as prospects take them.
SHAPES: list[tuple[int, str, list[str]]] = [
    (42, "any", BOTH),
    (12, "any", CREDIT),
    (6, "any", BI),
    (6, "any", CALLBACK),
    (6, "any", ["beide", "groothandel", "veel"]),  # stops after a refused turnover
    (5, "any", ["kredietverzekering", "bouw", "geen idee"]),
    (4, "any", ["beide", "horeca"]),
    (6, "any", ["beide", "groothandel", "1,2 miljoen", "waarom", "90", "40"]),
    (5, "any", [*BOTH[:7], "hulp"]),
    (4, "any", BOTH[:18]),  # stops at the summary
    (4, "any", [*BOTH[:21], "jan at vries", "jan@vries.nl"]),  # stops at the phone
    (5, "any", ["beide", "iets met auto's", "autohandel", "veel", "choice:band750000",
                *BOTH[3:12], "terug", *BOTH[11:19], "stop"]),
    (20, "any", ["beide", "groothandel", "ongeveer een miljoen", *BOTH[3:]]),
    (6, "any", ["kredietverzekering", "bouw", "ik weet het niet", "choice:band1500000",
                *CREDIT[3:14]]),
    (4, "web", []),  # opened, never answered
]


def record(lines: list[str], channel: str) -> tuple[list[tuple[str | None, str]], dict[str, Any]]:
    """Drive the engine through one route: [(incoming JSON, turn JSON)] as the runtime stores
    them, and the conversation at the end."""
    counter = itertools.count(1)
    now = datetime(2026, 11, 24, 10, 7, tzinfo=TZ)
    ctx = Context(broker_name="Bench Makelaars", channel=channel, now=lambda: now,
                  new_reference=lambda: f"IK-2026-{next(counter):06d}")
    conv = Conversation()
    out: list[tuple[str | None, str]] = []
    said: list[str] = list(lines)
    if channel == "telegram":
        said.insert(0, "/start")
    else:
        step(conv, ctx)  # opened: the greeting is not stored
    for line in said:
        # "choice:<id>" presses a button; anything else is typed.
        choice = line.removeprefix("choice:") if line.startswith("choice:") else None
        text = None if choice is not None else line
        turn = step(conv, ctx, text, choice)
        out.append((json.dumps({"text": text, "choice": choice}, separators=(",", ":"),
                               ensure_ascii=False),
                    json.dumps(turn.to_json(), separators=(",", ":"), ensure_ascii=False)))
    return out, conv.to_json()


def utc_text(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def fill(store: Store, n: int, days: int, now: datetime, seed: int = 7) -> tuple[int, int]:
    rng = random.Random(seed)
    channels = ("telegram", "web", "cli")
    recorded = {(i, ch): record(lines, ch)
                for i, (_w, kinds, lines) in enumerate(SHAPES)
                for ch in (channels if kinds == "any" else (kinds,))}
    weights = [w for w, _k, _l in SHAPES]
    conv_rows: list[dict[str, Any]] = []
    turn_rows: list[dict[str, Any]] = []
    sqlite = store.dialect == "sqlite"

    def stamp(at: datetime) -> Any:
        return utc_text(at) if sqlite else at

    for k in range(n):
        shape = rng.choices(range(len(SHAPES)), weights)[0]
        kinds = SHAPES[shape][1]
        channel = rng.choice(channels) if kinds == "any" else kinds
        rows, data = recorded[(shape, channel)]
        chat = f"{channel}:{uuid.UUID(int=rng.getrandbits(128)).hex}"
        start = now - timedelta(seconds=rng.uniform(0, days * 86400))
        at = start
        for m, (incoming, turn) in enumerate(rows):
            at += timedelta(seconds=rng.uniform(3, 60))
            turn_rows.append({"chat_key": chat, "message_id": f"{k}-{m}", "incoming": incoming,
                              "turn": turn, "created_at": stamp(at), "delivered_at": stamp(at)})
        conv_rows.append({"chat_key": chat, "data": json.dumps(data, separators=(",", ":")),
                          "created_at": stamp(start), "updated_at": stamp(at)})
    rng.shuffle(turn_rows)  # chats interleave in time, as they do in production
    turn_rows.sort(key=lambda r: r["created_at"])
    with store.engine.begin() as conn:
        raw_insert(conn, conversations, conv_rows, sqlite)
        raw_insert(conn, turns, turn_rows, sqlite)
    return len(conv_rows), len(turn_rows)


def raw_insert(conn: Any, table: Any, rows: list[dict[str, Any]], sqlite: bool) -> None:
    """Bulk insert on the driver (the times are bound already for SQLite)."""
    if not rows:
        return
    columns = list(rows[0])
    if sqlite:
        marks = ", ".join("?" for _c in columns)
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
        cursor = conn.connection.driver_connection.cursor()
        cursor.executemany(sql, [tuple(r[c] for c in columns) for r in rows])
        return
    for start in range(0, len(rows), 5000):
        conn.execute(insert(table), rows[start:start + 5000])


def timed(call: Callable[[], object], rounds: int) -> tuple[float, float, object]:
    """Median wall time and median CPU time of this process (the machine may be shared: for
    SQLite, whose work runs in this process, CPU time is what the call itself cost)."""
    walls, cpus = [], []
    value: object = None
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        value = call()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), value


def run(store: Store, args: argparse.Namespace, label: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    start = time.perf_counter()
    n_conv, n_turns = fill(store, args.conversations, args.days, now)
    print(f"{label}: {n_conv} conversations, {n_turns} turns, filled in "
          f"{time.perf_counter() - start:.1f} s")
    since = now - timedelta(days=args.days + 1)
    cases = [
        ("all channels, whole period", dict(channel=None, since=since)),
        ("web only, whole period", dict(channel="web", since=since)),
        ("all channels, last 7 days", dict(channel=None, since=now - timedelta(days=7))),
    ]
    for name, kw in cases:
        wall, cpu, rows = timed(lambda kw=kw: funnel(
            store.engine, until=now + timedelta(seconds=1), now=now, **kw), args.rounds)
        assert isinstance(rows, list)
        first = rows[0]
        print(f"  {name}: median {wall:.3f} s wall, {cpu:.3f} s CPU of {args.rounds} "
              f"(reached {first.label}: {first.reached}, stopped in total: "
              f"{sum(r.stopped for r in rows)}, refused in total: "
              f"{sum(r.refused for r in rows)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="also on this PostgreSQL database (scratch schema)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'funnel.sqlite3'}")
        store.upgrade()
        try:
            run(store, args, "SQLite")
        finally:
            store.dispose()
    if args.postgres:
        import psycopg

        schema = f"bench_funnel_{uuid.uuid4().hex[:8]}"
        libpq = args.postgres.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in args.postgres else "?"
        store = Store(f"{args.postgres}{sep}options=-csearch_path%3D{schema}")
        try:
            store.upgrade()
            run(store, args, "PostgreSQL")
        finally:
            store.dispose()
            with psycopg.connect(libpq, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
