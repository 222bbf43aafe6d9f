"""The /api/v1 routes: the web chat (the widget's API), the widget's configuration, the pricing
core as `POST /api/v1/quotes`, and the OpenAPI document that describes them (`/openapi.json`).

HTTP only: a request is validated here (pydantic; 422 with field errors) and handed to the web
channel (bot/channels/web.py) or the pricing core. docs/web.md has the shapes and the reasons.
The models below are the contract as published in the OpenAPI document; responses are built
from the same dictionaries the channel and the pricing core produce.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.web import WebChannel
from flows.present import localise_quote
from pricing import SECTORS, Quote, QuoteRequest, quote

__all__ = ["TOKEN_PATTERN", "api_routes", "error_response", "openapi"]

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{43}$"  # secrets.token_urlsafe(32)
CLIENT_ID_PATTERN = r"^[\x21-\x7e]+$"  # printable ASCII: a UUID, a counter, ...
MAX_TEXT = 4096


# --- the models of the contract --------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChoiceOut(_Out):
    id: str = Field(description="What to send back as `choice` when this button is pressed.")
    label: str = Field(description="The button's Dutch text.")


class ReplyOut(_Out):
    text: str = Field(description="One chat message, plain text (never HTML).")
    choices: list[ChoiceOut]


class ProgressOut(_Out):
    current: int = Field(ge=0)
    total: int = Field(ge=0)


class TurnOut(_Out):
    """The turn contract (`Turn.to_json`): what the bot answers to one message."""

    replies: list[ReplyOut]
    step: str = Field(description="The question id now waiting for an answer, or `done`.")
    progress: ProgressOut
    done: bool
    lead: dict[str, Any] | None = Field(
        description="The lead (intake.lead/v1) once the conversation has made one.")


class SessionOut(_Out):
    token: str = Field(pattern=TOKEN_PATTERN,
                       description="The session's secret: keep it for reloads (the widget keeps "
                                   "it in localStorage); send it only to this server.")
    turn: TurnOut


class EntryOut(_Out):
    said: str | None = Field(
        description="What the prospect said: the typed text, or the label of the button "
                    "pressed; null for the greeting.")
    choice: str | None = Field(description="The id of the button pressed, if one was.")
    turn: TurnOut


class SessionStateOut(_Out):
    token: str = Field(pattern=TOKEN_PATTERN)
    transcript: list[EntryOut] = Field(
        description="The conversation so far, oldest first; the first entry is the greeting.")
    turn: TurnOut = Field(description="The current turn: the last one of the transcript.")


class BrokerOut(_Out):
    name: str
    color: str = Field(pattern=r"^#[0-9a-f]{6}$")
    phone: str | None


class LabelsOut(_Out):
    """Every sentence the widget shows around the dialogue, in Dutch (keys: `LABELS`)."""

    launcher: str = Field(description="The launcher button's name; contains 'chat'.")
    title: str
    input_label: str
    input_placeholder: str
    send: str
    callback: str = Field(description="The always-present call-me button; it sends the text "
                                      "'bel mij'.")
    close: str
    typing: str
    progress: str = Field(description="Holds {current} and {total}.")
    error_retry: str
    error_failed: str
    retry: str = Field(description="The button that sends a failed message again.")
    restart: str


class WidgetConfigOut(_Out):
    broker: BrokerOut
    labels: LabelsOut


class MessageIn(BaseModel):
    """A prospect's message: typed `text` or a pressed `choice`, exactly one of them."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "oneOf": [{"required": ["text"]}, {"required": ["choice"]}]})

    client_message_id: Annotated[str, Field(
        min_length=1, max_length=100, pattern=CLIENT_ID_PATTERN,
        description="The client's id for this message (e.g. a UUID). Sending the same id "
                    "again returns the same turn and changes nothing: retry with it.")]
    # Absent or a string (null is read as absent, but not advertised).
    text: Annotated[str | None, Field(max_length=MAX_TEXT), WithJsonSchema(
        {"type": "string", "maxLength": MAX_TEXT,
         "description": "What the prospect typed."})] = None
    choice: Annotated[str | None, Field(min_length=1, max_length=200), WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": 200,
         "description": "The id of the button pressed (a ChoiceOut id of the last turn)."})] = None

    @model_validator(mode="after")
    def _one(self) -> MessageIn:
        if (self.text is None) == (self.choice is None):
            raise ValueError("give exactly one of text and choice")
        return self


class FieldError(_Out):
    loc: list[str | int] = Field(description="Where: field names and list positions.")
    msg: str
    type: str


class InvalidOut(_Out):
    error: Literal["invalid"]
    detail: list[FieldError]


class ErrorOut(_Out):
    error: str = Field(description="A code: not_found, too_large, rate_limited, ...")
    detail: str = Field(description="For developers, in English.")


# --- errors ----------------------------------------------------------------------------------


def error_response(status: int, error: str, detail: str,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status,
                        headers=None if headers is None else dict(headers))


def _invalid(error: ValidationError) -> JSONResponse:
    """422 with pydantic's field errors: where and what, never the input itself."""
    detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
              for e in error.errors(include_url=False, include_input=False,
                                    include_context=False)]
    return JSONResponse({"error": "invalid", "detail": detail}, 422)


def _not_json(request: Request) -> JSONResponse | None:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        return error_response(415, "unsupported_media_type", "send application/json")
    return None


def _no_session() -> JSONResponse:
    return error_response(404, "not_found",
                          "no such session (never made, erased, or expired): start a new one")


def _token(request: Request) -> str | None:
    token = str(request.path_params["token"])
    return token if len(token) == 43 and token.isascii() else None


# --- routes ----------------------------------------------------------------------------------


def api_routes(web: WebChannel | None) -> list[BaseRoute]:
    """The /api/v1 routes and /openapi.json; without a web channel, no chat routes."""

    async def quotes(request: Request) -> Response:
        """QuoteRequest in, Quote out (Dutch texts), 422 with field errors."""
        if (refused := _not_json(request)) is not None:
            return refused
        try:
            asked = QuoteRequest.model_validate_json(await request.body())
        except ValidationError as error:
            return _invalid(error)
        # The models bound every amount (finite, >= 0, below a ceiling, cents), so whatever
        # passed validation can be priced.
        return JSONResponse(localise_quote(quote(asked)).model_dump(mode="json"))

    document = openapi(chat=web is not None)

    async def spec(_request: Request) -> Response:
        """This API described as OpenAPI 3.1."""
        return JSONResponse(document, headers={"Cache-Control": "no-cache"})

    routes: list[BaseRoute] = [
        Route("/api/v1/quotes", quotes, methods=["POST"]),
        Route("/openapi.json", spec, methods=["GET"]),
    ]
    if web is None:
        return routes
    channel = web

    async def create(_request: Request) -> Response:
        """A new conversation: its token and the greeting."""
        token, turn = await channel.open()
        return JSONResponse({"token": token, "turn": turn.to_json()}, 201)

    async def message(request: Request) -> Response:
        """One message of the prospect; the turn that answers it."""
        token = _token(request)
        if token is None:
            return _no_session()
        if (refused := _not_json(request)) is not None:
            return refused
        try:
            said = MessageIn.model_validate_json(await request.body())
        except ValidationError as error:
            return _invalid(error)
        turn = await channel.send(token, said.client_message_id, text=said.text,
                                  choice=said.choice)
        if turn is None:
            return _no_session()
        return JSONResponse(turn.to_json())

    async def state(request: Request) -> Response:
        """For a page reload: the transcript and the current turn."""
        token = _token(request)
        restored = None if token is None else await channel.restore(token)
        if restored is None:
            return _no_session()
        entries, turn = restored
        return JSONResponse({"token": token, "transcript": [e.to_json() for e in entries],
                             "turn": turn.to_json()})

    config = channel.config()

    async def widget_config(_request: Request) -> Response:
        """The broker profile and the widget's Dutch labels."""
        return JSONResponse(config, headers={"Cache-Control": "public, max-age=300"})

    return [
        Route("/api/v1/chat/sessions", create, methods=["POST"]),
        Route("/api/v1/chat/sessions/{token}", state, methods=["GET"]),
        Route("/api/v1/chat/sessions/{token}/messages", message, methods=["POST"]),
        Route("/api/v1/widget/config", widget_config, methods=["GET"]),
        *routes,
    ]


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's 404/405 as JSON under /api/, as plain text elsewhere (headers kept)."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return error_response(exc.status_code, "not_found" if exc.status_code == 404
                              else "method_not_allowed" if exc.status_code == 405
                              else "http_error", exc.detail, headers=exc.headers)
    return Response(exc.detail, exc.status_code, headers=exc.headers, media_type="text/plain")


# --- the OpenAPI document --------------------------------------------------------------------


def _json_body(ref: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": ref}}}


def _numbers_only(field: dict[str, Any]) -> None:
    """Amounts and percentages go in as JSON numbers: pydantic also reads a Decimal from a
    string, but the contract (and the lead) carries numbers, so the document says so."""
    branches = field.get("anyOf")
    if not branches or not any(b.get("type") == "number" for b in branches):
        return
    kept = [b for b in branches if b != {"type": "string"}]
    if len(kept) == 1:
        del field["anyOf"]
        field.update(kept[0])
    else:
        field["anyOf"] = kept


def openapi(*, chat: bool = True) -> dict[str, Any]:
    """OpenAPI 3.1 for every /api/v1 route, schemas from the pydantic models."""
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (QuoteRequest, "validation"), (Quote, "serialization"), (InvalidOut, "serialization"),
        (ErrorOut, "serialization"),
    ]
    if chat:
        models += [(MessageIn, "validation"), (SessionOut, "serialization"),
                   (SessionStateOut, "serialization"), (TurnOut, "serialization"),
                   (WidgetConfigOut, "serialization")]
    refs, top = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = top.get("$defs", {})
    # What pydantic cannot say from the types: the sector is one of the catalogue's keys, and
    # at least one product is asked for.
    request = schemas["QuoteRequest"]
    request["properties"]["sector"]["enum"] = list(SECTORS)
    request["anyOf"] = [{"required": [part], "properties": {part: {"type": "object"}}}
                        for part in ("credit", "bi")]
    schemas["BiRequest"]["anyOf"] = [
        {"required": [basis], "properties": {basis: {"type": "number"}}}
        for basis in ("variable_costs_eur", "gross_profit_eur")]
    for name in ("QuoteRequest", "CreditRequest", "BiRequest"):
        for field in schemas[name]["properties"].values():
            _numbers_only(field)

    def ref(model: type[BaseModel], mode: str) -> dict[str, Any]:
        return dict(refs[(model, mode)])  # type: ignore[index]

    error = _json_body(ref(ErrorOut, "serialization"))
    retry_after = {"Retry-After": {"description": "Seconds to wait before trying again.",
                                   "schema": {"type": "integer", "minimum": 1},
                                   "required": True}}
    common = {
        "403": {"description": "A browser's request from an origin not allowed "
                               "(INTAKE_WIDGET_ORIGINS).", **error},
        "413": {"description": "The body is larger than INTAKE_MAX_BODY_BYTES.",
                "content": {"text/plain": {"schema": {"type": "string"}}}},
        "429": {"description": "Too many requests from this session or address.",
                "headers": retry_after, **error},
    }
    invalid = {"description": "The body is not valid: field errors, without the input.",
               **_json_body(ref(InvalidOut, "serialization"))}
    unsupported = {"description": "The body is not application/json.", **error}
    token = {"name": "token", "in": "path", "required": True,
             "description": "The session token from POST /api/v1/chat/sessions.",
             "schema": {"type": "string", "pattern": TOKEN_PATTERN}}
    no_session = {"description": "No such session (never made, erased, or expired).", **error}

    paths: dict[str, Any] = {
        "/api/v1/quotes": {"post": {
            "operationId": "createQuote",
            "summary": "A premium indication from the pricing core",
            "requestBody": {"required": True,
                            **_json_body(ref(QuoteRequest, "validation"))},
            "responses": {"200": {"description": "The quote; texts in Dutch.",
                                  **_json_body(ref(Quote, "serialization"))},
                          "415": unsupported, "422": invalid, **common},
        }},
    }
    if chat:
        turn = _json_body(ref(TurnOut, "serialization"))
        paths["/api/v1/chat/sessions"] = {"post": {
            "operationId": "createSession",
            "summary": "Start a conversation: a session token and the greeting",
            "responses": {
                "201": {"description": "The new session.",
                        **_json_body(ref(SessionOut, "serialization")),
                        "links": {
                            "SendMessage": {"operationId": "sendMessage",
                                            "parameters": {"token": "$response.body#/token"}},
                            "GetSession": {"operationId": "getSession",
                                           "parameters": {"token": "$response.body#/token"}},
                        }},
                **common},
        }}
        paths["/api/v1/chat/sessions/{token}"] = {"get": {
            "operationId": "getSession",
            "summary": "The transcript and the current turn, for a page reload",
            "parameters": [token],
            "responses": {"200": {"description": "The session so far.",
                                  **_json_body(ref(SessionStateOut, "serialization"))},
                          "404": no_session, **common},
        }}
        paths["/api/v1/chat/sessions/{token}/messages"] = {"post": {
            "operationId": "sendMessage",
            "summary": "One message of the prospect; the turn that answers it (idempotent "
                       "by client_message_id)",
            "parameters": [token],
            "requestBody": {"required": True, **_json_body(ref(MessageIn, "validation"))},
            "responses": {"200": {"description": "The answering turn.", **turn},
                          "404": no_session, "415": unsupported, "422": invalid, **common},
        }}
        paths["/api/v1/widget/config"] = {"get": {
            "operationId": "getWidgetConfig",
            "summary": "The broker's name, colour and phone, and the widget's Dutch labels",
            "responses": {"200": {"description": "The widget's configuration.",
                                  **_json_body(ref(WidgetConfigOut, "serialization"))},
                          **common},
        }}
    return {
        "openapi": "3.1.0",
        "info": {"title": "intake web API", "version": "1",
                 "description": "The web chat widget's API and the pricing core. "
                                "See docs/web.md."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas},
    }

