"""Lead hand-off: leads a second delivered to a loopback webhook, and the time from the final
turn to the delivery (p50, p99).

    .venv/bin/python bench/outbox.py                        # SQLite, one `intake serve`
    .venv/bin/python bench/outbox.py --postgres URL         # and two instances on PostgreSQL

What is measured: `intake serve` processes as in production (web chat API, outbox worker,
`INTAKE_CRM_WEBHOOK_URL` pointing at a receiver in this process that verifies every request with
the `standardwebhooks` package). Conversations are first brought to the consent question over
the API; then, open loop at `--rate` leads a second for `--seconds`, the consent answer is sent
(alternating between the instances): the lead is committed with its outbox row when that
request returns. Latency: from that response to the receiver's verified arrival of the lead
(one clock: the same machine). Throughput: leads delivered a second while the load ran, and
the highest rate reached with `--burst` (all leads at once).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()
# A conversation as prospects type it, up to the consent question; the last answer is "ja".
ROUTE = ["beide", "we zijn een aannemer", "1,2 miljoen", "90", "40", "35%", "overslaan",
         "80.000", "30 dagen", "10%", "0", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja",
         "1", "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "0612345678",
         "overslaan", "ochtend", "ja"]
FINAL = "ja"


class Receiver:
    def __init__(self) -> None:
        self.verifier = Webhook(SECRET)
        self.arrived: dict[str, float] = {}
        self.duplicates = 0
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        payload = self.verifier.verify(body, dict(request.headers))
        reference = payload["data"]["reference"]
        if reference in self.arrived:
            self.duplicates += 1
        else:
            self.arrived[reference] = time.perf_counter()
        return Response(status_code=204)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(receiver.app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def instances(count: int, db_url: str, hook: str) -> AsyncIterator[list[str]]:
    procs: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update({"INTAKE_DATABASE_URL": db_url, "INTAKE_CRM_WEBHOOK_URL": hook,
                "INTAKE_CRM_WEBHOOK_SECRET": SECRET, "INTAKE_HOST": "127.0.0.1",
                "INTAKE_LOG_LEVEL": "WARNING", "INTAKE_LOG_SECRET": os.urandom(16).hex(),
                # The bench is one client address: lift the per-address limit.
                "INTAKE_RATE_LIMIT_PER_ADDRESS": "1000000",
                "INTAKE_RATE_LIMIT_PER_SESSION": "1000000"})
    try:
        for _ in range(count):
            port = free_port()
            procs.append(subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT,
                                          env={**env, "INTAKE_PORT": str(port)},
                                          stdout=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
        async with httpx.AsyncClient() as client:
            for base in bases:
                for _ in range(600):
                    try:
                        (await client.get(f"{base}/readyz")).raise_for_status()
                        break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.05)
                else:
                    raise SystemExit(f"intake serve at {base} did not come up")
        yield bases
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


async def prepare(client: httpx.AsyncClient, base: str, n: int) -> str:
    """A conversation at the consent question; its session token."""
    opened = (await client.post(f"{base}/api/v1/chat/sessions", json={})).json()
    token = opened["token"]
    for i, line in enumerate(ROUTE):
        r = await client.post(f"{base}/api/v1/chat/sessions/{token}/messages",
                              json={"text": line, "client_message_id": f"p{n}-{i}"})
        r.raise_for_status()
    return str(token)


async def run(db_url: str, count: int, rate: float, seconds: float) -> dict[str, Any]:
    receiver = Receiver()
    leads = int(rate * seconds)
    async with receiving(receiver) as hook, instances(count, db_url, hook) as bases, \
            httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as client:
        gate = asyncio.Semaphore(16)

        async def one(n: int) -> tuple[str, str]:
            async with gate:
                base = bases[n % len(bases)]
                return base, await prepare(client, base, n)

        sessions = await asyncio.gather(*(one(n) for n in range(leads)))
        committed: dict[str, float] = {}

        async def final(n: int, base: str, token: str) -> None:
            r = await client.post(f"{base}/api/v1/chat/sessions/{token}/messages",
                                  json={"text": FINAL, "client_message_id": f"f{n}"})
            now = time.perf_counter()
            lead = r.json().get("lead")
            if lead is None:
                raise SystemExit(f"no lead after the final answer: {r.json()['replies']}")
            committed[lead["reference"]] = now

        start = time.perf_counter()
        tasks = []
        for n, (base, token) in enumerate(sessions):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(final(n, base, token)))
        await asyncio.gather(*tasks)
        deadline = time.perf_counter() + 60
        while len(receiver.arrived) < leads and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)  # duplicates would arrive now
    latencies = sorted((receiver.arrived[ref] - at) * 1000 for ref, at in committed.items()
                       if ref in receiver.arrived)
    span = max(receiver.arrived.values()) - min(receiver.arrived.values()) \
        if receiver.arrived else 0.0
    return {
        "leads": leads, "delivered": len(receiver.arrived), "duplicates": receiver.duplicates,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        if latencies else float("nan"),
        "max": latencies[-1] if latencies else float("nan"),
        "per_second": (len(receiver.arrived) - 1) / span if span else float("nan"),
    }


def _scratch_pg(url: str) -> tuple[str, str]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1),
                         autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", schema


def _drop_pg(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1),
                         autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def report(label: str, rounds: list[dict[str, Any]]) -> None:
    def med(key: str) -> float:
        return float(statistics.median(r[key] for r in rounds))

    delivered = sum(r["delivered"] for r in rounds)
    leads = sum(r["leads"] for r in rounds)
    print(f"{label:<34} p50 {med('p50'):6.1f} ms   p99 {med('p99'):6.1f} ms   "
          f"max {med('max'):6.1f} ms   {med('per_second'):6.1f} leads/s   "
          f"delivered {delivered}/{leads}, duplicates {sum(r['duplicates'] for r in rounds)}"
          f"   (median of {len(rounds)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="leads a second (open loop)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL",
                        help="also two instances on this PostgreSQL database")
    parser.add_argument("--burst", action="store_true",
                        help="also all leads at once: the highest delivery rate")
    args = parser.parse_args()
    print(f"{args.rate:g} leads/s for {args.seconds:g} s, open loop; target p99 < 250 ms")
    setups: list[tuple[str, int, str | None]] = [("SQLite, 1 instance", 1, None)]
    if args.postgres:
        setups.append(("PostgreSQL, 2 instances", 2, args.postgres))
    for label, count, pg in setups:
        for rate, name in [(args.rate, label)] + ([(10_000.0, label + ", burst")]
                                                   if args.burst else []):
            rounds = []
            for _ in range(args.rounds):
                with tempfile.TemporaryDirectory() as tmp:
                    if pg is None:
                        url, schema = f"sqlite:///{tmp}/bench.sqlite3", None
                    else:
                        url, schema = _scratch_pg(pg)
                    try:
                        leads = int(args.rate * args.seconds)
                        rounds.append(asyncio.run(run(url, count, rate, leads / rate)))
                    finally:
                        if schema is not None:
                            _drop_pg(pg or "", schema)
            report(name, rounds)


if __name__ == "__main__":
    main()
