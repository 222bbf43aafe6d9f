"""The `intake` command: serve, chat, quote, lead-schema, db."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intake", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    q = sub.add_parser("quote", help="premium indication for a QuoteRequest (JSON file or stdin)")
    q.add_argument("file", nargs="?", help="QuoteRequest JSON; stdin when omitted")
    q.add_argument("--text", action="store_true", help="print a Dutch table instead of JSON")
    q.add_argument("--schema", action="store_true", help="print the JSON Schemas and exit")
    q.set_defaults(handler=cmd_quote)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Any = args.handler
    return int(handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
