"""What the console changed, as the profile YAML and command line that reproduce it."""

from __future__ import annotations

import shlex
from enum import Enum
from typing import Any

import orjson
from pydantic import BaseModel

from fakes.profiles import BaseProfile, builtin

PROFILE_FILE = "console-profile.yaml"

# The quirks the console offers first, per backend; every other knob is under "all knobs".
HIGHLIGHTS: dict[str, tuple[str, ...]] = {
    "vllm": (
        "responses",
        "stream_usage",
        "stream_options_default_usage",
        "null_usage_on_chunks",
        "continuous_usage",
        "error_shape",
        "reasoning_keys",
        "empty_tool_calls",
        "unknown_fields",
    ),
    "litellm": (
        "responses",
        "usage_chunk",
        "usage_pre_finish_delta",
        "empty_role_chunk",
        "stream_reasoning_key",
        "mid_stream_error",
        "upstream_cut",
        "keep_null_fields",
        "response_model",
    ),
    "sglang": (
        "stream_finish",
        "continuous_usage_stats",
        "empty_content",
        "message_tool_calls_null",
        "tool_call_id",
        "validation_status",
    ),
    "ollama": (
        "stream_usage",
        "stream_tools",
        "tool_call_index",
        "finish_chunk",
        "responses",
        "unknown_model",
    ),
    "llamacpp": (
        "timings",
        "stream_usage",
        "stream_error",
        "tools",
        "reasoning_stream",
        "system_fingerprint",
    ),
}
# Presets for knobs that are not a plain choice.
PRESETS: dict[str, list[Any]] = {
    "reasoning_keys": [["reasoning"], ["reasoning_content"], ["reasoning", "reasoning_content"]],
    "stream_reasoning_key": ["reasoning_content", "reasoning", None],
}


def knob_kinds(knobs: BaseModel) -> dict[str, dict[str, Any]]:
    """For each knob: ``{"choices": [...]}`` (enums, booleans, presets) or ``{"json": True}``."""
    kinds: dict[str, dict[str, Any]] = {}
    for name, info in type(knobs).model_fields.items():
        annotation = info.annotation
        if name in PRESETS:
            kinds[name] = {"choices": PRESETS[name]}
        elif isinstance(annotation, type) and issubclass(annotation, Enum):
            kinds[name] = {"choices": [member.value for member in annotation]}
        elif annotation is bool:
            kinds[name] = {"choices": [True, False]}
        else:
            kinds[name] = {"json": True}
    return kinds


def profile_yaml(base: BaseProfile, overrides: dict[str, Any]) -> str:
    import yaml  # on first use (start-up time is a benchmark row)

    document: dict[str, Any] = {"extends": base.name}
    if overrides:
        document["knobs"] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in overrides.items()
        }
    text = yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
    return f"# {PROFILE_FILE}\n{text}"


def command_line(
    backend: str,
    version: str,
    overrides: dict[str, Any],
    base: BaseProfile,
    timing: dict[str, Any] | None,
    faults: list[dict[str, Any]],
    url: str,
    *,
    stack: bool = False,
) -> str:
    """The command that starts this fake as the page configured it. In a stack (``serve
    stack``, which takes no profile file or config), the stack's own command and then the
    control-plane calls that apply the changes."""
    # llama.cpp names its builds bNNNN; its profiles' ranges are plain build numbers
    release = version.removeprefix("b") if backend == "llamacpp" else version
    resolved = builtin(backend).for_release(release).name
    switched = base.name != resolved  # a profile other than the release's own was picked
    lines: list[str] = []
    if stack:
        lines.append(shlex.join(["llm-fakes", "serve", "stack", f"--{backend}-version", version]))
        if switched:
            lines.append(
                _curl("PUT", f"{url}/_fake/profile", {"name": base.name, "knobs": overrides})
            )
        elif overrides:
            lines.append(_curl("PATCH", f"{url}/_fake/profile", overrides))
        if timing and any(timing.get(n) for n in ("ttft", "itl", "jitter")):
            lines.append(_curl("PUT", f"{url}/_fake/timing", timing))
    else:
        args = ["llm-fakes", "serve", backend]
        if backend == "litellm":
            args += ["--config", "config.yaml"]
        args += ["--version", version]
        if overrides:
            args += ["--profile", PROFILE_FILE]
        elif switched:
            args += ["--profile", base.name]
        for name in ("ttft", "itl", "jitter", "seed"):
            if timing and timing.get(name):
                args += [f"--{name}", str(timing[name])]
        lines.append(shlex.join(args))
    if faults:
        lines.append(_curl("PUT", f"{url}/_fake/faults", faults))
    return "\n".join(lines)


def _curl(method: str, url: str, body: Any) -> str:
    payload = orjson.dumps(body).decode()
    return f"curl -X {method} {url} -H 'content-type: application/json' -d {shlex.quote(payload)}"
