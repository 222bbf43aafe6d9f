"""`intake users add|list|remove`: argon2 hashes, the password from standard input only."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main as intake
from bot.inbox.users import verify
from bot.store import Store
from bot.store.schema import users

ROOT = Path(__file__).resolve().parents[2]


def _run(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return intake(argv)


def test_add_list_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    assert _run(monkeypatch, ["users", "add", " Anna@VanDijk.example ", "--password-stdin",
                              "--db", db], "een lang wachtwoord\n") == 0
    assert "added anna@vandijk.example" in capsys.readouterr().out
    assert _run(monkeypatch, ["users", "add", "piet@vandijk.example", "--password-stdin",
                              "--db", db], "nog een lang wachtwoord") == 0
    capsys.readouterr()
    assert _run(monkeypatch, ["users", "list", "--db", db]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["anna@vandijk.example",
                                                       "piet@vandijk.example"]
    store = Store(db)
    try:
        with store.engine.connect() as conn:
            hashed = conn.execute(select(users.c.password_hash)
                                  .where(users.c.email == "anna@vandijk.example")).scalar_one()
        assert hashed.startswith("$argon2id$") and "lang" not in hashed
        assert verify(store.engine, "anna@vandijk.example", "een lang wachtwoord") is not None
        assert verify(store.engine, "anna@vandijk.example", "een lang wachtwoord\n") is None
        # Twice: refused; --replace sets a new password.
        assert _run(monkeypatch, ["users", "add", "anna@vandijk.example", "--password-stdin",
                                  "--db", db], "weer een wachtwoord") == 1
        assert "already a user" in capsys.readouterr().err
        assert _run(monkeypatch, ["users", "add", "anna@vandijk.example", "--password-stdin",
                                  "--replace", "--db", db], "weer een wachtwoord") == 0
        assert verify(store.engine, "anna@vandijk.example", "weer een wachtwoord") is not None
        assert verify(store.engine, "anna@vandijk.example", "een lang wachtwoord") is None
        assert _run(monkeypatch, ["users", "remove", "ANNA@vandijk.example", "--db", db]) == 0
        assert _run(monkeypatch, ["users", "remove", "anna@vandijk.example", "--db", db]) == 1
        assert "no user anna@vandijk.example" in capsys.readouterr().err
        assert verify(store.engine, "anna@vandijk.example", "weer een wachtwoord") is None
    finally:
        store.dispose()


def test_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    # The password never on the command line.
    assert _run(monkeypatch, ["users", "add", "a@vandijk.example", "--db", db]) == 2
    assert "--password-stdin" in capsys.readouterr().err
    assert _run(monkeypatch, ["users", "add", "a@vandijk.example", "--password-stdin", "--db",
                              db], "kort\n") == 1
    assert "too short" in capsys.readouterr().err
    assert _run(monkeypatch, ["users", "add", "geen adres", "--password-stdin", "--db", db],
                "een lang wachtwoord") == 1
    assert "not an e-mail address" in capsys.readouterr().err
    assert _run(monkeypatch, ["users", "add", "--password-stdin", "--db", db], "x") == 2
    assert _run(monkeypatch, ["users", "list", "--db", db]) == 0
    assert capsys.readouterr().out == ""


def test_the_installed_command(tmp_path: Path) -> None:
    """As an operator types it: the password piped in, nothing of it printed."""
    db = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    done = subprocess.run([sys.executable, "-m", "bot", "users", "add", "ops@vandijk.example",
                           "--password-stdin", "--db", db], input="geheim wachtwoord 123\n",
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "geheim" not in done.stdout + done.stderr
    listed = subprocess.run([sys.executable, "-m", "bot", "users", "list", "--db", db],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert listed.stdout.startswith("ops@vandijk.example\t")
