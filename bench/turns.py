"""Turns per second: the dialogue engine alone, the runtime with a durable SQLite commit, and
PostgreSQL with one or more processes against what PostgreSQL itself commits (pgbench).

Run: .venv/bin/python bench/turns.py [--routes N] [--rounds R] [--conversations C]
Prints medians over R rounds:
- engine: microseconds per turn of flows.engine.step on an in-memory conversation (target
  <= 100 us on one core);
- runtime: turns per second through bot.runtime.Runtime.handle with a SQLite file and one
  committed transaction per turn (target >= 3,000/s), for synchronous=NORMAL (WAL; survives a
  killed process) and FULL (also survives a power cut);
- memory: the process's peak RSS before and after C stored conversations, to show that stored
  conversations are not kept in memory.

Run: .venv/bin/python bench/turns.py --postgres URL [--rounds R]
adds the runtime on that PostgreSQL database, one process over one connection.

Run: .venv/bin/python bench/turns.py --postgres URL --instances 1,2,4 [--seconds S]
         [--rounds R] [--variants product,pipeline] [--threads T]
prints only the PostgreSQL scaling (docs/scaling.md). For each number of processes N: N
processes, each running the runtime over its own chats (greeting to lead, then the next chat),
one connection and one committed transaction per turn, for S seconds; then, in the same round,
`pgbench -N -c N -j N -T S` on a scratch database: what PostgreSQL itself commits on this
machine with as many clients. Prints the median and best turns/s and pgbench's transactions/s,
the ratio ours/pgbench (median over the rounds of each round's pair), CPU per turn (the intake
processes' own, and all of PostgreSQL's processes') and WAL flushes per turn (group commit).
The machine is shared: the best of the rounds is the one least disturbed by other work.
Targets (issue 8): >= 2,000 turns/s from 4 processes and >= 0.6 of pgbench's rate.
Our tables live in a scratch schema and pgbench's in a scratch database, both dropped after.

Variants:
- product: Runtime.handle alone, as the CLI and a SQLite service run a turn: three round trips
  (BEGIN and the chat's lock; the read; the writes and COMMIT), statements prepared;
- product+mark: and, after each turn, what crash-safe delivery does once a reply is sent: the
  turn marked delivered in a transaction of its own (Runtime.claim_delivery);
- product+session: what `intake serve` on PostgreSQL does for a Telegram or web turn: the chat
  held across processes (Store.try_chat_session), the turn on the held connection, then the
  mark and the release in one round trip (Store.finish): four round trips.
The prototypes that led to this store (noping, pipeline, batch, batchprep, +ordered) are in
this file's history (git log bench/turns.py) and their measurements in docs/scaling.md.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import multiprocessing
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.runtime import Incoming, Runtime
from bot.store import ChatSession, Store
from flows.conversation import Context, Conversation
from flows.engine import step

ROUTE = ["beide", "aannemer", "1,2 miljoen", "90", "zo'n 40", "35%", "overslaan", "80.000",
         "30 dagen", "10%", "geen", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja", "1",
         "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "06-12345678",
         "overslaan", "ochtend", "ja", "ja"]  # the window shown back, then consent
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


def _upgrade(store: Store) -> None:
    """Create or migrate the schema (Store.upgrade once the Alembic store lands)."""
    getattr(store, "upgrade", store.create_all)()


def runtime_round(routes: int, synchronous: str, url: str | None = None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(url or f"sqlite:///{tmp}/bench.sqlite3", sqlite_synchronous=synchronous)
        _upgrade(store)
        runtime = Runtime(store)
        turns = 0
        start = time.perf_counter()
        for r in range(routes):
            chat = f"bench:{uuid.uuid4().hex}"
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
        _upgrade(store)
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


# --- PostgreSQL: several processes, and pgbench -------------------------------------------


def _libpq(url: str) -> dict[str, str]:
    """Host, port, user, password and database of a SQLAlchemy PostgreSQL URL."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return {"host": u.host or "127.0.0.1", "port": str(u.port or 5432),
            "user": u.username or "postgres", "password": u.password or "",
            "dbname": u.database or "postgres"}


def _admin(url: str) -> Any:
    import psycopg

    p = _libpq(url)
    return psycopg.connect(host=p["host"], port=p["port"], user=p["user"],
                           password=p["password"] or None, dbname=p["dbname"], autocommit=True,
                           connect_timeout=5)


def _with_schema(url: str, schema: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


@contextmanager
def _scratch_schema(url: str) -> Iterator[str]:
    """A schema of our own for the intake tables (the test suite uses `public` of the same
    database); dropped afterwards."""
    schema = f"intake_bench_{os.getpid()}"
    with _admin(url) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with _admin(url) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _fresh_tables(url: str, schema: str) -> None:
    with _admin(url) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    store = Store(_with_schema(url, schema))
    try:
        _upgrade(store)
    finally:
        store.dispose()


def _make_store(variant: str, url: str) -> Store:
    if variant.split("+")[0] == "product":
        return Store(url)
    raise SystemExit(f"unknown variant {variant!r} (product, product+mark, product+session)")


def _drive(runtime: Runtime, prefix: str, deadline: float | None, routes: int,
           mark: Callable[[str, str], object] | None,
           hold: Callable[[str], contextlib.AbstractContextManager[Any]]) -> int:
    """Chats one after another, greeting to lead; stops at the deadline (checked every turn)
    or after `routes` chats. Each turn (and its mark) runs inside `hold(chat)`. Returns the
    turns done."""
    turns = 0
    for r in itertools.count():
        if deadline is None and r >= routes:
            return turns
        chat = f"{prefix}:{r}"
        for i, line in enumerate(["/start", *ROUTE]):
            if deadline is not None and time.perf_counter() >= deadline:
                return turns
            with hold(chat) as session:
                runtime.handle(Incoming(chat, str(i), text=line))
                if mark is None:
                    pass
                elif isinstance(session, ChatSession) and session.held:
                    # What AsyncRuntime does after a send: the mark and the release at once.
                    runtime.store.finish(session, str(i))
                else:
                    mark(chat, str(i))
            turns += 1
    return turns


def _holder(store: Store, variant: str) -> Callable[[str], contextlib.AbstractContextManager[Any]]:
    """What holds a chat across processes around its turn and mark, for this variant."""
    if variant.endswith("+session"):
        # The product's hold (AsyncRuntime._across_processes): a session advisory lock on a
        # connection of the turn pool that the turn and the mark then use, tried until free
        # (here at once: every chat has one writer).
        @contextmanager
        def session(chat: str) -> Iterator[ChatSession]:
            while (held := store.try_chat_session(chat)) is None:
                time.sleep(0.002)
            try:
                yield held
            finally:
                held.release()

        return session
    return lambda _chat: contextlib.nullcontext()


def _worker(url: str, variant: str, prefix: str, seconds: float, threads: int,
            barrier: Any, results: Any) -> None:
    """One process: its own store (pool) and chats; `threads` chats at a time."""
    store = _make_store(variant, url)
    runtime = Runtime(store)
    # Crash-safe delivery marks each sent reply in a transaction of its own.
    mark = runtime.claim_delivery if variant.endswith(("+mark", "+session")) else None
    hold = _holder(store, variant)
    counts = [0] * threads
    # Warm up: connections open, psycopg's prepared statements in place (after 5 executions).
    warm = sum(_drive(runtime, f"{prefix}:w{t}", None, 1, mark, hold) for t in range(threads))
    barrier.wait(timeout=300)
    start = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    deadline = start + seconds

    def run(t: int) -> None:
        counts[t] = _drive(runtime, f"{prefix}:t{t}", deadline, 0, mark, hold)

    pool = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    end = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime
    store.dispose()
    results.put((sum(counts), warm, start, end, cpu))


def _postgres_cpu_seconds() -> float | None:
    """CPU time used so far by the local PostgreSQL server's processes (None: not readable)."""
    total = 0
    found = False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, _, rest = text.partition(") ")
        if name.endswith("(postgres"):
            fields = rest.split()
            # utime, stime, and cutime, cstime: the postmaster collects its exited backends'.
            total += sum(int(f) for f in fields[11:15])
            found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


def _server_cpu_after() -> float | None:
    """PostgreSQL's CPU time once the backends of a finished run are gone: their time moves
    to the postmaster's account when it has reaped them, which takes a moment."""
    time.sleep(0.5)
    return _postgres_cpu_seconds()


def _wal_syncs(url: str) -> int:
    """WAL flushes (fsync/fdatasync) the server has done so far."""
    with _admin(url) as conn:
        return int(conn.execute("SELECT wal_sync FROM pg_stat_wal").fetchone()[0])


@dataclass
class Sample:
    rate: float  # turns (or transactions) per second
    client_ms: float | None  # CPU of our processes (or pgbench) per turn
    server_ms: float | None  # CPU of PostgreSQL's processes per turn
    fsyncs: float | None  # WAL flushes per turn (or transaction)


def measure_ours(url: str, schema: str, variant: str, processes: int, threads: int,
                 seconds: float) -> Sample:
    _fresh_tables(url, schema)
    scoped = _with_schema(url, schema)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    run_id = uuid.uuid4().hex[:8]
    procs = [ctx.Process(target=_worker, args=(scoped, variant, f"b{run_id}:{p}", seconds,
                                               threads, barrier, results), daemon=True)
             for p in range(processes)]
    for proc in procs:
        proc.start()
    try:
        barrier.wait(timeout=300)
        syncs0 = _wal_syncs(url)
        server0 = _postgres_cpu_seconds()
        got = [results.get(timeout=seconds + 120) for _ in procs]
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    server1 = _server_cpu_after()
    syncs1 = _wal_syncs(url)
    turns = sum(g[0] for g in got)
    warm = sum(g[1] for g in got)
    wall = max(g[3] for g in got) - min(g[2] for g in got)
    store = Store(scoped)
    try:
        stored = store.count("turns")
    finally:
        store.dispose()
    # Every turn counted was committed: handle() returns only after COMMIT has answered.
    assert stored == turns + warm, f"{stored} turns stored, {turns + warm} counted"
    server = None if server0 is None or server1 is None else (server1 - server0) / turns * 1e3
    return Sample(turns / wall, sum(g[4] for g in got) / turns * 1e3, server,
                  (syncs1 - syncs0) / turns)


@contextmanager
def _pgbench_database(url: str) -> Iterator[dict[str, str]]:
    """A scratch database initialised by `pgbench -i` (scale 1), dropped afterwards."""
    params = _libpq(url)
    name = f"intake_pgbench_{os.getpid()}"
    with _admin(url) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    scratch = {**params, "dbname": name}
    try:
        _pgbench(scratch, ["-i", "-q", "-s", "1"])
        yield scratch
    finally:
        with _admin(url) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _pgbench(params: dict[str, str], args: list[str]) -> str:
    env = {**os.environ, "PGPASSWORD": params["password"]} if params["password"] else None
    done = subprocess.run(["pgbench", "-h", params["host"], "-p", params["port"], "-U",
                           params["user"], *args, params["dbname"]], env=env,
                          capture_output=True, text=True, check=True, timeout=600)
    return done.stdout + done.stderr


def measure_pgbench(url: str, params: dict[str, str], clients: int, seconds: float) -> Sample:
    syncs0 = _wal_syncs(url)
    server0 = _postgres_cpu_seconds()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = _pgbench(params, ["-N", "-n", "-c", str(clients), "-j", str(clients), "-T",
                            str(int(seconds))])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server1 = _server_cpu_after()
    syncs1 = _wal_syncs(url)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    done = re.search(r"number of transactions actually processed: (\d+)", out)
    if match is None or done is None:
        raise SystemExit(f"cannot read pgbench's output:\n{out}")
    txns = int(done.group(1))
    cpu = after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime
    server = None if server0 is None or server1 is None else (server1 - server0) / txns * 1e3
    return Sample(float(match.group(1)), cpu / txns * 1e3, server, (syncs1 - syncs0) / txns)


def _ms(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.2f}"


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _row(label: str, samples: list[Sample], peers: list[Sample] | None) -> str:
    rate = statistics.median(s.rate for s in samples)
    best = max(s.rate for s in samples)
    ratio = ""
    if peers is not None:
        # Each round's own pair (measured one after the other), then the median: the machine
        # may be busier in one round than in another.
        pairs = zip(samples, peers, strict=True)
        ratio = f"{statistics.median(a.rate / b.rate for a, b in pairs):7.2f}"
    return (f"{label:30} {rate:8,.0f} {best:8,.0f} {ratio:>7}   "
            f"{_ms(_median([s.client_ms for s in samples]))} + "
            f"{_ms(_median([s.server_ms for s in samples]))}   "
            f"{_ms(_median([s.fsyncs for s in samples]))}")


def scaling(url: str, instances: list[int], variants: list[str], threads: int, seconds: float,
            rounds: int) -> None:
    with _admin(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("synchronous_commit", "fsync", "wal_sync_method")}
    print(f"PostgreSQL {version.split()[0]} ({', '.join(f'{k}={v}' for k, v in settings.items())})"
          f"; {os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}")
    print(f"{seconds:g} s a measurement, median of {rounds} rounds, ours and pgbench "
          "interleaved. A turn counts once Runtime.handle returned: after COMMIT answered, "
          "i.e. after the WAL flush.")
    # Measurements grouped by client count (n processes x t threads = n * t connections), so
    # that each of ours runs next to the pgbench run it is compared with.
    runs: dict[int, list[tuple[str, int, int]]] = {}
    for n in instances:
        runs.setdefault(n, []).extend((v, n, 1) for v in variants)
    if threads > 1:
        runs.setdefault(threads, []).extend((v, 1, threads) for v in variants)
    ours: dict[tuple[str, int, int], list[Sample]] = {r: [] for rs in runs.values() for r in rs}
    bench: dict[int, list[Sample]] = {n: [] for n in runs}
    with _scratch_schema(url) as schema, _pgbench_database(url) as params:
        for r in range(rounds):
            for clients, group in runs.items():
                for run in group:
                    ours[run].append(measure_ours(url, schema, *run, seconds))
                    print(f"    {run}: {ours[run][-1].rate:,.0f} turns/s", file=sys.stderr)
                bench[clients].append(measure_pgbench(url, params, clients, seconds))
                print(f"    pgbench -c {clients}: {bench[clients][-1].rate:,.0f} tps",
                      file=sys.stderr)
            print(f"  round {r + 1}/{rounds} done (load average {os.getloadavg()[0]:.2f})",
                  file=sys.stderr)
    print(f"{'turns (transactions) per second':30} {'median':>8} {'best':>8} {'ours/pg':>7}   "
          "CPU ms a turn: ours + PostgreSQL's   WAL flushes a turn")
    for clients, group in runs.items():
        print(_row(f"pgbench -N -c {clients} -j {clients}", bench[clients], None))
        for variant, n, t in group:
            label = f"{variant}, {n} process" + ("es" if n > 1 else "") + \
                (f" x {t} threads" if t > 1 else "")
            print(_row(label, ours[(variant, n, t)], bench[clients]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--routes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL",
                        help="also measure the runtime on this PostgreSQL database, e.g. "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--instances", metavar="N,N,...",
                        help="with --postgres: only the scaling measurement, for these "
                             "numbers of processes (e.g. 1,2,4), next to pgbench -N")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="duration of each scaling measurement (ours and pgbench's)")
    parser.add_argument("--variants", default="product",
                        help="comma-separated: product, product+mark, product+session "
                             "(see the module's docstring)")
    parser.add_argument("--threads", type=int, default=1,
                        help="also one process with this many threads (the GIL's share)")
    args = parser.parse_args()
    if args.instances:
        if not args.postgres:
            parser.error("--instances needs --postgres URL")
        scaling(args.postgres, [int(n) for n in args.instances.split(",")],
                args.variants.split(","), args.threads, args.seconds, args.rounds)
        return
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
        with _scratch_schema(args.postgres) as schema:
            url = _with_schema(args.postgres, schema)
            rates = []
            for _ in range(args.rounds):
                _fresh_tables(args.postgres, schema)
                rates.append(runtime_round(args.routes // 2, "NORMAL", url))
        print(f"runtime, PostgreSQL:     median {statistics.median(rates):7,.0f} turns/s"
              "  (one process, one connection, one commit per turn)")
    if args.conversations:
        before, half, after = memory(args.conversations)
        print(f"memory: peak RSS {before:.1f} MiB before, {half:.1f} MiB after "
              f"{args.conversations // 2:,}, {after:.1f} MiB after {args.conversations:,} "
              "stored conversations")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
