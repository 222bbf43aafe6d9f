"""Turns per second: the dialogue engine alone, and the runtime with a durable SQLite commit.

Run: .venv/bin/python bench/turns.py [--routes N] [--rounds R] [--conversations C]
Prints medians over R rounds:
- engine: microseconds per turn of flows.engine.step on an in-memory conversation (target
  <= 100 us on one core);
- runtime: turns per second through bot.runtime.Runtime.handle with a SQLite file and one
  committed transaction per turn (target >= 3,000/s), for synchronous=NORMAL (WAL; survives a
  killed process) and FULL (also survives a power cut);
- memory: the process's peak RSS before and after C stored conversations, to show that stored
  conversations are not kept in memory.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.runtime import Incoming, Runtime
from bot.store import Store
from flows.conversation import Context, Conversation
from flows.engine import step

ROUTE = ["beide", "aannemer", "1,2 miljoen", "90", "zo'n 40", "35%", "overslaan", "80.000",
         "30 dagen", "10%", "geen", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja", "1",
         "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "06-12345678",
         "overslaan", "ochtend", "ja"]
_refs = itertools.count(1)
CTX = Context(channel="bench", new_reference=lambda: f"IK-2026-{next(_refs):06d}")


def engine_round(routes: int) -> float:
    """Microseconds per turn, whole routes (greeting to lead) in memory."""
    turns = 0
    start = time.perf_counter()
    for _ in range(routes):
        conv = Conversation()
        step(conv, CTX)
        for line in ROUTE:
            step(conv, CTX, line)
        turns += len(ROUTE) + 1
    return (time.perf_counter() - start) / turns * 1e6


def runtime_round(routes: int, synchronous: str, url: str | None = None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(url or f"sqlite:///{tmp}/bench.sqlite3", sqlite_synchronous=synchronous)
        if url:
            from bot.store import metadata

            metadata.drop_all(store.engine)
        store.create_all()
        runtime = Runtime(store)
        turns = 0
        start = time.perf_counter()
        for r in range(routes):
            chat = f"bench:{r}"
            runtime.open(chat)
            for i, line in enumerate(ROUTE):
                runtime.handle(Incoming(chat, f"{r}-{i}", text=line))
            turns += len(ROUTE) + 1
        rate = turns / (time.perf_counter() - start)
        store.dispose()
        return rate


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory(conversations: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/mem.sqlite3")
        store.create_all()
        runtime = Runtime(store)
        for i in range(1000):  # warm up caches and pools before the first reading
            runtime.open(f"warm:{i}")
        before = rss_mib()
        half = 0.0
        for i in range(conversations):
            chat = f"mem:{i}"
            runtime.open(chat)
            runtime.handle(Incoming(chat, "1", text="beide"))
            if i == conversations // 2:
                half = rss_mib()
        after = rss_mib()
        store.dispose()
        return before, half, after


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--routes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL",
                        help="also measure the runtime on this PostgreSQL database (its intake "
                             "tables are dropped first), e.g. "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    engine_round(20)
    engine = [engine_round(args.routes) for _ in range(args.rounds)]
    print(f"route: {len(ROUTE) + 1} turns, greeting to lead; {args.rounds} rounds")
    print(f"engine only:             median {statistics.median(engine):7.1f} us/turn"
          "   (target <= 100)")
    for mode in ("NORMAL", "FULL"):
        rates = [runtime_round(args.routes // 2, mode) for _ in range(args.rounds)]
        print(f"runtime, SQLite {mode:6}:  median {statistics.median(rates):7,.0f} turns/s"
              "  (target >= 3,000; one commit per turn)")
    if args.postgres:
        rates = [runtime_round(args.routes // 2, "NORMAL", args.postgres)
                 for _ in range(args.rounds)]
        print(f"runtime, PostgreSQL:     median {statistics.median(rates):7,.0f} turns/s"
              "  (one process, one connection, one commit per turn)")
    if args.conversations:
        before, half, after = memory(args.conversations)
        print(f"memory: peak RSS {before:.1f} MiB before, {half:.1f} MiB after "
              f"{args.conversations // 2:,}, {after:.1f} MiB after {args.conversations:,} "
              "stored conversations")


if __name__ == "__main__":
    main()
