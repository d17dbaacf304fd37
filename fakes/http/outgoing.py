"""Outgoing HTTP clients for the fakes that call others (the proxy, the recorder).

Building an ``httpx.AsyncClient`` builds a TLS context, about 18 ms; a client per request
made the fake LiteLLM slower than the real one. One context, built once, is shared.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def async_client(**options: Any) -> httpx.AsyncClient:
    if options.get("transport") is None:
        options.setdefault("verify", tls_context())
    return httpx.AsyncClient(**options)
