"""Drive `intake chat --jsonl` as a subprocess, one prospect message at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class JsonlChat:
    def __init__(self, db_url: str, chat_id: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        args = [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", db_url]
        if chat_id:
            args += ["--chat-id", chat_id]
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, cwd=ROOT, env={**os.environ, **(env or {})}, bufsize=1,
        )
        self.turns: list[dict[str, Any]] = [self._read()]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"intake chat ended: {err}")
        return json.loads(line)

    @property
    def turn(self) -> dict[str, Any]:
        return self.turns[-1]

    @property
    def text(self) -> str:
        return "\n".join(r["text"] for r in self.turn["replies"])

    @property
    def choices(self) -> list[dict[str, str]]:
        return [c for r in self.turn["replies"] for c in r["choices"]]

    def say(self, text: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.replace("\n", " ") + "\n")
        self.proc.stdin.flush()
        self.turns.append(self._read())
        return self.turn

    def close(self) -> int:
        if self.proc.stdin:
            self.proc.stdin.close()
        code = self.proc.wait(timeout=30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        return code

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
