"""``python -m reference.litellm_conformance --litellm PATH --version V``: every catalogue unit
sent to the real proxy and to the fake, each in front of its own fake vLLMs, for each
upstream; differences by JSON path, and "N/N exchanges identical" per release x upstream."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fakes.http.requestlog import RequestLog
from reference.litellm_conformance import _known, _propose, _recording
from reference.litellm_conformance._compare import differences
from reference.litellm_conformance._stacks import (
    UPSTREAM,
    fake_answers,
    hub_for,
    localize,
    real_proxy,
    replayed_hub,
    send_all,
)
from reference.litellm_conformance._units import Unit, build_upstream, catalogue
from reference.litellm_conformance._upstream import capturing, exchanges
from reference.litellm_conformance._upstream_kinds import resolve_upstream

UPSTREAMS = ("vllm-0.9", "newest")
RECORDINGS = Path("recordings/litellm")
REAL_PROXY = "http://litellm.real"  # how a cassette names the real proxy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _recorded(url: str, base: str, units: list[Unit], cassette: Path) -> Any:
    """The units through a recording proxy in front of the real one; the cassette names no
    local port (the upstreams as UPSTREAM, the proxy as REAL_PROXY)."""
    from fakes.http.server import live
    from fakes.record import Recorder

    cassette.unlink(missing_ok=True)
    with live(Recorder(url, cassette), server_header=False, date_header=False) as recorder:
        answers = asyncio.run(send_all(recorder.url, units))
    text = cassette.read_bytes()
    for local, public in ((base, UPSTREAM), (url, REAL_PROXY)):
        text = text.replace(local.encode(), public.encode())
    cassette.write_bytes(text)
    return answers


def run(
    litellm: str,
    version: str,
    upstream: str,
    *,
    record: bool,
    write_known: bool,
    cassette: Path | None = None,
    echo: Callable[[str], None],
) -> tuple[bool, _recording.Recording]:
    """One release in front of one upstream; True when nothing but known differences, and
    the run as a recording (for a proposal)."""
    server = resolve_upstream(upstream)
    name, provider = server.name, server.provider
    units = catalogue(version, upstream)
    logs = {unit.name: RequestLog() for unit in units}
    real_hub = hub_for(units, build_upstream, upstream, version)
    real_hub.apps = {name: capturing(app, logs[name]) for name, app in real_hub.apps.items()}
    with real_proxy(litellm, _free_port(), units, real_hub, provider) as (url, base):
        if cassette is None:
            real = localize(asyncio.run(send_all(url, units)), base)
        else:
            real = localize(_recorded(url, base, units, cassette), base)
            echo(f"recorded the session as a cassette in {cassette}")
    upstream_answers = {name: exchanges(log) for name, log in logs.items()}
    # the fake gets the very answers the real proxy got from its upstreams
    fake = fake_answers(version, units, replayed_hub(upstream_answers), provider)
    recording = _recording.path_for(RECORDINGS, version, name)
    if record:
        _recording.write(recording, version, name, units, real, upstream_answers)
        echo(f"recorded the real proxy's answers in {recording}")
    ok = report(version, name, units, real, fake, recording, write_known, echo)
    return ok, _recording.Recording(version, name, units, real, upstream_answers)


def report(
    version: str,
    name: str,
    units: list[Unit],
    real: dict[str, Any],
    fake: dict[str, Any],
    recording: Path,
    write_known: bool,
    echo: Callable[[str], None],
) -> bool:
    found = differences(real, fake)
    lines = _known.flat(found)
    if write_known:
        _known.write(recording, lines)
    known = set(_known.load(recording))
    for line in lines:
        echo(f"{line}  [known]" if line in known else line)
    total = sum(len(u.requests) for u in units)
    same = total - len(_known.exchanges_with_differences(found))
    new = [line for line in lines if line not in known]
    echo(
        f"LiteLLM {version} + fake {name}: {same}/{total} exchanges identical "
        f"({len(units)} units; {len(lines)} differences, {len(lines) - len(new)} of them known)"
    )
    return not new


def replay(version: str, write_known: bool, echo: Callable[[str], None]) -> bool:
    """The fake against this release's recordings (no real proxy needed)."""
    ok = True
    for path in _recording_paths(version):
        recorded = _recording.read(path)
        provider = resolve_upstream(recorded.upstream).provider
        hub = replayed_hub(recorded.upstream_answers)
        fake = fake_answers(version, recorded.units, hub, provider)
        ok &= report(
            version,
            recorded.upstream,
            recorded.units,
            recorded.answers,
            fake,
            path,
            write_known,
            echo,
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reference.litellm_conformance", description=__doc__
    )
    parser.add_argument(
        "--litellm",
        help="The real proxy's `litellm` command (without it: the fake against the recordings).",
    )
    parser.add_argument("--version", required=True, help="Its release, e.g. 1.110.2.")
    parser.add_argument(
        "--upstream",
        action="append",
        help="vLLM profile names, or sglang, ollama, llamacpp (their newest profile) or one of "
        "their profile names (default: vllm-0.9 and newest).",
    )
    parser.add_argument(
        "--record", action="store_true", help=f"Write the real proxy's answers to {RECORDINGS}/."
    )
    parser.add_argument(
        "--cassette",
        type=Path,
        help="Also record the first upstream's session as a replayable cassette (.jsonl).",
    )
    parser.add_argument(
        "--write-known", action="store_true", help="List today's differences as known ones."
    )
    parser.add_argument(
        "--propose",
        type=Path,
        metavar="FILE",
        help="Write the knob values that explain the differences as a proposed profile "
        "(from this run, or without --litellm from the release's recordings).",
    )
    args = parser.parse_args(argv)
    if args.litellm is None:
        if args.propose is not None:
            recorded = [_recording.read(p) for p in _recording_paths(args.version)]
            _write_proposal(args.version, recorded, args.propose)
            return 0
        return 0 if replay(args.version, args.write_known, print) else 1
    ok = True
    runs: list[_recording.Recording] = []
    for index, upstream in enumerate(args.upstream or UPSTREAMS):
        passed, recorded_run = run(
            args.litellm,
            args.version,
            upstream,
            record=args.record,
            write_known=args.write_known,
            cassette=args.cassette if index == 0 else None,
            echo=print,
        )
        ok &= passed
        runs.append(recorded_run)
    if args.propose is not None:
        _write_proposal(args.version, runs, args.propose)
    return 0 if ok else 1


def _recording_paths(version: str) -> list[Path]:
    paths = sorted(RECORDINGS.glob(f"litellm-{version}+*.json"))
    if not paths:
        raise SystemExit(f"no recordings for {version} in {RECORDINGS}")
    return paths


def _write_proposal(version: str, recorded: list[_recording.Recording], out: Path) -> None:
    """Every other built-in profile's knob values tried against the nearest profile's."""
    from fakes.litellm import resolve_litellm_profile
    from fakes.profiles import builtin

    parent, _ = resolve_litellm_profile(version, None)
    proposal = _propose.propose(version, parent, builtin("litellm"), recorded, print)
    out.write_text(_propose.render(proposal))
    after = proposal.after or proposal.before
    print(
        f"proposed {len(proposal.knobs)} knobs in {out}: {after.identical}/{after.total} "
        f"exchanges identical with them ({proposal.before.identical} with {parent.name})"
    )


if __name__ == "__main__":
    sys.exit(main())
