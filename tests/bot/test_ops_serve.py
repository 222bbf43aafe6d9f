"""Operations, `intake serve` as the operator runs it (a subprocess configured by INTAKE_*
variables): readiness, metrics, the broker profile in the greeting, JSON logs without secrets."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.botapi import BotApiServer, botapi_fixture
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
botapi = botapi_fixture()


def _serve(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    full.update({"INTAKE_HOST": "127.0.0.1", "INTAKE_PORT": str(port),
                 "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'ops.sqlite3'}", **env})
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, port


async def _wait_ready(port: int, proc: subprocess.Popen[str]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if proc.poll() is not None:
                err = proc.stderr.read() if proc.stderr else ""
                raise AssertionError(f"intake serve exited: {err}")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("intake serve did not become ready")


async def test_serve_is_ready_counts_greets_with_the_profile_and_logs_json(
    tmp_path: Path, botapi: BotApiServer,
) -> None:
    proc, port = _serve(
        tmp_path, INTAKE_TELEGRAM_TOKEN=botapi.token, INTAKE_TELEGRAM_BASE_URL=botapi.base_url,
        INTAKE_BROKER_NAME="Van Dijk Assurantiën", INTAKE_BROKER_AFM_NUMBER="12345678",
        INTAKE_BROKER_PRIVACY_URL="https://www.vandijk.example/privacy",
        INTAKE_BROKER_PHONE="020-1234567", INTAKE_OFFICE_HOURS="ma-vr 09:00-17:30",
        INTAKE_LOG_FORMAT="json", INTAKE_LOG_LEVEL="DEBUG", INTAKE_LOG_SECRET="ops-test-secret",
        INTAKE_METRICS_TOKEN="scrape-token")
    try:
        await _wait_ready(port, proc)
        botapi.push_update(botapi.make_text_update(4343, "/start", user_id=4343))
        await botapi.wait_for("sendMessage", count=2, chat_id=4343, timeout=15)
        greeting = botapi.sent_messages(4343)[0]["text"]
        async with httpx.AsyncClient() as client:
            base = f"http://127.0.0.1:{port}"
            assert (await client.get(f"{base}/healthz")).json()["telegram"] is True
            assert (await client.get(f"{base}/metrics")).status_code == 401
            metrics = (await client.get(f"{base}/metrics",
                                        headers={"Authorization": "Bearer scrape-token"})).text
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.to_thread(proc.communicate, timeout=30)
    assert proc.returncode == 0, err
    assert "Van Dijk Assurantiën" in greeting and "12345678" in greeting
    assert "https://www.vandijk.example/privacy" in greeting and "Wft" in greeting
    assert 'intake_turns_total{channel="telegram"} 1.0' in metrics
    assert 'intake_conversations_waiting{step="product"} 1.0' in metrics
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "the service logged"
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"ts", "level", "logger", "msg"} <= set(r) for r in records)
    assert any(r["msg"].startswith("serving on") for r in records)
    assert any(r["msg"] == "turn" and r.get("step") == "product" for r in records)
    for secret in (botapi.token, "ops-test-secret", "scrape-token", "4343"):
        assert secret not in err


def test_a_bad_broker_profile_exits_2_naming_the_variable(tmp_path: Path) -> None:
    for name, value in (("INTAKE_OFFICE_HOURS", "altijd"), ("INTAKE_BRAND_COLOR", "rood"),
                        ("INTAKE_LOG_FORMAT", "xml")):
        proc, _port = _serve(tmp_path, **{name: value})
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 2, err
        assert "configuration error" in err and name in err
