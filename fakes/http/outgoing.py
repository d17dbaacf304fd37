"""Outgoing HTTP clients for the fakes that call others (the proxy, the recorder).

Building an ``httpx.AsyncClient`` builds a TLS context, about 18 ms; a client per request
made the fake LiteLLM slower than the real one. One context, built once, is shared.
"""

from __future__ import annotations

import functools
import ssl
import urllib.request
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from fakes.http.h1transport import H1Transport


@functools.cache
def tls_context() -> ssl.SSLContext:
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def async_client(**options: Any) -> httpx.AsyncClient:
    if options.get("transport") is None:
        options.setdefault("verify", tls_context())
    return httpx.AsyncClient(**options)


def lean_transport() -> H1Transport | None:
    """The lean HTTP/1.1 transport for plain-http URLs (fakes.http.h1transport), https through
    httpx's own; None where it does not apply: httptools missing (a CPython-only dependency),
    or proxies set in the environment, which httpx honours only in the transport it builds."""
    try:
        from fakes.http.h1transport import H1Transport
    except ImportError:
        return None
    if urllib.request.getproxies():
        return None
    return H1Transport(httpx.AsyncHTTPTransport(verify=tls_context()))
