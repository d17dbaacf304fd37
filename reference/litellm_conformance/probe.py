"""Probe the real LiteLLM proxy in front of the fake vLLM: ``make probe-reference``.

Uses the conformance machinery (``_stacks.real_proxy``): the real proxy from
``.venv-reference-VERSION`` with a config pointing at a fake vLLM 0.9.2 on a loopback port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket

from rich.console import Console

from fakes.probe._probe import probe_url
from fakes.probe._report import render, to_json


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--litellm", required=True, help="the real proxy's litellm executable")
    parser.add_argument("--json", action="store_true", help="print the JSON report")
    args = parser.parse_args()
    from reference.litellm_conformance._stacks import Hub, real_proxy
    from reference.litellm_conformance._units import MASTER_KEY, Unit, build_upstream

    unit = Unit("fake-model", "probe:plain_bare_route", (), ())
    hub = Hub({unit.name: build_upstream(unit.source, "vllm-0.9", "")})
    with real_proxy(args.litellm, _free_port(), [unit], hub) as (url, _):
        report = asyncio.run(probe_url(url, api_key=MASTER_KEY, model="fake-model"))
    if args.json:
        print(json.dumps(to_json(report), indent=2))
    else:
        render(report, Console())


if __name__ == "__main__":
    main()
