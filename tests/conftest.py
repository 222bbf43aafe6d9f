"""Shared fixtures: the databases every storage test runs against."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# python-telegram-bot warns about its int -> timedelta change on every RetryAfter unless this is
# set; our warnings-are-errors policy would turn that into a failure inside PTB's own retry path.
os.environ.setdefault("PTB_TIMEDELTA", "1")

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get(
    "INTAKE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def require(available: bool, reason: str) -> None:
    """Skip loudly on a laptop; fail in CI, where everything must be there."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(f"!!! {reason} (this would fail in CI)")


def _postgres_available() -> bool:
    try:
        import psycopg

        url = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'intake.sqlite3'}"
        return
    require(_postgres_available(), f"PostgreSQL is not reachable at {POSTGRES_URL}")
    from sqlalchemy import create_engine

    from bot.store import metadata

    engine = create_engine(POSTGRES_URL)
    metadata.drop_all(engine)
    engine.dispose()
    yield POSTGRES_URL
