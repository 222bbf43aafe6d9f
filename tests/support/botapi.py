"""An in-process stand-in for Telegram's Bot API HTTP server, for tests and benchmarks.

The real python-telegram-bot (PTB) ``Bot``/``Application`` talks HTTP to it on loopback::

    async with BotApiServer() as server:
        app = (
            ApplicationBuilder()
            .token(server.token)
            .base_url(f"{server.url}/bot")
            .base_file_url(f"{server.url}/file/bot")
            .build()
        )
        server.push_update(server.make_text_update(42, "/start"))
        ...
        await server.wait_for("sendMessage", chat_id=42)

PTB joins ``base_url + token + "/" + method`` (``telegram._bot._parse_base_url``), so the
requests arrive as ``POST /bot<token>/<method>``. PTB 22 sends parameters as
``application/x-www-form-urlencoded`` (every non-string value JSON-encoded, strings as-is), and
as ``multipart/form-data`` when files are uploaded; it never sends a JSON body. All three body
types are accepted here.

Only the standard library and httpx are needed; pytest is imported lazily by
:func:`botapi_fixture`, so a benchmark can use this module with plain asyncio.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import html
import inspect
import itertools
import json
import re
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl, unquote

import httpx

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import ApplicationBuilder

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotApiServer",
    "Call",
    "UploadedFile",
    "botapi_fixture",
]

# Same shape as a real token (<bot id>:<35 characters>), in case code under test checks it.
DEFAULT_TOKEN = "7000000001:AAFakeTokenForTheIntakeBotApiStub01"

JSONDict = dict[str, Any]
Handler = Callable[[JSONDict], Any]
# (HTTP status, JSON body); the transport adds the HTTP framing.
_Response = tuple[int, bytes]

_TRUE_BODY = b'{"ok":true,"result":true}'
_MAX_HEAD = 64 * 1024
_MAX_BODY = 64 * 1024 * 1024
_MAX_LONG_POLL = 50.0  # Telegram caps getUpdates' timeout at 50 s.
_MAX_TEXT = 4096

# Parameters that stay strings even when they look like numbers or JSON ("text=123").
_STRING_PARAMS = frozenset(
    [
        "action",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "description",
        "emoji",
        "first_name",
        "inline_message_id",
        "ip_address",
        "language_code",
        "last_name",
        "message_effect_id",
        "name",
        "parse_mode",
        "phone_number",
        "query",
        "secret_token",
        "short_description",
        "text",
        "title",
        "url",
    ]
)
# Parameters that are JSON objects/arrays in the Bot API, decoded when they arrive as strings.
_JSON_PARAMS = frozenset(
    [
        "allowed_updates",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "reply_markup",
        "reply_parameters",
        "scope",
    ]
)
_INT_RE = re.compile(r"-?\d+\Z")
_FLOAT_RE = re.compile(r"-?\d+\.\d*(?:[eE][-+]?\d+)?\Z")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}\Z")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}\Z")
_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
# Telegram leaves these out unless allowed_updates names them explicitly.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_DEFAULT_ERRORS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API request as the server saw it.

    ``at`` is ``time.monotonic()`` when the request arrived (monotonic so that benchmarks can
    subtract it); a call is appended to ``BotApiServer.calls`` once it has been answered, so a
    long poll shows up when it returns. ``error_code`` is None for a successful call.
    """

    method: str
    params: JSONDict
    at: float
    error_code: int | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart/form-data request, kept in ``Call.params``."""

    filename: str
    content_type: str
    data: bytes


class ApiError(Exception):
    """Raised by a method handler to answer like Telegram does for a failed call."""

    def __init__(
        self, error_code: int, description: str, parameters: JSONDict | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def body(self) -> bytes:
        payload: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            payload["parameters"] = self.parameters
        return _dumps(payload)


class _HttpError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(slots=True)
class _Pending:
    update_id: int
    update: JSONDict
    # Telegram forgets an update once an offset above it is sent; we only forget updates that
    # were actually handed out, so a test can re-push an old update_id to simulate redelivery.
    delivered: bool = False


@dataclass(slots=True)
class _Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


def _as_api_error(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    # Malformed parameters make the handlers raise these; Telegram answers 400 for those.
    if isinstance(exc, ValueError | TypeError | KeyError):
        return ApiError(400, f"Bad Request: invalid parameters ({exc!r})")
    return ApiError(500, f"Internal Server Error: {exc!r}")


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _ok(result: Any) -> bytes:
    if result is True:
        return _TRUE_BODY
    return _dumps({"ok": True, "result": result})


def _utf16_len(text: str) -> int:
    # Telegram measures offsets and lengths in UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _chat_key(value: Any) -> int | str | None:
    if value is None or isinstance(value, int):
        return value
    text = str(value)
    return int(text) if _INT_RE.match(text) else text


def _coerce(name: str, value: str) -> Any:
    """Turn a form field back into the type PTB serialised (PTB json.dumps non-strings)."""
    if name in _STRING_PARAMS:
        return value
    if name in _JSON_PARAMS or value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value == "true":
        return True
    if value == "false":
        return False
    if _INT_RE.match(value):
        return int(value)
    if _FLOAT_RE.match(value):
        return float(value)
    return value


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    main, *rest = value.split(";")
    params: dict[str, str] = {}
    for item in rest:
        key, _, val = item.strip().partition("=")
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1]
        params[key.lower()] = val
    return main.strip().lower(), params


def _parse_multipart(body: bytes, boundary: str) -> JSONDict:
    params: JSONDict = {}
    delimiter = b"--" + boundary.encode("latin-1")
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, data = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        data = data.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, colon, val = line.partition(":")
            if colon:
                headers[key.strip().lower()] = val.strip()
        _, disposition = _header_params(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if not name:
            continue
        if "filename" in disposition:
            params[name] = UploadedFile(
                filename=disposition["filename"],
                content_type=headers.get("content-type", "application/octet-stream"),
                data=data,
            )
        else:
            params[name] = _coerce(name, data.decode("utf-8", "replace"))
    return params


def _parse_params(query: str, headers: dict[str, str], body: bytes) -> JSONDict:
    params: JSONDict = {}
    if query:
        params.update((k, _coerce(k, v)) for k, v in parse_qsl(query, keep_blank_values=True))
    if not body:
        return params
    content_type, ct_params = _header_params(headers.get("content-type", ""))
    if content_type == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON") from exc
        if not isinstance(decoded, dict):
            raise ApiError(400, "Bad Request: JSON object expected")
        for key, value in decoded.items():
            if key in _JSON_PARAMS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            params[key] = value
    elif content_type == "multipart/form-data":
        params.update(_parse_multipart(body, ct_params.get("boundary", "")))
    else:
        text = body.decode("utf-8", "replace")
        params.update((k, _coerce(k, v)) for k, v in parse_qsl(text, keep_blank_values=True))
    return params


# --------------------------------------------------------------------------------------------
# parse_mode: enough of Telegram's HTML and MarkdownV2 rules to return the text and entities a
# real message would have, and to reject what Telegram rejects ("can't parse entities"), which
# is the most common way a bot's sendMessage fails in production.

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ATTR_RE = re.compile(r"""([A-Za-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def _entity_error(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {message}")


class _TextBuilder:
    __slots__ = ("entities", "offset", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.entities: list[JSONDict] = []

    def add(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.offset += _utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.offset > start:
            self.entities.append({"type": kind, "offset": start, "length": self.offset - start})
            self.entities[-1].update(extra)

    def result(self) -> tuple[str, list[JSONDict]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


def _parse_html(text: str) -> tuple[str, list[JSONDict]]:
    out = _TextBuilder()
    stack: list[tuple[str, int, JSONDict]] = []  # (tag, utf16 start, entity extras)
    pos = 0
    while pos < len(text):
        lt = text.find("<", pos)
        chunk = text[pos : len(text) if lt < 0 else lt]
        out.add(html.unescape(chunk))
        if lt < 0:
            break
        byte_offset = len(text[:lt].encode())
        if text.startswith("</", lt):
            gt = text.find(">", lt)
            if gt < 0:
                raise _entity_error(f"Unclosed end tag at byte offset {byte_offset}")
            name = text[lt + 2 : gt].strip().lower()
            pos = gt + 1
            if not stack:
                raise _entity_error(f"Unexpected end tag at byte offset {byte_offset}")
            tag, start, found = stack.pop()
            if name != tag:
                raise _entity_error(
                    f'Unmatched end tag at byte offset {byte_offset}, expected "</{tag}>", '
                    f'found "</{name}>"'
                )
            if tag == "code" and stack and stack[-1][0] == "pre":
                # <pre><code class="language-x"> is a single pre entity with a language.
                if "language" in found:
                    stack[-1][2]["language"] = found["language"]
                continue
            found.pop("language", None)  # a language only counts inside <pre>
            kind = _HTML_TAGS[tag]
            if found.pop("expandable", False):
                kind = "expandable_blockquote"
            out.entity(kind, start, **found)
            continue
        # Like tdlib: the tag name runs to a space or '>', so "a < b" is an unsupported tag "".
        name_end = lt + 1
        while name_end < len(text) and not text[name_end].isspace() and text[name_end] != ">":
            name_end += 1
        if name_end >= len(text):
            raise _entity_error(f"Unclosed start tag at byte offset {byte_offset}")
        name = text[lt + 1 : name_end].lower()
        if name not in _HTML_TAGS:
            raise _entity_error(f'Unsupported start tag "{name}" at byte offset {byte_offset}')
        gt = text.find(">", name_end)
        if gt < 0:
            raise _entity_error(f"Unclosed start tag at byte offset {byte_offset}")
        attrs = {
            m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTR_RE.finditer(text[name_end:gt])
        }
        pos = gt + 1
        extra: JSONDict = {}
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _entity_error('Tag "span" must have class "tg-spoiler"')
        if name == "a":
            if not attrs.get("href"):
                raise _entity_error('Tag "a" must have attribute "href"')
            extra["url"] = attrs["href"]
        elif name == "tg-emoji":
            extra["custom_emoji_id"] = attrs.get("emoji-id", "")
        elif name == "code" and attrs.get("class", "").startswith("language-"):
            extra["language"] = attrs["class"].removeprefix("language-")
        elif name == "blockquote" and "expandable" in attrs:
            extra["expandable"] = True
        stack.append((name, out.offset, extra))
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


def _parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    out = _TextBuilder()
    stack: list[tuple[str, int, int]] = []  # (entity type, utf16 start, byte offset)
    quote_start: int | None = None
    pre_language = ""
    n = len(text)
    i = 0

    def byte_at(index: int) -> int:
        return len(text[:index].encode())

    def toggle(kind: str, index: int) -> None:
        if stack and stack[-1][0] == kind:
            _, start, _ = stack.pop()
            out.entity(kind, start)
        elif any(entry[0] == kind for entry in stack):
            raise _entity_error(
                f"Can't find end of {_MD2_NAMES[kind]} entity at byte offset {stack[-1][2]}"
            )
        else:
            stack.append((kind, out.offset, byte_at(index)))

    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) < 127:
            out.add(text[i + 1])
            i += 2
            continue
        if stack and stack[-1][0] in ("code", "pre"):
            kind = stack[-1][0]
            if kind == "code" and ch == "`":
                toggle("code", i)
                i += 1
            elif kind == "pre" and text.startswith("```", i):
                _, start, _ = stack.pop()
                if pre_language:
                    out.entity("pre", start, language=pre_language)
                else:
                    out.entity("pre", start)
                i += 3
            else:
                out.add(ch)
                i += 1
            continue
        if ch == "\n" and quote_start is not None and not text.startswith(">", i + 1):
            out.entity("blockquote", quote_start)
            quote_start = None
        if ch not in _MD2_RESERVED:
            out.add(ch)
            i += 1
            continue
        if ch == ">" and (i == 0 or text[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.offset
            i += 1
        elif ch == "*":
            toggle("bold", i)
            i += 1
        elif ch == "_":
            if text.startswith("__", i):
                toggle("underline", i)
                i += 2
            else:
                toggle("italic", i)
                i += 1
        elif ch == "~":
            toggle("strikethrough", i)
            i += 1
        elif ch == "|" and text.startswith("||", i):
            toggle("spoiler", i)
            i += 2
        elif ch == "`":
            if text.startswith("```", i):
                newline = text.find("\n", i + 3)
                pre_language = "" if newline < 0 else text[i + 3 : newline].strip()
                stack.append(("pre", out.offset, byte_at(i)))
                i = i + 3 if newline < 0 else newline + 1
            else:
                toggle("code", i)
                i += 1
        elif ch == "[":
            stack.append(("text_link", out.offset, byte_at(i)))
            i += 1
        elif ch == "]" and stack and stack[-1][0] == "text_link":
            close = text.find(")", i)
            if not text.startswith("(", i + 1) or close < 0:
                raise _entity_error(
                    f"Can't find end of TextUrl entity at byte offset {stack[-1][2]}"
                )
            url = text[i + 2 : close].replace("\\)", ")").replace("\\\\", "\\")
            _, start, _ = stack.pop()
            out.entity("text_link", start, url=url)
            i = close + 1
        else:
            raise _entity_error(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
    if stack:
        kind, _, byte_offset = stack[-1]
        raise _entity_error(
            f"Can't find end of {_MD2_NAMES[kind]} entity at byte offset {byte_offset}"
        )
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    return out.result()


def _format_text(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
    """Text and entities of the message Telegram would create (legacy Markdown is kept as-is)."""
    if isinstance(entities, list) and entities:
        return text, entities
    mode = str(parse_mode or "").lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    return text, []


def _bot_command_entities(text: str) -> list[JSONDict]:
    # PTB's CommandHandler only fires when a bot_command entity starts at offset 0.
    if not text.startswith("/") or len(text) < 2:
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]


# --------------------------------------------------------------------------------------------
# Transport. A hand-written asyncio HTTP/1.1 server rather than Starlette + uvicorn, because:
# * the server shares the event loop (and CPU) with the bot under test, so its per-request cost
#   lands in benchmark numbers; this venv has no httptools, so uvicorn parses with pure-Python
#   h11 and Starlette routes on top: measured on one keep-alive connection, a trivial
#   Starlette endpoint served ~3,200 req/s, this server ~9,500 req/s building full messages;
# * Starlette cannot parse multipart/form-data without python-multipart, which is not installed;
# * when a client drops a long poll, connection_lost cancels its handler at once, so stale
#   getUpdates calls neither linger past stop() nor hand out updates nobody reads.
# The Bot API needs only request/response with Content-Length (or chunked) bodies, keep-alive
# and pipelining, which fit in one small Protocol class.


class _HttpProtocol(asyncio.Protocol):
    def __init__(self, app: BotApiServer) -> None:
        self._app = app
        self._buf = bytearray()
        self._transport: asyncio.Transport | None = None
        self._task: asyncio.Task[None] | None = None
        self._sent_continue = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._app._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._app._connections.discard(self)
        self._transport = None
        if self._task is not None:
            self._task.cancel()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if self._task is None:
            self._process()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _process(self) -> None:
        # Requests on one connection are answered in order (HTTP/1.1 pipelining semantics).
        while self._task is None and self._transport is not None:
            try:
                request = self._parse()
            except _HttpError as exc:
                self._write(
                    exc.status,
                    _dumps({"ok": False, "error_code": exc.status, "description": "Bad Request"}),
                    keep_alive=False,
                )
                return
            if request is None:
                return
            result = self._app._handle(request)
            if isinstance(result, tuple):
                self._write(*result, keep_alive=request.keep_alive)
            else:
                self._task = asyncio.get_running_loop().create_task(
                    self._finish(result, request.keep_alive)
                )

    async def _finish(self, pending: Coroutine[Any, Any, _Response], keep_alive: bool) -> None:
        status, body = await pending
        self._task = None
        self._write(status, body, keep_alive=keep_alive)
        self._process()

    def _parse(self) -> _Request | None:
        buf = self._buf
        while buf[:2] == b"\r\n":  # RFC 9112 lets clients send stray CRLFs between requests
            del buf[:2]
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > _MAX_HEAD:
                raise _HttpError(431)
            return None
        lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _HttpError(400)
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon:
                raise _HttpError(400)
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            decoded = self._dechunk(start)
            if decoded is None:
                self._maybe_continue(headers)
                return None
            body, consumed = decoded
        else:
            try:
                length = int(headers.get("content-length", "0"))
            except ValueError as exc:
                raise _HttpError(400) from exc
            if length < 0 or length > _MAX_BODY:
                raise _HttpError(413)
            if len(buf) < start + length:
                self._maybe_continue(headers)
                return None
            body = bytes(buf[start : start + length])
            consumed = start + length
        del buf[:consumed]
        self._sent_continue = False
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        return _Request(method, target, headers, body, keep_alive)

    def _dechunk(self, start: int) -> tuple[bytes, int] | None:
        buf = self._buf
        body = bytearray()
        pos = start
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            try:
                size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
            except ValueError as exc:
                raise _HttpError(400) from exc
            pos = line_end + 2
            if size == 0:
                trailer_end = buf.find(b"\r\n\r\n", pos - 2)
                if trailer_end < 0:
                    return None
                return bytes(body), trailer_end + 4
            if len(buf) < pos + size + 2:
                return None
            body += buf[pos : pos + size]
            if len(body) > _MAX_BODY:
                raise _HttpError(413)
            pos += size + 2

    def _maybe_continue(self, headers: dict[str, str]) -> None:
        if (
            not self._sent_continue
            and self._transport is not None
            and headers.get("expect", "").lower() == "100-continue"
        ):
            self._sent_continue = True
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _write(self, status: int, body: bytes, *, keep_alive: bool) -> None:
        transport = self._transport
        if transport is None:
            return
        head = (
            f"HTTP/1.1 {status} {_phrase(status)}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            + ("" if keep_alive else "Connection: close\r\n")
            + "\r\n"
        )
        transport.write(head.encode("latin-1") + body)
        if not keep_alive:
            transport.close()


_PHRASES: dict[int, str] = {}


def _phrase(status: int) -> str:
    phrase = _PHRASES.get(status)
    if phrase is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        _PHRASES[status] = phrase
    return phrase


# --------------------------------------------------------------------------------------------


class BotApiServer:
    """A fake Bot API on ``http://127.0.0.1:<free port>`` serving one bot token.

    Use ``async with BotApiServer() as server`` or ``await server.start()`` /
    ``await server.stop()``. Everything runs on the caller's event loop.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_user: JSONDict | None = None,
        latency: float = 0.0,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        bot_id = token.partition(":")[0]
        self.bot_user: JSONDict = bot_user or {
            "id": int(bot_id) if bot_id.isdigit() else 7000000001,
            "is_bot": True,
            "first_name": "Intake",
            "username": "intake_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        # Seconds added to every request before it is answered (simulates network round trips).
        self.latency = latency
        self.calls: list[Call] = []
        # Chats whose user "blocked" the bot: sending to them answers 403 like Telegram.
        self.blocked_chats: set[int | str] = set()
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_allowed_updates: list[str] | None = None
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}

        self._server: asyncio.Server | None = None
        self._connections: set[_HttpProtocol] = set()
        self._http: httpx.AsyncClient | None = None
        self._closing = False
        self._handlers: dict[str, tuple[str, Handler]] = {}
        self._faults: dict[str, deque[ApiError]] = {}
        self._calls_changed: asyncio.Event | None = None
        self._updates: list[_Pending] = []
        self._updates_changed = asyncio.Event()
        self._allowed_updates: frozenset[str] | None = None
        self._next_update_id = 100_000_001
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._issued_callbacks: set[str] = set()
        self._message_ids: dict[int | str, int] = {}
        self._messages: dict[int | str, dict[int, JSONDict]] = {}
        self._chats: dict[int | str, JSONDict] = {}
        for name, handler in (
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("sendMessage", self._send_message),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("answerCallbackQuery", self._answer_callback_query),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("sendChatAction", self._send_chat_action),
            ("close", lambda _params: True),
            ("logOut", lambda _params: True),
        ):
            self.add_method(name, handler)

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("BotApiServer is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url`` / ``Bot(base_url=...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url`` / ``Bot(base_file_url=...)``."""
        return f"{self.url}/file/bot"

    async def start(self) -> Self:
        if self._server is not None:
            return self
        loop = asyncio.get_running_loop()
        self._closing = False
        self._server = await loop.create_server(
            lambda: _HttpProtocol(self), self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._closing = True
        self._server.close()
        self._wake_pollers()  # pending long polls answer [] now, as Telegram does on restart
        tasks = [conn._task for conn in self._connections if conn._task is not None]
        if tasks:
            # Let answers in flight reach their clients before the sockets go.
            await asyncio.wait(tasks, timeout=1.0)
        for conn in list(self._connections):
            conn.close()  # connection_lost cancels whatever is still running
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- PTB helpers -----------------------------------------------------------------------

    def application_builder(self) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
        """An ``ApplicationBuilder`` with token and URLs pointing at this server."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    def make_bot(self, **kwargs: Any) -> Bot:
        """A plain ``telegram.Bot`` for this server (use ``async with bot:``)."""
        from telegram import Bot

        kwargs.setdefault("token", self.token)
        return Bot(base_url=self.base_url, base_file_url=self.base_file_url, **kwargs)

    # ---- recording -------------------------------------------------------------------------

    def sent_messages(self, chat_id: int | str | None = None) -> list[JSONDict]:
        """Params of every successful sendMessage, optionally only those to one chat."""
        key = _chat_key(chat_id)
        return [
            call.params
            for call in self.calls
            if call.method == "sendMessage"
            and call.error_code is None
            and (key is None or _chat_key(call.params.get("chat_id")) == key)
        ]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        chat_id: int | str | None = None,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Wait until ``count`` calls of ``method`` (failed ones included) were recorded.

        Returns all matching calls recorded so far (at least ``count``); raises TimeoutError
        naming what was recorded instead.
        """
        lname = method.lower()
        key = _chat_key(chat_id)
        found: list[Call] = []
        scanned = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            calls = self.calls
            if len(calls) < scanned:  # clear() ran meanwhile
                found, scanned = [], 0
            for call in calls[scanned:]:
                if call.method.lower() == lname and (
                    key is None or _chat_key(call.params.get("chat_id")) == key
                ):
                    found.append(call)
            scanned = len(calls)
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = Counter(call.method for call in calls)
                where = "" if key is None else f" for chat {key}"
                raise TimeoutError(
                    f"waited {timeout}s for {count} {method} call(s){where}, got {len(found)}; "
                    f"recorded: {dict(seen)}"
                )
            if self._calls_changed is None:
                self._calls_changed = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._calls_changed.wait(), remaining)

    def clear(self) -> None:
        """Forget recorded calls (chats, messages, pending updates and faults stay)."""
        self.calls = []

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        event = self._calls_changed
        if event is not None:
            self._calls_changed = None
            event.set()

    # ---- fault injection and extension -----------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int = 1,
        count: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with a Telegram error.

        429 answers like flood control (``parameters.retry_after``); other codes use
        ``description`` or a realistic default (403: "Forbidden: bot was blocked by the user").
        """
        if error_code == 429:
            error = ApiError(
                429,
                description or f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        else:
            error = ApiError(error_code, description or _DEFAULT_ERRORS.get(error_code, "Error"))
        self._faults.setdefault(method.lower(), deque()).extend([error] * count)

    def add_method(self, name: str, handler: Handler) -> None:
        """Serve another Bot API method: ``handler(params)`` returns the result (or an awaitable
        of it) or raises :class:`ApiError`. Method names are case-insensitive, as in Telegram."""
        self._handlers[name.lower()] = (name, handler)

    # ---- request handling ------------------------------------------------------------------

    def _handle(self, request: _Request) -> _Response | Coroutine[Any, Any, _Response]:
        arrived = time.monotonic()
        path, _, query = request.target.partition("?")
        if path.startswith("/file/bot"):
            token, _, _ = path[len("/file/bot") :].partition("/")
            if unquote(token) != self.token:
                return 401, ApiError(401, "Unauthorized").body()
            return 404, ApiError(404, "Not Found").body()
        if not path.startswith("/bot"):
            return 404, ApiError(404, "Not Found").body()
        token, _, method = path[4:].partition("/")
        if unquote(token) != self.token:
            return 401, ApiError(401, "Unauthorized").body()
        try:
            params = _parse_params(query, request.headers, request.body)
        except ApiError as exc:
            self._record(Call(method, {}, arrived, exc.error_code))
            return exc.error_code, exc.body()
        if self.latency > 0:
            return self._delayed(method, params, arrived)
        return self._invoke(method, params, arrived)

    async def _delayed(self, method: str, params: JSONDict, arrived: float) -> _Response:
        await asyncio.sleep(self.latency)
        result = self._invoke(method, params, arrived)
        return result if isinstance(result, tuple) else await result

    def _invoke(
        self, method: str, params: JSONDict, arrived: float
    ) -> _Response | Coroutine[Any, Any, _Response]:
        lname = method.lower()
        entry = self._handlers.get(lname)
        name = entry[0] if entry else method
        faults = self._faults.get(lname)
        if faults:
            return self._fail(name, params, arrived, faults.popleft())
        if entry is None:
            return self._fail(name, params, arrived, ApiError(404, "Not Found: method not found"))
        try:
            result = entry[1](params)
        except Exception as exc:
            return self._fail(name, params, arrived, _as_api_error(exc))
        if inspect.isawaitable(result):
            return self._settle(name, params, arrived, result)
        self._record(Call(name, params, arrived))
        return 200, _ok(result)

    async def _settle(self, name: str, params: JSONDict, arrived: float, pending: Any) -> _Response:
        try:
            result = await pending
        except Exception as exc:
            return self._fail(name, params, arrived, _as_api_error(exc))
        self._record(Call(name, params, arrived))
        return 200, _ok(result)

    def _fail(self, name: str, params: JSONDict, arrived: float, error: ApiError) -> _Response:
        self._record(Call(name, params, arrived, error.error_code))
        return error.error_code, error.body()

    # ---- methods ---------------------------------------------------------------------------

    def _get_me(self, _params: JSONDict) -> JSONDict:
        return self.bot_user

    def _get_updates(self, params: JSONDict) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(max(float(params.get("timeout") or 0), 0.0), _MAX_LONG_POLL)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            # Like Telegram, the last explicit setting sticks; [] means "the default set".
            self._allowed_updates = frozenset(allowed) if allowed else None
        self._confirm(offset)
        batch = self._take(limit)
        if batch or timeout <= 0 or self._closing:
            return batch
        # Returning a coroutine makes the transport answer later, without blocking the loop.
        return self._long_poll(limit, timeout)

    async def _long_poll(self, limit: int, timeout: float) -> list[JSONDict]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._closing:
            # Look again before waiting: this coroutine starts a loop iteration after the
            # request was parsed, and an update may have been pushed in between.
            batch = self._take(limit)
            if batch:
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            event = self._updates_changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                break
        return []

    def _confirm(self, offset: int) -> None:
        queue = self._updates
        if offset < 0:
            del queue[: max(len(queue) + offset, 0)]
        elif offset > 0:
            cut = bisect.bisect_left(queue, offset, key=lambda p: p.update_id)
            queue[:cut] = [p for p in queue[:cut] if not p.delivered]

    def _take(self, limit: int) -> list[JSONDict]:
        allowed = self._allowed_updates
        queue = self._updates
        batch: list[JSONDict] = []
        i = 0
        while i < len(queue) and len(batch) < limit:
            pending = queue[i]
            kind = next((k for k in pending.update if k != "update_id"), "")
            if (kind not in allowed) if allowed is not None else (kind in _OPT_IN_UPDATES):
                del queue[i]  # Telegram never stores updates the bot did not subscribe to
                continue
            pending.delivered = True
            batch.append(pending.update)
            i += 1
        return batch

    def _chat_id(self, params: JSONDict) -> int | str:
        key = _chat_key(params.get("chat_id"))
        if key is None or key == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if key in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return key

    def _chat(self, chat_id: int | str) -> JSONDict:
        chat = self._chats.get(chat_id)
        if chat is None:
            if isinstance(chat_id, int) and chat_id < 0:
                kind = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = {"id": chat_id, "type": kind, "title": "Testgroep"}
            elif isinstance(chat_id, int):
                chat = {"id": chat_id, "type": "private", "first_name": "Jan"}
            else:
                raise ApiError(400, "Bad Request: chat not found")
            self._chats[chat_id] = chat
        return chat

    def _next_message_id(self, chat_id: int | str) -> int:
        # In a private chat both sides share one message_id sequence, as on Telegram.
        message_id = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = message_id
        return message_id

    def _text_and_entities(self, params: JSONDict) -> tuple[str, list[JSONDict]]:
        raw = params.get("text")
        if raw is None or not str(raw).strip():
            raise ApiError(400, "Bad Request: message text is empty")
        text, entities = _format_text(str(raw), params.get("parse_mode"), params.get("entities"))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > _MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    @staticmethod
    def _inline_markup(params: JSONDict) -> JSONDict | None:
        markup = params.get("reply_markup")
        # Only inline keyboards belong to a message; reply keyboards are not echoed back.
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat_id(params)
        text, entities = self._text_and_entities(params)
        markup = self._inline_markup(params)
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "from": self._bot_sender(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    def _bot_sender(self) -> JSONDict:
        # A message's "from" carries only the public user fields, not getMe's capabilities.
        keys = ("id", "is_bot", "first_name", "username")
        return {k: self.bot_user[k] for k in keys if k in self.bot_user}

    def _editable(self, params: JSONDict) -> tuple[int | str, JSONDict]:
        chat_id = self._chat_id(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self._messages.get(chat_id, {}).get(int(message_id))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat_id, message

    def _store_edit(self, chat_id: int | str, edited: JSONDict, before: JSONDict) -> JSONDict:
        if edited == before:
            raise ApiError(400, _NOT_MODIFIED)
        edited["edit_date"] = int(time.time())
        self._messages[chat_id][edited["message_id"]] = edited
        return edited

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        text, entities = self._text_and_entities(params)
        markup = self._inline_markup(params)
        if params.get("inline_message_id"):
            return True
        chat_id, message = self._editable(params)
        # Editing the text without passing reply_markup removes the inline keyboard.
        edited = {
            k: v
            for k, v in message.items()
            if k not in ("text", "entities", "reply_markup", "edit_date")
        }
        edited["text"] = text
        if entities:
            edited["entities"] = entities
        if markup is not None:
            edited["reply_markup"] = markup
        before = {k: v for k, v in message.items() if k != "edit_date"}
        return self._store_edit(chat_id, edited, before)

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        markup = self._inline_markup(params)
        if params.get("inline_message_id"):
            return True
        chat_id, message = self._editable(params)
        edited = {k: v for k, v in message.items() if k not in ("reply_markup", "edit_date")}
        if markup is not None:
            edited["reply_markup"] = markup
        before = {k: v for k, v in message.items() if k != "edit_date"}
        return self._store_edit(chat_id, edited, before)

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = params.get("callback_query_id")
        if query_id is None or str(query_id) not in self._issued_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        return True

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(
                str(command.get("command", ""))
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self.commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _set_webhook(self, params: JSONDict) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = url
        self.webhook_secret = str(secret) if (url and secret is not None) else None
        allowed = params.get("allowed_updates")
        self.webhook_allowed_updates = allowed if (url and isinstance(allowed, list)) else None
        return True

    def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = ""
        self.webhook_secret = None
        self.webhook_allowed_updates = None
        return True

    def _get_webhook_info(self, _params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = 40
            if self.webhook_allowed_updates is not None:
                info["allowed_updates"] = self.webhook_allowed_updates
        return info

    def _send_chat_action(self, params: JSONDict) -> bool:
        self._chat_id(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    # ---- updates ---------------------------------------------------------------------------

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue an update for getUpdates; returns it for chaining."""
        self._note_update(update)
        pending = _Pending(int(update["update_id"]), update)
        bisect.insort_right(self._updates, pending, key=lambda p: p.update_id)
        self._wake_pollers()
        return update

    def push_updates(self, updates: Iterable[JSONDict]) -> None:
        for update in updates:
            self.push_update(update)

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return [pending.update for pending in self._updates]

    async def deliver_webhook(
        self, update: JSONDict, url: str | None = None, secret_token: str | None = None
    ) -> int:
        """POST ``update`` as Telegram would to the webhook and return the HTTP status.

        ``url``/``secret_token`` default to what setWebhook registered; ``secret_token=""``
        sends no ``X-Telegram-Bot-Api-Secret-Token`` header at all.
        """
        target = url or self.webhook_url
        if not target:
            raise RuntimeError("no webhook registered with setWebhook and no url given")
        secret = self.webhook_secret if secret_token is None else secret_token
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0))
        self._note_update(update)
        response = await self._http.post(target, content=_dumps(update), headers=headers)
        return response.status_code

    def _note_update(self, update: JSONDict) -> None:
        # Keep generated ids above any id a test chose, so they stay unique and ordered.
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._issued_callbacks.add(str(query["id"]))

    def _wake_pollers(self) -> None:
        event = self._updates_changed
        self._updates_changed = asyncio.Event()
        event.set()

    def _update_id(self, update_id: int | None) -> int:
        if update_id is None:
            update_id = self._next_update_id
            self._next_update_id += 1
        return update_id

    def _user(self, user_id: int, first_name: str) -> JSONDict:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "nl"}

    def _user_message(
        self, chat_id: int, user_id: int | None, first_name: str, **content: Any
    ) -> JSONDict:
        uid = chat_id if user_id is None else user_id
        if chat_id > 0:
            self._chats[chat_id] = {"id": chat_id, "type": "private", "first_name": first_name}
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": self._user(uid, first_name),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        # Kept so that editing it answers "message can't be edited", as on Telegram.
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    def _file_ids_pair(self, prefix: str) -> JSONDict:
        n = next(self._file_ids)
        return {"file_id": f"{prefix}{n:020d}", "file_unique_id": f"AQAD{n:08d}"}

    def _message_update(self, update_id: int | None, message: JSONDict) -> JSONDict:
        return {"update_id": self._update_id(update_id), "message": message}

    def make_text_update(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        first_name: str = "Jan",
        update_id: int | None = None,
    ) -> JSONDict:
        content: JSONDict = {"text": text}
        if entities := _bot_command_entities(text):
            content["entities"] = entities
        return self._message_update(
            update_id, self._user_message(chat_id, user_id, first_name, **content)
        )

    def make_callback_update(
        self,
        chat_id: int,
        data: str,
        message_id: int,
        user_id: int | None = None,
        update_id: int | None = None,
        first_name: str = "Jan",
    ) -> JSONDict:
        """A button press on the bot's message ``message_id`` in ``chat_id``."""
        message = self._messages.get(chat_id, {}).get(message_id) or {
            "message_id": message_id,
            "from": self._bot_sender(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
        }
        query_id = str(next(self._callback_ids))
        self._issued_callbacks.add(query_id)
        return {
            "update_id": self._update_id(update_id),
            "callback_query": {
                "id": query_id,
                "from": self._user(chat_id if user_id is None else user_id, first_name),
                "message": message,
                "chat_instance": str(abs(chat_id) * 2_654_435_761 % 2**63),
                "data": data,
            },
        }

    def make_contact_update(
        self,
        chat_id: int,
        phone_number: str,
        contact_user_id: int | None = None,
        user_id: int | None = None,
        first_name: str = "Jan",
        last_name: str | None = None,
        update_id: int | None = None,
    ) -> JSONDict:
        """A shared contact; by default the sender's own (what a request_contact button sends)."""
        uid = chat_id if user_id is None else user_id
        contact: JSONDict = {
            "phone_number": phone_number,
            "first_name": first_name,
            "user_id": uid if contact_user_id is None else contact_user_id,
        }
        if last_name:
            contact["last_name"] = last_name
        return self._message_update(
            update_id, self._user_message(chat_id, user_id, first_name, contact=contact)
        )

    def make_sticker_update(
        self,
        chat_id: int,
        emoji: str = "👍",
        user_id: int | None = None,
        first_name: str = "Jan",
        update_id: int | None = None,
    ) -> JSONDict:
        sticker = {
            **self._file_ids_pair("CAACAgIAAxkBAA"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "IntakeTestStickers",
            "file_size": 23_456,
        }
        return self._message_update(
            update_id, self._user_message(chat_id, user_id, first_name, sticker=sticker)
        )

    def make_photo_update(
        self,
        chat_id: int,
        caption: str | None = None,
        user_id: int | None = None,
        first_name: str = "Jan",
        update_id: int | None = None,
    ) -> JSONDict:
        base = self._file_ids_pair("AgACAgQAAxkBAA")
        sizes = [
            {
                "file_id": f"{base['file_id']}{suffix}",
                "file_unique_id": f"{base['file_unique_id']}{suffix}",
                "width": width,
                "height": height,
                "file_size": size,
            }
            for suffix, width, height, size in (
                ("s", 90, 67, 1_234),
                ("m", 320, 240, 15_678),
                ("x", 1280, 960, 98_765),
            )
        ]
        content: JSONDict = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self._message_update(
            update_id, self._user_message(chat_id, user_id, first_name, **content)
        )

    def make_voice_update(
        self,
        chat_id: int,
        duration: int = 3,
        user_id: int | None = None,
        first_name: str = "Jan",
        update_id: int | None = None,
    ) -> JSONDict:
        voice = {
            **self._file_ids_pair("AwACAgQAAxkBAA"),
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 4_000 * duration,
        }
        return self._message_update(
            update_id, self._user_message(chat_id, user_id, first_name, voice=voice)
        )

    def make_document_update(
        self,
        chat_id: int,
        file_name: str = "jaarrekening.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        user_id: int | None = None,
        first_name: str = "Jan",
        update_id: int | None = None,
    ) -> JSONDict:
        document = {
            **self._file_ids_pair("BQACAgQAAxkBAA"),
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": 123_456,
        }
        content: JSONDict = {"document": document}
        if caption is not None:
            content["caption"] = caption
        return self._message_update(
            update_id, self._user_message(chat_id, user_id, first_name, **content)
        )

    def make_edited_message_update(
        self,
        chat_id: int,
        text: str,
        message_id: int,
        user_id: int | None = None,
        first_name: str = "Jan",
        update_id: int | None = None,
    ) -> JSONDict:
        """The user edited their earlier message ``message_id`` to ``text``."""
        now = int(time.time())
        uid = chat_id if user_id is None else user_id
        message: JSONDict = {
            "message_id": message_id,
            "from": self._user(uid, first_name),
            "chat": self._chat(chat_id),
            "date": now - 1,
            "edit_date": now,
            "text": text,
        }
        if entities := _bot_command_entities(text):
            message["entities"] = entities
        return {"update_id": self._update_id(update_id), "edited_message": message}

    def reset(self) -> None:
        """Back to a fresh server state, keeping the listening socket and the token."""
        self.calls = []
        self.blocked_chats.clear()
        self.commands.clear()
        self.webhook_url = ""
        self.webhook_secret = None
        self.webhook_allowed_updates = None
        self._faults.clear()
        self._updates.clear()
        self._allowed_updates = None
        self._issued_callbacks.clear()
        self._message_ids.clear()
        self._messages.clear()
        self._chats.clear()


def botapi_fixture(token: str = DEFAULT_TOKEN, **kwargs: Any) -> Any:
    """Build a pytest fixture yielding a started :class:`BotApiServer`.

    In a test module or conftest: ``botapi = botapi_fixture()``; tests then take ``botapi``.
    """
    import pytest_asyncio  # only tests need pytest; benchmarks import this module without it

    @pytest_asyncio.fixture
    async def _botapi() -> AsyncIterator[BotApiServer]:
        async with BotApiServer(token, **kwargs) as server:
            yield server

    return _botapi
