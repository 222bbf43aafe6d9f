"""The brokers who may use the inbox: `intake users add|list|remove`, and the password check.

Passwords are kept as argon2id hashes (argon2-cffi's defaults: RFC 9106's low-memory profile),
never in any other form. An e-mail address is the user's name, compared case-insensitively
(stored in lower case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.schema import users

__all__ = ["MIN_PASSWORD", "User", "UserError", "add_user", "list_users", "normalise_email",
           "remove_user", "verify"]

MIN_PASSWORD = 12  # characters
MAX_PASSWORD = 1024  # longer is not a password but an attempt to make hashing expensive


class UserError(ValueError):
    """A user cannot be added or removed; the message says why (for the operator)."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    created_at: datetime


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Verified against when the e-mail address is unknown, so a wrong address takes as long
    # as a wrong password: the time of an answer tells nobody which addresses exist.
    return _hasher().hash("not a password of anyone")


def normalise_email(email: str) -> str:
    """The address as stored: trimmed, lower case; UserError when it is not an address."""
    email = email.strip()
    try:
        checked = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise UserError("not an e-mail address") from None
    return checked.normalized.lower()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password is too long: at most {MAX_PASSWORD} characters")


def add_user(engine: Any, email: str, password: str, *, replace: bool = False,
             now: datetime | None = None) -> User:
    """A new user (or, with `replace`, a new password for an existing one: their sessions
    end). UserError for a bad address, a short password, or an address already there."""
    email = normalise_email(email)
    check_password(password)
    hashed = _hasher().hash(password)
    now = now or datetime.now(UTC)
    with engine.begin() as conn:
        existing = conn.execute(select(users.c.id, users.c.created_at)
                                .where(users.c.email == email)).first()
        if existing is not None:
            if not replace:
                raise UserError(f"{email} is already a user (--replace sets a new password)")
            conn.execute(update(users).where(users.c.id == existing.id)
                         .values(password_hash=hashed))
            from bot.store.schema import broker_sessions

            conn.execute(delete(broker_sessions)
                         .where(broker_sessions.c.user_id == existing.id))
            return User(existing.id, email, existing.created_at)
        try:
            user_id = conn.execute(users.insert().values(
                email=email, password_hash=hashed, created_at=now)).inserted_primary_key[0]
        except IntegrityError:  # added by someone else meanwhile
            raise UserError(f"{email} is already a user") from None
    return User(int(user_id), email, now)


def list_users(engine: Any) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(select(users.c.id, users.c.email, users.c.created_at)
                            .order_by(users.c.email)).all()
    return [User(r.id, r.email, r.created_at) for r in rows]


def remove_user(engine: Any, email: str) -> bool:
    """Remove the user and (ON DELETE CASCADE) their sessions. False when there is none."""
    try:
        email = normalise_email(email)
    except UserError:
        return False
    with engine.begin() as conn:
        return bool(conn.execute(delete(users).where(users.c.email == email)).rowcount)


def verify(engine: Any, email: str, password: str) -> User | None:
    """The user when the address and password match, else None. Takes about as long either
    way (argon2 runs for an unknown address too)."""
    try:
        email = normalise_email(email)
    except UserError:
        email = ""
    row = None
    if email and len(password) <= MAX_PASSWORD:
        with engine.connect() as conn:
            row = conn.execute(select(users.c.id, users.c.email, users.c.password_hash,
                                      users.c.created_at).where(users.c.email == email)).first()
    hashed = row.password_hash if row is not None else _dummy_hash()
    try:
        _hasher().verify(hashed, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher().check_needs_rehash(hashed):  # parameters raised since: store the new hash
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == row.id)
                         .values(password_hash=_hasher().hash(password)))
    return User(row.id, row.email, row.created_at)
