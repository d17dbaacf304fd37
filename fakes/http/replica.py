"""Each replica names itself, as llm-d's inference simulator does with ``x-inference-pod``.

Off unless a name is given, so by default the bytes stay the imitated backend's own.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-inference-pod"
# a header value and a Prometheus label value: visible ASCII, no separators that need quoting
_VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/-]{0,252}")


def check_replica_name(name: str) -> str:
    if not _VALID.fullmatch(name):
        raise ValueError(
            f"replica name {name!r}: 1-253 characters, letters, digits and . _ : @ / - "
            "(starting with a letter or digit), e.g. a pod name"
        )
    return name


class ReplicaHeaderMiddleware:
    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.header = (HEADER.encode(), check_replica_name(name).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self.header]}
            await send(message)

        await self.app(scope, receive, named)
