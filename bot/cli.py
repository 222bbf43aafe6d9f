"""The `intake` command: serve, chat, quote, lead-schema, db, erase, purge, users."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.store import Store

__all__ = ["main"]

EXIT_USAGE = 2


def _format_validation(error: ValidationError) -> str:
    lines = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "(request)"
        lines.append(f"  {where}: {item['msg']}")
    return "invalid quote request:\n" + "\n".join(lines)


def cmd_quote(args: argparse.Namespace) -> int:
    """Read a QuoteRequest as JSON, print the Quote (JSON, or a Dutch table with --text)."""
    from flows.present import localise_quote, quote_table
    from pricing import Quote, QuoteRequest, quote

    if args.schema:
        schemas = {
            "QuoteRequest": QuoteRequest.model_json_schema(mode="validation"),
            "Quote": Quote.model_json_schema(mode="serialization"),
        }
        print(json.dumps(schemas, indent=2, ensure_ascii=False))
        return 0
    try:
        if args.file:
            with open(args.file, encoding="utf-8") as f:
                raw = f.read()
        else:
            raw = sys.stdin.read()
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    try:
        request = QuoteRequest.model_validate_json(raw)
    except ValidationError as exc:
        print(_format_validation(exc), file=sys.stderr)
        return EXIT_USAGE
    result = quote(request)
    if args.text:
        print(quote_table(result))
    else:
        print(localise_quote(result).model_dump_json(indent=2))
    return 0


def _store(db: str | None) -> Store:
    from bot.config import Settings
    from bot.store import Store

    settings = Settings()
    return Store(db or settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)


def _runtime(db: str | None) -> Runtime:
    """The runtime of `intake chat`, on a database brought to this release's schema."""
    from bot.config import Settings
    from bot.runtime import Runtime
    from bot.store import SchemaError

    store = _store(db)
    try:
        store.upgrade()
    except SchemaError as exc:
        store.dispose()
        raise SystemExit(f"cannot use the database: {exc}") from None
    return Runtime(store, profile=Settings().profile)


def _print_turn(turn: Any, numbered: list[str]) -> None:
    numbered.clear()
    for reply in turn.replies:
        print()
        print(reply.text)
        for choice in reply.choices:
            numbered.append(choice.id)
            print(f"  {len(numbered)}) {choice.label}")


def cmd_chat(args: argparse.Namespace) -> int:
    """Chat with the intake dialogue in a terminal; --jsonl for tools and tests."""
    import uuid

    from bot.runtime import Incoming

    # A terminal or a pipe may deliver bytes that are not UTF-8: read them as U+FFFD rather
    # than crash; the engine cleans what it stores.
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")
    runtime = _runtime(args.db)
    chat_id = args.chat_id or uuid.uuid4().hex[:12]
    chat_key = f"cli:{chat_id}"
    turn = runtime.open(chat_key)
    numbered: list[str] = []
    if args.jsonl:
        print(json.dumps(turn.to_json(), ensure_ascii=False), flush=True)
    else:
        from flows.i18n import _

        resume = f"intake chat --chat-id {chat_id}" + (f" --db {args.db}" if args.db else "")
        print(_("(conversation %(id)s; continue later with: %(command)s)")
              % {"id": chat_id, "command": resume})
        _print_turn(turn, numbered)
    while True:
        if not args.jsonl:
            print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        text = line.rstrip("\r\n")
        choice = None
        if not args.jsonl and text.strip().isdigit() and 0 < int(text) <= len(numbered):
            choice, text = numbered[int(text) - 1], None
        turn = runtime.handle(Incoming(chat_key, uuid.uuid4().hex, text=text, choice=choice))
        if args.jsonl:
            print(json.dumps(turn.to_json(), ensure_ascii=False), flush=True)
        else:
            _print_turn(turn, numbered)
    runtime.store.dispose()
    return 0


def cmd_lead_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of the lead (intake.lead/v1)."""
    from flows.lead import lead_schema

    print(json.dumps(lead_schema(), indent=2, ensure_ascii=False))
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """Database schema: upgrade to this release's head, downgrade, or check."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store import SchemaError

    store = _store(args.db)
    where = store.engine.url.render_as_string(hide_password=True)
    try:
        if args.action == "check":
            reason = store.check()
            print(reason or f"database ready: {where} (revision {store.revision()})")
            return 0 if reason is None else 1
        before = store.revision()
        if args.action == "upgrade":
            store.upgrade()
        else:
            if not args.revision:
                print("intake db downgrade needs a REVISION (e.g. 0001, or base)",
                      file=sys.stderr)
                return EXIT_USAGE
            store.downgrade(args.revision)
        print(f"database ready: {where} (revision {store.revision() or 'none'}, "
              f"was {before or 'none'})")
        return 0
    except SchemaError as exc:
        print(f"cannot {args.action} {where}: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        # The driver's message may quote the URL's user and host, never the password; the
        # first line is enough to act on.
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        print(f"cannot {args.action} {where}: {type(cause).__name__}: {first}",
              file=sys.stderr)
        return 1
    finally:
        store.dispose()


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the service: web server on INTAKE_HOST:INTAKE_PORT, Telegram when a token is set."""
    import asyncio

    from pydantic import ValidationError as SettingsError

    from bot.config import Settings
    from bot.service import StartupError, configure_logging, serve

    configure_logging()
    try:
        settings = Settings()
    except SettingsError as exc:
        # Field and reason only: pydantic's own rendering quotes the input, secrets included.
        lines = [
            f"  {'INTAKE_' + '.'.join(str(p) for p in e['loc']).upper() if e['loc'] else '-'}: "
            f"{e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        ]
        print("configuration error:\n" + "\n".join(lines), file=sys.stderr)
        return EXIT_USAGE
    if args.db:
        settings = settings.model_copy(update={"database_url": args.db})
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(settings))
    except StartupError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


def _configured_routes() -> tuple[Any, ...]:
    """The hand-off targets INTAKE_* configures (names and events only: nothing is sent
    here; the service's worker delivers what is queued)."""
    import httpx
    from pydantic import ValidationError as SettingsError

    from bot.config import Settings
    from bot.handoff.config import targets_from_settings
    from bot.outbox import routes_of

    try:
        settings = Settings()
    except SettingsError:
        return ()
    return routes_of(targets_from_settings(settings, httpx.AsyncClient()))


def cmd_erase(args: argparse.Namespace) -> int:
    """AVG: remove the prospect behind a lead reference from every table."""
    from bot.privacy import erase_reference

    runtime = _runtime(args.db)
    try:
        if not erase_reference(runtime.store, args.reference, _configured_routes()):
            print(f"no lead with reference {args.reference}", file=sys.stderr)
            return 1
        print(f"erased {args.reference}")
        return 0
    finally:
        runtime.store.dispose()


def cmd_purge(args: argparse.Namespace) -> int:
    """Apply INTAKE_RETENTION_DAYS and INTAKE_LEAD_RETENTION_DAYS now (serve does it hourly)."""
    from bot.config import Settings
    from bot.privacy import purge

    settings = Settings()
    runtime = _runtime(args.db)
    try:
        done = purge(runtime.store, retention_days=settings.retention_days,
                     lead_retention_days=settings.lead_retention_days)
        print(f"removed {done.abandoned} abandoned conversations and {done.leads} leads "
              f"({done.rows} rows)")
        return 0
    finally:
        runtime.store.dispose()


def cmd_users(args: argparse.Namespace) -> int:
    """The brokers who may log in to the inbox (/broker): add, list, remove."""
    from bot.inbox.users import UserError, add_user, list_users, remove_user

    runtime = _runtime(args.db)
    engine = runtime.store.engine
    try:
        if args.action == "list":
            for user in list_users(engine):
                print(f"{user.email}\t{user.created_at:%Y-%m-%d %H:%M} UTC")
            return 0
        if not args.email:
            print(f"intake users {args.action} needs an EMAIL", file=sys.stderr)
            return EXIT_USAGE
        if args.action == "remove":
            if not remove_user(engine, args.email):
                print(f"no user {args.email}", file=sys.stderr)
                return 1
            print(f"removed {args.email} (their sessions end now)")
            return 0
        if not args.password_stdin:
            # A password on the command line would stay in the shell's history and be
            # visible to every user of the machine in the process list.
            print("intake users add reads the password from standard input: "
                  "--password-stdin (e.g. read -rs PW && printf %s \"$PW\" | intake users add "
                  "EMAIL --password-stdin)", file=sys.stderr)
            return EXIT_USAGE
        password = sys.stdin.readline().rstrip("\r\n")
        try:
            user = add_user(engine, args.email, password, replace=args.replace)
        except UserError as exc:
            print(f"cannot add {args.email}: {exc}", file=sys.stderr)
            return 1
        print(f"{'updated' if args.replace else 'added'} {user.email}")
        return 0
    finally:
        runtime.store.dispose()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intake", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    q = sub.add_parser("quote", help="premium indication for a QuoteRequest (JSON file or stdin)")
    q.add_argument("file", nargs="?", help="QuoteRequest JSON; stdin when omitted")
    q.add_argument("--text", action="store_true", help="print a Dutch table instead of JSON")
    q.add_argument("--schema", action="store_true", help="print the JSON Schemas and exit")
    q.set_defaults(handler=cmd_quote)

    s = sub.add_parser("serve", help="run the service (web server; Telegram with a token)")
    s.add_argument("--db", help="SQLAlchemy database URL (default: INTAKE_DATABASE_URL)")
    s.set_defaults(handler=cmd_serve)

    c = sub.add_parser("chat", help="chat with the dialogue in this terminal")
    c.add_argument("--jsonl", action="store_true",
                   help="machine mode: plain text lines on stdin, one JSON turn per line out")
    c.add_argument("--chat-id", help="continue this stored conversation (made if new)")
    c.add_argument("--db", help="SQLAlchemy database URL (default: INTAKE_DATABASE_URL)")
    c.set_defaults(handler=cmd_chat)

    ls = sub.add_parser("lead-schema", help="print the JSON Schema of intake.lead/v1")
    ls.set_defaults(handler=cmd_lead_schema)

    d = sub.add_parser("db", help="database schema: upgrade, downgrade REVISION, check")
    d.add_argument("action", choices=["upgrade", "downgrade", "check"],
                   help="upgrade: to this release's schema (made if new); downgrade: back to "
                        "REVISION; check: exit 0 when the schema is at this release's head")
    d.add_argument("revision", nargs="?", help="downgrade target: a revision id or base")
    d.add_argument("--db", help="SQLAlchemy database URL (default: INTAKE_DATABASE_URL)")
    d.set_defaults(handler=cmd_db)
    e = sub.add_parser("erase", help="AVG: erase the prospect behind a lead reference")
    e.add_argument("reference", help="the lead's reference, e.g. IK-2026-000123")
    e.add_argument("--db", help="SQLAlchemy database URL (default: INTAKE_DATABASE_URL)")
    e.set_defaults(handler=cmd_erase)

    p = sub.add_parser("purge", help="apply the retention periods now")
    p.add_argument("--db", help="SQLAlchemy database URL (default: INTAKE_DATABASE_URL)")
    p.set_defaults(handler=cmd_purge)

    u = sub.add_parser("users", help="brokers who may log in to the inbox: add, list, remove")
    u.add_argument("action", choices=["add", "list", "remove"])
    u.add_argument("email", nargs="?", help="the broker's e-mail address (add, remove)")
    u.add_argument("--password-stdin", action="store_true",
                   help="add: read the password from the first line of standard input")
    u.add_argument("--replace", action="store_true",
                   help="add: set a new password for an existing user (their sessions end)")
    u.add_argument("--db", help="SQLAlchemy database URL (default: INTAKE_DATABASE_URL)")
    u.set_defaults(handler=cmd_users)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Any = args.handler
    try:
        return int(handler(args))
    except BrokenPipeError:
        # The reader went away (`intake chat | head`): not an error of ours.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
