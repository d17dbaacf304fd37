"""LiteLLM's response headers: ``x-litellm-*``, the upstream's as ``llm_provider-*``, and the
security headers recent releases put on every response."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.litellm._config import Deployment
from fakes.litellm._key_limits import KeyLimits
from fakes.litellm._unhandled import BARE
from fakes.profiles import LitellmKnobs

UPSTREAM = "llm_provider-*"
SECURITY = (
    ("vary", "Origin"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "frame-ancestors 'none'"),
    ("x-content-type-options", "nosniff"),
)
STREAM = (("cache-control", "no-cache"), ("x-accel-buffering", "no"))


@dataclass
class CallInfo:
    """What one proxied call knows when its headers are written."""

    version: str
    deployment: Deployment | None = None
    call_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)
    upstream_started: float | None = None
    upstream: Mapping[str, str] = field(default_factory=dict)
    retries: int = 0
    max_retries: int = 0
    fallbacks: int = 0  # fallback groups tried before the one that answered
    ratelimit: list[tuple[str, str]] = field(default_factory=list)  # the group's x-ratelimit-*
    timeout: str = "6000.0"  # what x-litellm-timeout says (600.0 on 1.110's /v1/responses)
    cost: tuple[float, float] | None = None  # (input, output) in USD, for a priced model
    spend_tracked: bool = False  # x-litellm-key-spend shows this call's cost (1.110)
    key_limits: KeyLimits | None = None  # the virtual key's, named before x-litellm-key-spend

    def values(self, unpriced: str = "0") -> dict[str, str]:
        """Every x-litellm header this call can send, computed once per response;
        ``unpriced`` is what x-litellm-response-cost says without a cost."""
        deployment = self.deployment
        elapsed = (time.monotonic() - self.started) * 1000
        upstream_ms = (
            (time.monotonic() - self.upstream_started) * 1000 if self.upstream_started else 0.0
        )
        values: dict[str, str] = {
            "x-litellm-call-id": self.call_id,
            "x-litellm-version": self.version,
            "x-litellm-key-spend": str(sum(self.cost))
            if self.cost is not None and self.spend_tracked
            else "0.0",
            "x-litellm-response-cost": unpriced if self.cost is None else str(sum(self.cost)),
            "x-litellm-response-duration-ms": str(round(elapsed, 3)),
            "x-litellm-overhead-duration-ms": str(round(max(elapsed - upstream_ms, 0.0), 4)),
            "x-litellm-callback-duration-ms": "0.0",
            "x-litellm-attempted-retries": str(self.retries),
            "x-litellm-attempted-fallbacks": str(self.fallbacks),
            "x-litellm-timeout": self.timeout,
        }
        if deployment is not None:
            values |= {
                "x-litellm-model-id": deployment.model_id,
                "x-litellm-model-name": deployment.model,
                "x-litellm-model-api-base": deployment.api_base or "https://api.openai.com",
                "x-litellm-model-group": deployment.model_name,
            }
        return values

    def headers(self, names: Iterable[str], unpriced: str = "0") -> list[tuple[str, str]]:
        result: list[tuple[str, str]] = []
        values = self.values(unpriced)
        for name in names:
            if name == UPSTREAM:
                result.extend((f"llm_provider-{k}", v) for k, v in self.upstream.items())
            elif self.deployment is not None or name in _NO_DEPLOYMENT:
                cost = name.startswith("x-litellm-response-cost-")
                value = self._cost(name) if cost else values.get(name, "")
                if name == "x-litellm-key-spend" and self.key_limits is not None:
                    result.extend(self.key_limits.headers())
                result.append((name, value))
                if name == "x-litellm-model-group":
                    result.extend(self.ratelimit)
                if name == "x-litellm-attempted-retries" and self.retries:
                    # Seen only after a retry, on both releases.
                    result.append(("x-litellm-max-retries", str(self.max_retries)))
        return result

    def answer_headers(self, knobs: LitellmKnobs, names: Iterable[str]) -> list[tuple[str, str]]:
        """The headers of an answer (not an error): 1.109 writes str() of the float cost,
        "0.0" for an unpriced call, where errors say "0"."""
        return self.headers(names, "0.0" if knobs.answer_cost_float else "0")

    def _cost(self, name: str) -> str:
        if self.cost is None:
            return "0.0"
        parts = {
            "x-litellm-response-cost-original": sum(self.cost),
            "x-litellm-response-cost-input": self.cost[0],
            "x-litellm-response-cost-output": self.cost[1],
        }
        return str(parts.get(name, 0.0))


_NO_DEPLOYMENT = {
    "x-litellm-call-id",
    "x-litellm-version",
    "x-litellm-key-spend",
    "x-litellm-response-cost",
    "x-litellm-timeout",
}


def stream_extra(knobs: LitellmKnobs) -> list[tuple[str, str]]:
    return list(STREAM) if knobs.stream_cache_headers else []


_SECURITY_RAW = tuple((k.encode(), v.encode()) for k, v in SECURITY)


def security_headers(knobs: LitellmKnobs) -> tuple[tuple[bytes, bytes], ...]:
    """The security headers appended to every response, as the profile says."""
    if knobs.security_headers:
        return _SECURITY_RAW
    return _SECURITY_RAW[:1] if knobs.vary_origin else ()


class SecurityHeadersMiddleware:
    """Appends the security headers to every response when the profile says so."""

    def __init__(self, app: ASGIApp, knobs: Callable[[], LitellmKnobs]) -> None:
        self.app = app
        self.knobs = knobs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        added = security_headers(self.knobs())
        if scope["type"] != "http" or not added:
            await self.app(scope, receive, send)
            return

        async def add(message: Message) -> None:
            if message["type"] == "http.response.start" and not scope.get(BARE):
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, add)
