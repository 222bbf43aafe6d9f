"""`intake serve` as a subprocess: the operator's command, configured only by INTAKE_* variables."""

from __future__ import annotations

import asyncio
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


async def _wait_healthy(port: int, proc: subprocess.Popen[str]) -> dict[str, object]:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            if proc.poll() is not None:
                err = proc.stderr.read() if proc.stderr else ""
                raise AssertionError(f"intake serve exited: {err}")
            try:
                response = await client.get(f"http://127.0.0.1:{port}/healthz")
                return dict(response.json())
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise AssertionError("intake serve did not come up")


def _serve(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    full = {**os.environ, "INTAKE_HOST": "127.0.0.1", "INTAKE_PORT": str(port),
            "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}", **env}
    if "INTAKE_TELEGRAM_TOKEN" not in env:
        full.pop("INTAKE_TELEGRAM_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, port


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return err


async def test_serve_without_a_token_runs_and_says_telegram_is_off(tmp_path: Path) -> None:
    proc, port = _serve(tmp_path)
    try:
        health = await _wait_healthy(port, proc)
        assert health == {"status": "ok", "telegram": False}
    finally:
        err = _stop(proc)
    assert "Telegram is off" in err
    assert proc.returncode == 0


async def test_serve_with_a_token_talks_to_the_configured_bot_api(
    tmp_path: Path, botapi: BotApiServer
) -> None:
    proc, port = _serve(tmp_path, INTAKE_TELEGRAM_TOKEN=botapi.token,
                        INTAKE_TELEGRAM_BASE_URL=botapi.base_url,
                        INTAKE_BROKER_NAME="Makelaardij Test")
    try:
        health = await _wait_healthy(port, proc)
        assert health["telegram"] is True
        botapi.push_update(botapi.make_text_update(4242, "/start", user_id=4242))
        await botapi.wait_for("sendMessage", count=2, chat_id=4242, timeout=15)
        assert "Makelaardij Test" in botapi.sent_messages(4242)[0]["text"]
    finally:
        err = _stop(proc)
    assert botapi.token not in err, "the bot token never appears in the logs"


def test_bad_configuration_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    proc, _ = _serve(tmp_path, INTAKE_PORT="achtduizend")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "configuration error" in err and "INTAKE_PORT" in err
    proc, _ = _serve(tmp_path, INTAKE_TELEGRAM_TOKEN="123:abc",
                     INTAKE_TELEGRAM_WEBHOOK_URL="https://example.invalid/telegram/webhook")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "INTAKE_TELEGRAM_SECRET" in err
    assert "123:a" not in err, "no part of the token is echoed"


async def test_a_rejected_token_exits_with_a_message_that_does_not_quote_it(
    tmp_path: Path, botapi: BotApiServer
) -> None:
    wrong = "7000000001:AAWrongTokenThatMustNotBeLogged000000"
    proc, _ = _serve(tmp_path, INTAKE_TELEGRAM_TOKEN=wrong,
                     INTAKE_TELEGRAM_BASE_URL=botapi.base_url)
    _, err = await asyncio.to_thread(proc.communicate, timeout=60)
    assert proc.returncode == 1
    assert "rejected INTAKE_TELEGRAM_TOKEN" in err
    assert "AAWrongToken" not in err
