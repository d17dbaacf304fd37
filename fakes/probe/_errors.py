"""One-line errors for servers the probe cannot measure: dead, not OpenAI-compatible, or
wanting a key."""

from __future__ import annotations

from typing import Any

from fakes.probe._client import Exchange, ProbeError


def listed_models(exchange: Exchange) -> list[str]:
    body = exchange.json() if exchange.status == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return []
    return [str(m["id"]) for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)]


def _snippet(exchange: Exchange) -> str:
    kind = (exchange.header("content-type") or "no content type").split(";")[0]
    text = exchange.body[:80].decode("utf-8", "replace").replace("\n", " ").strip()
    more = "..." if len(exchange.body) > 80 else ""
    return f"{exchange.status} ({kind}) {text!r}{more}" if text else f"{exchange.status} ({kind})"


def _unauthorized(base_url: str, exchange: Exchange, has_key: bool) -> ProbeError:
    what = "rejects the --api-key" if has_key else "wants a key: pass --api-key"
    return ProbeError(
        f"{base_url} {what} ({exchange.method} {exchange.path} answered {_snippet(exchange)})"
    )


def check_openai(base_url: str, exchange: Exchange, has_key: bool) -> None:
    """``GET /v1/models`` must list a model, unless ``--model`` was given."""
    if exchange.status is None:
        raise ProbeError(f"{base_url}: GET /v1/models got no answer ({exchange.error})")
    if exchange.status == 401 or (exchange.status in (400, 403) and _mentions_key(exchange)):
        raise _unauthorized(base_url, exchange, has_key)
    if not listed_models(exchange):
        raise ProbeError(
            f"{base_url} does not look like an OpenAI-compatible server: GET /v1/models "
            f"answered {_snippet(exchange)}"
        )


def _mentions_key(exchange: Exchange) -> bool:
    text = exchange.body.decode("utf-8", "replace").lower()
    return any(word in text for word in ("api key", "auth", "no connected db"))


def check_chat(base_url: str, exchange: Exchange, has_key: bool) -> None:
    """The plain chat probe must give a chat completion, or the rest measures nothing."""
    if exchange.status is None:
        raise ProbeError(f"{base_url}: POST /v1/chat/completions got no answer ({exchange.error})")
    if exchange.status == 401:
        raise _unauthorized(base_url, exchange, has_key)
    body: Any = exchange.json()
    if exchange.status != 200 or not isinstance(body, dict) or "choices" not in body:
        raise ProbeError(
            f"{base_url} does not answer chat completions: POST /v1/chat/completions "
            f"answered {_snippet(exchange)}"
        )
