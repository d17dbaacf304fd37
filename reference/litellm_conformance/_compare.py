"""Answers compared by value, reported by JSON path.

Only what differs from run to run is normalized: the random parts of ids (chatcmpl-, resp_,
call_..., uuids, the deployment hash, which covers the upstream's port), ``created``
stamps, the date and timing headers and durations. Everything else (status, header names
and values, every body value, key order, event framing) is compared as it came.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

IGNORED_HEADERS = {"date", "content-length", "transfer-encoding", "llm_provider-date"}
TIMING_HEADERS = {
    "x-litellm-response-duration-ms",
    "x-litellm-overhead-duration-ms",
    "x-litellm-callback-duration-ms",
    "llm_provider-content-length",  # the upstream's ids and stamps vary in length too
}
TIME_KEYS = {"created", "created_at", "completed_at"}
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_IDS = re.compile(
    # LiteLLM 1.110 writes response ids as resp_ + base64 of the upstream id and deployment
    r"(?P<prefix>resp_)[A-Za-z0-9_=-]{8,}"
    # 1.80 names reasoning items rs_ and Python's hash() of their text, random per process
    r"|(?P<prefix3>rs_)-?[0-9]{8,}\b"
    rf"|(?P<prefix2>chatcmpl-tool-|chatcmpl-|cmpl-|msg_|rs_|call_|fc_)(?:{_UUID}|[0-9a-zA-Z]{{8,}})"
    rf"|(?P<uuid>{_UUID})|(?P<hash>\b[0-9a-f]{{64}}\b)"
)


# A 429's cooldown_list names every deployment of the router still cooling down, of any group
# (1.110.2 router_utils/handle_error.py:85-95; 1.74.15 cooldown_handlers.py:353): in a
# catalogue run, one deployment per unit, that is whichever other units failed in the last
# cooldown_time seconds, which the run's pace decides, not the proxy. Its content is not
# compared (tests/fakes/litellm/test_errors.py holds the fake to the router-wide list).
_COOLDOWN_LIST = re.compile(r"cooldown_list=\[.*\]$", re.DOTALL)


# A timeout's message names how long the attempt took (1.110.2 http_handler.py:654, 1.74.15
# openai.py:432): the machine's pace, not the proxy's.
_TAKEN = re.compile(r"time taken=[0-9.]+ seconds")


# A key's rate-limit 429 says when its window resets (1.110.2 parallel_request_limiter_v3.py:
# 3304-3307, now + 60 s) and 1.74's retry-after counts the seconds to the clock's next minute
# (parallel_request_limiter.py:111-121): the wall clock, not the proxy.
_RESETS = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC")
_TO_NEXT_MINUTE = re.compile(r"\d{1,2}\.\d+")
# Tracebacks in error bodies (1.80's bridge) name the installation's folder
_SITE_PACKAGES = re.compile(r"/[^\s\"'\\]*?/site-packages/")


def scrub(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        prefix = match.group("prefix") or match.group("prefix2") or match.group("prefix3")
        if prefix:
            return prefix + "<id>"
        return "<uuid>" if match.group("uuid") else "<model-id>"

    text = _RESETS.sub("<reset time>", _TAKEN.sub("time taken=<seconds> seconds", text))
    text = _SITE_PACKAGES.sub("<site-packages>/", text)
    return _IDS.sub(one, _COOLDOWN_LIST.sub("cooldown_list=[<deployments cooling down>]", text))


# 1.110.2 fills a choice's provider_specific_fields from a set difference
# (convert_dict_to_response.py:895, `choice.keys() - _CHOICES_FIELDS`): their order follows
# the strings' hashes, which Python randomizes per process, so it is not compared.
UNORDERED_KEYS = {"provider_specific_fields"}


def _value(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        items = sorted(value.items()) if key in UNORDERED_KEYS else value.items()
        return {k: _value(v, k) for k, v in items}
    if isinstance(value, list):
        return [_value(v) for v in value]
    if key in TIME_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
        return "<time>"
    if isinstance(value, str):
        return scrub(value)
    return value


def _payload(text: str) -> Any:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"text": scrub(text)}
    spaced = orjson.dumps(data).decode() != text
    return {"spaced" if spaced else "json": _value(data)}


def events(body: str) -> list[Any]:
    out: list[Any] = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        event: list[Any] = []
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data" and value != "[DONE]":
                event.append(_payload(value))
            else:
                event.append(scrub(line))
        out.append(event)
    return out


def normalized(answer: dict[str, Any]) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    for name, value in answer["headers"]:
        name = name.lower()
        if name in IGNORED_HEADERS:
            continue
        if name == "retry-after" and _TO_NEXT_MINUTE.fullmatch(value):
            value = "<seconds to the next minute>"
        headers[name] = "<timing>" if name in TIMING_HEADERS else scrub(value)
    content_type = headers.get("content-type", "")
    body: Any
    if content_type.startswith("text/event-stream"):
        body = {"events": events(answer["body"])}
    else:
        body = _payload(answer["body"])
    out = {
        "status": answer["status"],
        "headers": headers,
        "body": body,
        "complete": answer.get("complete", True),
    }
    if answer.get("closed"):  # the server closed the connection after this answer
        out["closed"] = True
    return out


def _compare(real: Any, fake: Any, path: str, out: list[str]) -> None:
    if isinstance(real, dict) and isinstance(fake, dict):
        for key in real:
            if key not in fake:
                out.append(f"{path}.{key}: only in the real proxy ({_short(real[key])})")
        for key in fake:
            if key not in real:
                out.append(f"{path}.{key}: only in the fake ({_short(fake[key])})")
        for key in real:
            if key in fake:
                _compare(real[key], fake[key], f"{path}.{key}", out)
        shared = [k for k in real if k in fake]
        if not path.endswith(".headers") and shared != [k for k in fake if k in real]:
            out.append(f"{path}: key order real {shared} != fake {[k for k in fake if k in real]}")
    elif isinstance(real, list) and isinstance(fake, list):
        if len(real) != len(fake):
            out.append(f"{path}: {len(real)} items in the real proxy, {len(fake)} in the fake")
        for index, (a, b) in enumerate(zip(real, fake, strict=False)):
            _compare(a, b, f"{path}[{index}]", out)
    elif real != fake:
        out.append(f"{path}: real {_short(real)} != fake {_short(fake)}")


def _short(value: Any, limit: int = 160) -> str:
    text = orjson.dumps(value).decode() if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def differences(real: dict[str, list[Any]], fake: dict[str, list[Any]]) -> dict[str, list[str]]:
    """Per unit, every difference by JSON path (``unit[i].body...``); units that agree are
    absent."""
    found: dict[str, list[str]] = {}
    for name, answers in real.items():
        out: list[str] = []
        mine = fake.get(name)
        if mine is None:
            out.append(f"{name}: not sent to the fake")
        else:
            for index, (a, b) in enumerate(zip(answers, mine, strict=False)):
                _compare(normalized(a), normalized(b), f"{name}[{index}]", out)
            if len(answers) != len(mine):
                out.append(f"{name}: {len(answers)} answers real, {len(mine)} fake")
        if out:
            found[name] = out
    return found
