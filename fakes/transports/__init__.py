"""In-process transports: httpx and httpx2 clients reach a fake's ASGI app without a socket."""
