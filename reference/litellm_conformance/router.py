"""``python -m reference.litellm_conformance.router --litellm PATH --version V [--record]``:
the router scenarios (several deployments per group, one replica failing: retries,
cooldown, fallbacks, the "No deployments available" 429) sent to the real proxy and to the
fake LiteLLM, each in front of the SAME fake vLLM replicas. Compared by value: status,
headers, bodies, and which replica each upstream attempt reached. Without ``--litellm``
the fake is held to the recording."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from fakes.http.server import live
from fakes.litellm._health import PROMPTS as HEALTH_PROMPTS
from reference._process import stop
from reference.litellm_conformance import _known
from reference.litellm_conformance._compare import differences
from reference.litellm_conformance._router_units import (
    AUTH_MODULE,
    RUNS,
    Hits,
    Run,
    Step,
    auth_module,
    config_text,
    replica_apps,
)
from reference.litellm_conformance._stacks import TIMEOUT, Hub, _wait, localize
from reference.litellm_conformance._units import MASTER_KEY

RECORDINGS = Path("recordings/litellm")
FORMAT = "llm-fakes-litellm-router"
FORMAT_VERSION = 1
KEY = b"[master key]"
SITE_PACKAGES = re.compile(rb'/[^\s"\\]*/site-packages/')
SITE_PATHS = re.compile(SITE_PACKAGES.pattern.decode())
STDLIB_PATHS = re.compile(r'/[^\s"\\<]*/lib/python3\.\d+/')  # what is left: the standard library
TRACE = re.compile(r'(\\nstack trace: )((?:[^"\\]|\\.)*)"')  # in a JSON body's text
CUT_PATH = re.compile(r'(File ")/[^"\n]*$')  # a traceback cut inside a file's path
UNIT = "router"  # how differences name the run


def path_for(version: str, run: str = "failover") -> Path:
    tag = "" if run == "failover" else f"{run}-"
    return RECORDINGS / f"router-{tag}litellm-{version}.json"


async def _one(client: httpx.AsyncClient, step: Step) -> dict[str, Any]:
    request = step.request
    async with client.stream(
        request["method"], request["path"], content=request["body"], headers=request["headers"]
    ) as response:
        body = b""
        async for piece in response.aiter_raw():
            body += piece
    return {
        "label": step.label,
        "status": response.status_code,
        "headers": [[k, v] for k, v in response.headers.multi_items()],
        "body": body.decode("utf-8", "replace"),
    }


def _deployment(answer: dict[str, Any]) -> tuple[str, int]:
    """How the answers of one step sent several times are ordered: by deployment, then status
    (a key's 429 may name the same deployment as the answer it was refused beside)."""
    return str(dict(answer["headers"]).get("x-litellm-model-id", "")), answer["status"]


async def _send(run: Run, url: str, hits: Hits, settle: bool = False) -> list[dict[str, Any]]:
    """Each step in order: the answer(s), the replicas reached and the duration."""
    out = []
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as client:
        for step in run.steps:
            if settle and step.settle:
                await asyncio.sleep(step.settle)
            mark = len(hits.seen)
            hits.expect(1 if step.one_by_one else step.copies, step.held)
            started = time.monotonic()

            async def released(step: Step = step) -> dict[str, Any]:
                answer = await _one(client, step)
                hits.release()
                return answer

            if step.one_by_one:  # the real proxy is left ``settle`` between copies too
                answers = [await _one(client, step)]
                for _ in range(step.copies - 1):
                    if settle and step.settle:
                        await asyncio.sleep(step.settle)
                    answers.append(await _one(client, step))
            else:
                answers = await asyncio.gather(*(released() for _ in range(step.copies)))
            unordered = step.concurrent or step.one_by_one
            replicas = sorted(hits.since(mark)) if unordered else hits.since(mark)
            peak = {"peak": hits.peak} if step.held else {}  # upstream requests at once
            for answer in sorted(answers, key=_deployment):
                answer |= peak | {
                    "replicas": replicas,
                    "seconds": round(time.monotonic() - started, 3),
                    "offsets": hits.offsets(mark, started),
                }
                out.append(answer)
    return out


@contextlib.contextmanager
def _real(run: Run, litellm: str, base: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(config_text(run, base))
        if run.keys:
            (Path(folder) / f"{AUTH_MODULE}.py").write_text(auth_module(run))
        log_path = Path(folder) / "proxy.log"
        with log_path.open("w") as log:
            env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
            from reference.litellm_conformance.__main__ import _free_port

            port = _free_port()
            command = [litellm, "--config", str(path), "--host", "127.0.0.1", "--port", str(port)]
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
            url = f"http://127.0.0.1:{port}"
            try:
                _wait(url, process, log_path)
                yield url
            finally:
                stop(process)


MINUTE_LEFT = 30.0  # seconds a run with keys needs inside one clock minute


def _within_one_minute(run: Run) -> None:
    """1.74 counts a key's use per clock minute (the fake's minute is pinned): a run with keys
    starts early enough in a minute to end in it."""
    left = 60 - time.time() % 60
    if run.keys and left < MINUTE_LEFT:
        time.sleep(left + 0.5)


def real_answers(run: Run, litellm: str) -> list[dict[str, Any]]:
    hits = Hits()
    with live(Hub(replica_apps(run, hits))) as hub, _real(run, litellm, hub.url) as url:
        _within_one_minute(run)
        answers = asyncio.run(_send(run, url, hits, settle=True))
        localized: list[dict[str, Any]] = localize(answers, hub.url)
    return localized


def fake_answers(run: Run, version: str) -> list[dict[str, Any]]:
    from fakes.litellm import create_litellm_app, parse_config, resolve_litellm_profile

    profile, release = resolve_litellm_profile(version, None)
    hits = Hits()
    with live(Hub(replica_apps(run, hits))) as hub:
        text = config_text(run, hub.url, real=False)
        config = parse_config(text, "router", profile, release, {})
        app = create_litellm_app(config)
        # rpm/tpm count per UTC minute: pinned, so a run never straddles two minutes
        app.state.fake.fleet.minute = lambda: "00-00"
        with live(app, server_header=profile.knobs.server_header) as proxy:
            answers = asyncio.run(_send(run, proxy.url, hits))
        localized: list[dict[str, Any]] = localize(answers, hub.url)
    return localized


def _unrandom(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The keyed /health's probe prompt is one of two, drawn at random by the real proxy."""
    out = []
    for answer in answers:
        body = answer["body"]
        for prompt in HEALTH_PROMPTS:
            body = body.replace(prompt, "<one of the health prompts>")
        out.append({**answer, "body": body})
    return out


def _traces(body: str) -> list[str]:
    return [orjson.loads(f'"{match.group(2)}"') for match in TRACE.finditer(body)]


def _with_traces(body: str, traces: list[str]) -> str:
    """The body with its tracebacks, in order, replaced by ``traces``."""
    remaining = iter(traces)

    def one(match: re.Match[str]) -> str:
        return match.group(1) + orjson.dumps(next(remaining)).decode()[1:-1] + '"'

    return TRACE.sub(one, body)


def _pathless(body: str) -> str:
    """Installation paths as <site-packages>/; a traceback cut inside a path loses that path."""
    body = STDLIB_PATHS.sub("<stdlib>/", SITE_PATHS.sub("<site-packages>/", body))
    return _with_traces(body, [CUT_PATH.sub(r"\1", trace) for trace in _traces(body)])


def _cut_traces(
    real: list[dict[str, Any]], fake: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """1.74's /health shows each failed probe's traceback cut at 1000 characters, and their
    file paths name the installation. With the paths as <site-packages>/ on both sides (and the
    real one's last path, if the cut fell inside it, dropped), the fake's traceback (installed
    under a shorter path, so cut later) is compared as far as the real one reaches. A fake
    traceback shorter than the real one still differs."""
    real_out, fake_out = [], []
    for index, answer in enumerate(real):
        body = _pathless(answer["body"])
        cut = _traces(body)
        real_out.append({**answer, "body": body})
        if index < len(fake):
            mine = _pathless(fake[index]["body"])
            short = [t[: len(cut[i])] if i < len(cut) else t for i, t in enumerate(_traces(mine))]
            fake_out.append({**fake[index], "body": _with_traces(mine, short)})
    return real_out, fake_out + fake[len(real) :]


def compare(real: list[dict[str, Any]], fake: list[dict[str, Any]]) -> list[str]:
    """Differences by path: the answers as the catalogue compares them, then the replicas."""
    real, fake = _cut_traces(real, fake)
    lines = _known.flat(differences({UNIT: _unrandom(real)}, {UNIT: _unrandom(fake)}))
    for index, (a, b) in enumerate(zip(real, fake, strict=False)):
        if a["replicas"] != b["replicas"]:
            lines.append(f"{UNIT}[{index}].replicas: real {a['replicas']} != fake {b['replicas']}")
        if a.get("peak") != b.get("peak"):
            lines.append(f"{UNIT}[{index}].peak: real {a.get('peak')} != fake {b.get('peak')}")
    return lines


def write(run: Run, path: Path, version: str, answers: list[dict[str, Any]]) -> None:
    data = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "litellm": version,
        "redacted": ["authorization: the run's own master key"],
        "run": run.name,
        "config": config_text(run, "http://upstream.fake"),
        **({f"{AUTH_MODULE}.py": auth_module(run)} if run.keys else {}),
        "requests": [step.request for step in run.steps],
        "answers": [{**answer, "body": _pathless(answer["body"])} for answer in answers],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2).replace(MASTER_KEY.encode(), KEY)
    # 1.74's /health shows Python tracebacks: their paths name the machine
    text = SITE_PACKAGES.sub(b"<site-packages>/", text)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(text + b"\n")
    temporary.replace(path)


def read(path: Path) -> list[dict[str, Any]]:
    data = orjson.loads(path.read_bytes().replace(KEY, MASTER_KEY.encode()))
    if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a {FORMAT} v{FORMAT_VERSION} recording")
    answers: list[dict[str, Any]] = data["answers"]
    return answers


def report(
    run: Run,
    version: str,
    real: list[dict[str, Any]],
    fake: list[dict[str, Any]],
    echo: Callable[[str], None],
) -> bool:
    lines = compare(real, fake)
    known = set(_known.load(path_for(version, run.name)))
    for line in lines:
        echo(f"{line}  [known]" if line in known else line)
    differing = {line.split("]")[0] for line in lines}
    echo(
        f"LiteLLM {version} router, {run.name}: {len(real) - len(differing)}/{len(real)} steps "
        f"identical ({len(lines)} differences)"
    )
    return all(line in known for line in lines)


def one_run(run: Run, args: argparse.Namespace) -> bool:
    path = path_for(args.version, run.name)
    if args.litellm is None:
        real = read(path)
    else:
        real = real_answers(run, args.litellm)
        for answer in real:
            print(
                f"real: {answer['label']}: {answer['status']} via {answer['replicas']} "
                f"in {answer['seconds']} s, attempts at {answer['offsets']}"
            )
        if args.record:
            write(run, path, args.version, real)
            print(f"recorded {path}")
    fake = fake_answers(run, args.version)
    if args.write_known:
        _known.write(path, compare(real, fake))
    return report(run, args.version, real, fake, print)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reference.litellm_conformance.router", description=__doc__
    )
    parser.add_argument("--litellm", help="The real proxy's `litellm` command.")
    parser.add_argument("--version", required=True, help="Its release, e.g. 1.110.2.")
    parser.add_argument(
        "--run", action="append", choices=sorted(RUNS), help="Only these runs (default: all)."
    )
    parser.add_argument("--record", action="store_true", help=f"Write {RECORDINGS}/router-*.")
    parser.add_argument(
        "--write-known", action="store_true", help="List today's differences as known ones."
    )
    args = parser.parse_args(argv)
    ok = True
    for name in args.run or sorted(RUNS):
        ok &= one_run(RUNS[name], args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
