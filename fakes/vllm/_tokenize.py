"""/tokenize and /detokenize (0.5 on): TokenizeResponse(count, max_model_len, tokens[,
token_strs]) and DetokenizeResponse(prompt), model_dump'ed.

Ids come from the fake's vocabulary (pieces numbered as first seen), so /detokenize gives
back what /tokenize took apart; an id it never handed out decodes to nothing. A chat
request counts like a chat prompt: each message's 3 frame tokens, role and text."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import Response

from fakes.model import tokens
from fakes.profiles import UnknownFields
from fakes.vllm import _checks, _routes
from fakes.vllm._requests import validate
from fakes.vllm._state import VllmState

FRAME = "<|frame|>"  # what the fake's chat template adds around each message (3 per message)


class TokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    model: str | None = None
    prompt: str | None = None
    messages: list[dict[str, Any]] | None = None
    return_token_strs: bool | None = False


class DetokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    model: str | None = None
    tokens: list[int]


async def _read(state: VllmState, request: Request, kind: type[BaseModel]) -> Any:
    # the tokenize request models are not the chat request: no chat field list applies
    knobs = state.knobs.model_copy(update={"unknown_fields": UnknownFields.IGNORE})
    body, typed = validate(
        knobs,
        await request.body(),
        kind,
        content_type=request.headers.get("content-type"),
        where=state.where(request.method, request.url.path),
    )
    _checks.model_name(state, body)
    return typed


def _pieces(typed: TokenizeRequest) -> list[str]:
    if typed.messages is None:
        return tokens.tokenize(typed.prompt or "")
    pieces: list[str] = []
    for message in typed.messages:
        pieces += [FRAME] * 3 + tokens.tokenize(str(message.get("role", "")))
        pieces += tokens.tokenize(tokens.text_of(message.get("content")))
    return pieces


async def _tokenize(state: VllmState, request: Request) -> Response:
    typed: TokenizeRequest = await _read(state, request, TokenizeRequest)
    pieces = _pieces(typed)
    body: dict[str, Any] = {
        "count": len(pieces),
        "max_model_len": state.config.max_model_len,
        "tokens": [state.vocabulary.id(piece) for piece in pieces],
    }
    if state.knobs.tokenize_token_strs:
        body["token_strs"] = pieces if typed.return_token_strs else None
    return _routes._json(body)


async def _detokenize(state: VllmState, request: Request) -> Response:
    typed: DetokenizeRequest = await _read(state, request, DetokenizeRequest)
    pieces = (state.vocabulary.piece(token) for token in typed.tokens)
    return _routes._json({"prompt": "".join(p for p in pieces if p and p != FRAME)})


async def tokenize(request: Request) -> _routes.Answer:
    return await _routes._answer(_tokenize, request)


async def detokenize(request: Request) -> _routes.Answer:
    return await _routes._answer(_detokenize, request)
