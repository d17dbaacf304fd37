"""Differences found and not fixed yet: listed line by line next to the recording
(``<recording>.known.txt``), never normalized away. A run prints them marked ``[known]``;
the test suite fails on any difference not listed and on any listed one that is gone."""

from __future__ import annotations

from pathlib import Path


def path_for(recording: Path) -> Path:
    return recording.with_suffix(".known.txt")


def load(recording: Path) -> list[str]:
    path = path_for(recording)
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")]


# Why differences stand, by a part of their line (printed above the first in .known.txt), and
# the recordings whose upstream they concern (parts of the recording's name): a line of
# another recording that holds the same part stands for another reason.
_OPENAI_UPSTREAMS = ("+sglang", "+ollama", "+llamacpp")  # served as openai/ deployments
REASONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "router[": (
        "1.110.2's router (its Rust core, not read) answers a group of one that its own "
        "failure has just cooled down, with retries left, with the 'No deployments available' 429 "
        "(run policies: InternalServerErrorAllowedFails 0); the fake gives the 500 that cooled it, "
        "as 1.110.2 does for a group of two (run failover, 'pair again').",
        ("router-",),
    ),
    "extra.messages": (
        "/v1/messages in front of an openai/ deployment is not imitated yet: "
        "1.110.2 sends it to the upstream's /v1/responses (a 404 from SGLang and Ollama, an "
        "answer converted from llama.cpp's), where the fake converts it to a chat call as for "
        "hosted_vllm/.",
        _OPENAI_UPSTREAMS,
    ),
    "responses": (
        "/v1/responses forwarded to a server that serves it (Ollama, llama.cpp): the "
        "proxy's rewriting of the answer (model, usage details, item keys; 1.74 a 500 when the "
        "answer fails its validation) and a 404 error body of Ollama's are not imitated yet.",
        ("+ollama", "+llamacpp"),
    ),
    "extra.completions": (
        "/v1/completions to an upstream without the route (the fake SGLang "
        "serves none): the headers of the wrapped 404 and 1.74's streamed error frame are not "
        "imitated yet.",
        ("+sglang",),
    ),
}


_INTRO = [
    "# Differences between the fake and the real proxy recorded beside this file that are",
    "# not fixed yet (python -m reference.litellm_conformance --write-known).",
]


def notes(recording: Path) -> list[str]:
    """The comment lines a maintainer wrote into the file (what a release's profile does not
    imitate yet): everything but the written intro and REASONS."""
    path = path_for(recording)
    if not path.exists():
        return []
    written = {*_INTRO, *(f"# {reason}" for reason, _ in REASONS.values())}
    return [
        line
        for line in path.read_text().splitlines()
        if line.startswith("#") and line not in written
    ]


def write(recording: Path, lines: list[str]) -> None:
    """The list, under the intro, the maintainer's notes (kept) and each line's reason."""
    out = [*_INTRO, *notes(recording)]
    said: set[str] = set()
    reasons = {
        prefix: reason
        for prefix, (reason, upstreams) in REASONS.items()
        if any(upstream in recording.name for upstream in upstreams)
    }
    for line in lines:
        for prefix, reason in reasons.items():
            if prefix in line and prefix not in said:
                said.add(prefix)
                out.append(f"# {reason}")
        out.append(line)
    path_for(recording).write_text("".join(f"{line}\n" for line in out))


def flat(found: dict[str, list[str]]) -> list[str]:
    return [line for lines in found.values() for line in lines]


def exchanges_with_differences(found: dict[str, list[str]]) -> set[tuple[str, int]]:
    out = set()
    for unit, lines in found.items():
        for line in lines:
            rest = line.removeprefix(unit)
            index = rest[1 : rest.index("]")] if rest.startswith("[") else "-1"
            out.add((unit, int(index)))
    return out
