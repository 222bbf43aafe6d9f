"""The web chat under load, on loopback: `intake serve` against a bare Starlette app that answers
a fixed turn on the same uvicorn setup (the limit of the HTTP stack alone).

Run: .venv/bin/python bench/web.py [--prospects 200] [--rate 1] [--seconds 20]
                                   [--workers 32] [--closed-seconds 10] [--runs 3]
                                   [--mode both|open|closed] [--url URL] [--bare-url URL]

Starts both servers (intake serve on a fresh SQLite file, the bare app) unless --url /
--bare-url name running ones. Each prospect runs complete conversations (tests/support/webapp
ROUTE: greeting to lead, 27 turns), a new session after each.

- open loop: --prospects prospects, each answering --rate times a second (the first answers
  spread over the first second); a prospect never answers before it has its reply, so a slow
  server is not flooded beyond what real people do. Target: p99 < 50 ms, no errors.
- closed loop: --workers prospects answering as fast as their replies come. Target: turns/s
  at least half of the bare app's.

A turn is one request that returns a turn (a session's start, or a message). Prints, per mode
and server, turns/s, p50 and p99 latency and errors, as medians over --runs runs, and the
ratios intake/bare. The load generator (httpx, asyncio) runs in this process, on the same
2-core machine: in the closed loop it is part of what limits both servers alike.

Internal: `bench/web.py --serve-bare PORT` runs the bare app.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

# Complete conversation, answered the way prospects type: "ochtend" is shown back as a window
# ("ja"), then consent ("ja").
ROUTE = ["beide", "we zijn een aannemer", "1,2 miljoen", "90", "40", "35%", "overslaan",
         "80.000", "30 dagen", "10%", "0", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja",
         "1", "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "0612345678",
         "overslaan", "ochtend", "ja", "ja"]  # the window shown back, then consent

FIXED_TURN: dict[str, Any] = {
    "replies": [{"text": "Vraag 3 van 26\nWat is ongeveer uw jaaromzet?", "choices": []}],
    "step": "turnover", "progress": {"current": 3, "total": 26}, "done": False, "lead": None,
}


def uvicorn_config(app: Any, port: int) -> Any:
    """The uvicorn setup of `intake serve` (bot/service.py)."""
    import uvicorn

    return uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                          log_config=None, access_log=False, lifespan="off",
                          proxy_headers=True, forwarded_allow_ips="127.0.0.1")


def serve_bare(port: int) -> None:
    """A Starlette app with the chat routes that parses the message and returns a fixed turn."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    token = "b" * 43

    async def create(_request: Request) -> Response:
        return JSONResponse({"token": token, "turn": FIXED_TURN}, 201)

    async def message(request: Request) -> Response:
        json.loads(await request.body())
        return JSONResponse(FIXED_TURN)

    app = Starlette(routes=[
        Route("/api/v1/chat/sessions", create, methods=["POST"]),
        Route("/api/v1/chat/sessions/{token}/messages", message, methods=["POST"]),
        Route("/healthz", lambda _r: JSONResponse({"status": "ok"}), methods=["GET"]),
    ])
    asyncio.run(uvicorn.Server(uvicorn_config(app, port)).serve())


# --- load --------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    unfinished: int = 0  # conversations whose last turn was not done (intake only)
    conversations: int = 0
    first_error: str = ""

    def error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what


async def _turn(client: httpx.AsyncClient, tally: Tally, url: str,
                body: dict[str, Any] | None) -> dict[str, Any] | None:
    start = time.perf_counter()
    try:
        response = await client.post(url, json=body)
    except httpx.HTTPError as error:
        tally.error(type(error).__name__)
        return None
    tally.latencies.append(time.perf_counter() - start)
    if response.status_code not in (200, 201):
        tally.error(f"HTTP {response.status_code}")
        return None
    return dict(response.json())


async def _prospect(client: httpx.AsyncClient, tally: Tally, deadline: float,
                    interval: float, check_done: bool) -> None:
    """Conversations back to back until the deadline; one answer every `interval` seconds
    (0: as soon as the reply is there)."""
    next_at = time.perf_counter() + random.uniform(0, interval)
    while True:
        if interval:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            next_at += interval
        if time.perf_counter() >= deadline:
            return
        created = await _turn(client, tally, "/api/v1/chat/sessions", None)
        if created is None:
            await asyncio.sleep(0.1)
            continue
        token, turn = created["token"], created["turn"]
        for line in ROUTE:
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
            if time.perf_counter() >= deadline:
                return
            answered = await _turn(client, tally, f"/api/v1/chat/sessions/{token}/messages",
                                   {"text": line, "client_message_id": uuid.uuid4().hex})
            if answered is None:
                break
            turn = answered
        else:
            tally.conversations += 1
            if check_done and not turn.get("done"):
                tally.unfinished += 1


async def run_load(base: str, prospects: int, interval: float, seconds: float,
                   check_done: bool) -> tuple[Tally, float]:
    # A client (and a connection) per prospect, as each prospect is a browser of its own; one
    # shared pool of hundreds of connections costs httpx more than the requests themselves.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base, limits=limits, timeout=30)
               for _ in range(prospects)]
    try:
        # Open the connections first: a page has loaded the widget before the prospect types.
        await asyncio.gather(*(c.get("/healthz") for c in clients))
        tally = Tally()
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(_prospect(c, tally, deadline, interval, check_done)
                               for c in clients))
        elapsed = time.perf_counter() - start
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return tally, elapsed


@dataclass
class Result:
    turns_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    unfinished: int
    conversations: int
    server_cpu: float = 0.0  # share of one core the server used (nan: not ours to measure)
    client_cpu: float = 0.0  # share of one core this load generator used


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process (Linux /proc); nan when unknown."""
    if pid is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summarise(tally: Tally, elapsed: float) -> Result:
    lat = sorted(tally.latencies) or [0.0]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    return Result(len(tally.latencies) / elapsed, statistics.median(lat) * 1000, p99 * 1000,
                  tally.errors, tally.unfinished, tally.conversations)


def median_result(results: list[Result]) -> Result:
    return Result(
        statistics.median(r.turns_per_s for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        sum(r.errors for r in results), sum(r.unfinished for r in results),
        sum(r.conversations for r in results),
        statistics.median(r.server_cpu for r in results),
        statistics.median(r.client_cpu for r in results),
    )


# --- servers -----------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"server at {base} exited with {proc.returncode}")
        try:
            httpx.get(f"{base}/healthz", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit(f"server at {base} did not come up")


def start_intake(folder: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update({"INTAKE_HOST": "127.0.0.1", "INTAKE_PORT": str(port),
                "INTAKE_DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                "INTAKE_LOG_LEVEL": "WARNING", "INTAKE_LOG_SECRET": "bench"})
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait(base, proc)
    return proc, base


def start_bare() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve-bare", str(port)], cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    _wait(base, proc)
    return proc, base


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- main --------------------------------------------------------------------------------------


def _line(name: str, r: Result) -> str:
    done = f", {r.unfinished} unfinished" if r.unfinished else ""
    return (f"  {name:7s} {r.turns_per_s:8.0f} turns/s   p50 {r.p50_ms:6.1f} ms   "
            f"p99 {r.p99_ms:6.1f} ms   errors {r.errors}{done}   "
            f"conversations {r.conversations}   CPU: server {r.server_cpu:.0%}, "
            f"load generator {r.client_cpu:.0%} of a core")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help="a running intake serve (default: start one)")
    parser.add_argument("--bare-url", help="a running bare app (default: start one)")
    parser.add_argument("--mode", choices=("both", "open", "closed"), default="both")
    parser.add_argument("--prospects", type=int, default=200)
    parser.add_argument("--rate", type=float, default=1.0, help="answers a second a prospect")
    parser.add_argument("--seconds", type=float, default=40.0,
                        help="open loop, per run (a conversation takes ~27 s at 1 answer/s)")
    parser.add_argument("--workers", type=int, default=32, help="closed-loop prospects")
    parser.add_argument("--closed-seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return 0

    procs: list[subprocess.Popen[bytes] | None] = [None, None]
    with tempfile.TemporaryDirectory() as folder:
        try:
            if args.url:
                intake = args.url.rstrip("/")
            else:
                procs[0], intake = start_intake(folder)
            if args.bare_url:
                bare = args.bare_url.rstrip("/")
            else:
                procs[1], bare = start_bare()
            targets = {"intake": (intake, True, procs[0]), "bare": (bare, False, procs[1])}
            modes = [("open", args.prospects, 1.0 / args.rate, args.seconds),
                     ("closed", args.workers, 0.0, args.closed_seconds)]
            failed = False
            for mode, prospects, interval, seconds in modes:
                if args.mode not in ("both", mode):
                    continue
                print(f"{mode} loop: {prospects} prospects"
                      + (f", each {args.rate:g} answer/s" if interval else ", flat out")
                      + f", {seconds:g} s a run, median of {args.runs} runs", flush=True)
                medians: dict[str, Result] = {}
                for name, (base, check, proc) in targets.items():
                    runs = []
                    pid = proc.pid if proc is not None else None
                    for _ in range(args.runs):
                        server0, client0 = cpu_seconds(pid), time.process_time()
                        tally, elapsed = asyncio.run(
                            run_load(base, prospects, interval, seconds, check))
                        result = summarise(tally, elapsed)
                        result.server_cpu = (cpu_seconds(pid) - server0) / elapsed
                        result.client_cpu = (time.process_time() - client0) / elapsed
                        runs.append(result)
                        if tally.first_error:
                            print(f"    first error: {tally.first_error}", flush=True)
                    medians[name] = median_result(runs)
                    print(_line(name, medians[name]), flush=True)
                ours, theirs = medians["intake"], medians["bare"]
                print(f"  ratio intake/bare: throughput {ours.turns_per_s / theirs.turns_per_s:.2f}"
                      f", p99 {ours.p99_ms / max(theirs.p99_ms, 1e-9):.1f}x", flush=True)
                # What a server would do with a core to itself, whoever limits the run.
                cost = {n: r.server_cpu / r.turns_per_s * 1000 for n, r in medians.items()}
                if all(c == c for c in cost.values()):  # not nan: both servers are ours
                    print(f"  server CPU per turn: intake {cost['intake']:.2f} ms, bare "
                          f"{cost['bare']:.2f} ms: one core's worth {1000 / cost['intake']:.0f}"
                          f" vs {1000 / cost['bare']:.0f} turns/s "
                          f"(ratio {cost['bare'] / cost['intake']:.2f})", flush=True)
                if mode == "open":
                    ok = ours.p99_ms < 50 and ours.errors == 0 and ours.unfinished == 0
                    print(f"  target p99 < 50 ms, no errors: {'met' if ok else 'MISSED'}")
                else:
                    ratio = ours.turns_per_s / theirs.turns_per_s
                    ok = ratio >= 0.5 and ours.errors == 0
                    print(f"  target >= 0.5 of the bare app: {'met' if ok else 'MISSED'}")
                failed = failed or not ok
        finally:
            for proc in procs:
                _stop(proc)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
