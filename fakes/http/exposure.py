"""Refuse to open the control plane beyond loopback.

``/_fake/`` (the console, scripts, faults, the request log with its bodies) lets anyone who
reaches it rewrite the fake's answers and read what other clients sent. On loopback that is the
point; on a pod's address it would be open to the whole cluster. So a server that listens
beyond loopback needs a control token, or no control plane at all.
"""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class ExposureError(ValueError):
    pass


def is_loopback(host: str) -> bool:
    """Only loopback addresses and names; any other name may resolve beyond (not resolved)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, *, control_plane: bool, control_token: str | None) -> None:
    """Raise before anything binds when ``host`` would expose an open control plane."""
    if not control_plane or control_token or is_loopback(host):
        return
    raise ExposureError(
        f"refusing to listen on {host} with an open control plane (/_fake/: console, scripts, "
        "faults, request log): pass --control-token TOKEN (or set LLM_FAKES_CONTROL_TOKEN) "
        "or --no-control-plane"
    )
