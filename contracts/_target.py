"""Where a driver sends its requests: a base URL, and in-process the ASGI app behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from starlette.types import ASGIApp

from fakes.http.outgoing import async_client, tls_context
from fakes.transports.streaming import StreamingASGITransport

if TYPE_CHECKING:
    import httpx2


@dataclass(frozen=True)
class Target:
    base_url: str  # ends in /v1
    model: str
    api_key: str | None = None
    app: ASGIApp | None = None  # set in-process: clients must route to it, not the network
    timeout: float = 10.0

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def httpx_client(self) -> httpx.AsyncClient:
        transport = StreamingASGITransport(self.app) if self.app is not None else None
        return async_client(transport=transport, timeout=self.timeout)

    def httpx2_client(self) -> httpx2.AsyncClient:
        # httpx2 comes with the pytest extra: imported only by a driver that asks for it
        import httpx2

        from fakes.transports.streaming_httpx2 import StreamingASGITransport2

        transport = StreamingASGITransport2(self.app) if self.app is not None else None
        if transport is None:  # a TLS context per client costs ~18 ms; share one
            return httpx2.AsyncClient(verify=tls_context(), timeout=self.timeout)
        return httpx2.AsyncClient(transport=transport, timeout=self.timeout)
