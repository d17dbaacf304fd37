"""A proposed profile from what the harness found: the knobs whose value follows mechanically
from an observed difference between a release's own app and the fake of the nearest profile,
each with its evidence, and every other difference listed as unexplained, for a maintainer to
review (and cite from the release's code) before it becomes a profile."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import yaml

from fakes.profiles import ErrorShape, Profile
from fakes.profiles.versions import contains, parse_range, parse_release
from fakes.record import Interaction

# max_output_tokens by default is max_model_len minus the prompt in the model's own tokenizer
MODEL_DEPENDENT = re.compile(r"\.max_output_tokens: real \d+ vs fake \d+$")


@dataclass(frozen=True)
class Exchange:
    """One request as both sides answered it, and the differences the harness reported."""

    case: str  # the setup's name
    real: Interaction
    fake: Interaction
    lines: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.case} {self.real.method} {self.real.path}"


@dataclass(frozen=True)
class Evidence:
    exchange: str
    line: str


@dataclass
class Proposal:
    release: str
    parent: Profile
    identical: int
    total: int
    knobs: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    conflicts: dict[str, list[str]] = field(default_factory=dict)  # knob: what disagreed
    model_dependent: list[Evidence] = field(default_factory=list)
    unexplained: list[Evidence] = field(default_factory=list)

    def add(self, knob: str, value: Any, evidence: Evidence) -> None:
        if knob in self.knobs and _subsequence(value, self.knobs[knob]):
            value = self.knobs[knob]  # keys another knob drops here: the longer order holds
        elif knob in self.knobs and _subsequence(self.knobs[knob], value):
            self.knobs[knob] = value
        if knob in self.conflicts:
            self.conflicts[knob].append(f"{_scalar(value)} ({evidence.exchange})")
            return
        if knob in self.knobs and self.knobs[knob] != value:
            self.conflicts[knob] = [
                f"{_scalar(self.knobs.pop(knob))} ({self.evidence.pop(knob)[0].exchange})",
                f"{_scalar(value)} ({evidence.exchange})",
            ]
            return
        self.knobs[knob] = value
        self.evidence.setdefault(knob, []).append(evidence)


def _subsequence(short: Any, long: Any) -> bool:
    """A key list seen in full elsewhere (e.g. tool_calls only on a tool answer)."""
    if not isinstance(short, list) or not isinstance(long, list):
        return False
    rest = iter(long)
    return all(any(key == other for other in rest) for key in short)


def _scalar(value: Any) -> str:
    return orjson.dumps(value).decode()


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _streamed(item: Interaction) -> bool:
    return item.response_headers.get("content-type", "").startswith("text/event-stream")


# ---- rules: each reads one exchange and yields (knob, value, the lines it explains) ----------

Rule = Callable[[Exchange, Profile], Iterator[tuple[str, Any, list[str]]]]

_ID_LINE = re.compile(
    r'\.(id|call_id|item_id|response_id): real "([^"<]*)<hex(\d+)>" vs fake "\2<hex(\d+)>"$'
)


def _id_length(exchange: Exchange, parent: Profile) -> Iterator[tuple[str, Any, list[str]]]:
    """random_uuid()'s length: 16 or 32 hex (a uuid4 string is 36 characters: another knob)."""
    by_length: dict[int, list[str]] = {}
    for line in exchange.lines:
        match = _ID_LINE.search(line)
        if match and int(match.group(3)) in (16, 32):
            by_length.setdefault(int(match.group(3)), []).append(line)
    for length, lines in by_length.items():
        if length != parent.knobs.id_hex_length:
            yield "id_hex_length", length, lines


_FINGERPRINT = re.compile(r'\.system_fingerprint: real ("vllm-[^"]*"|null) vs fake ("[^"]*"|null)$')
_FINGERPRINT_KEY = re.compile(r"\.system_fingerprint: (real|the fake) has it")


def _system_fingerprint(
    exchange: Exchange, parent: Profile
) -> Iterator[tuple[str, Any, list[str]]]:
    lines = [x for x in exchange.lines if _FINGERPRINT.search(x) or _FINGERPRINT_KEY.search(x)]
    if not lines or any(x.startswith("$: real sent") for x in exchange.lines):
        return  # events shifted by another difference: the finish chunks do not line up
    real_has = any('real "vllm-' in x or "real has it" in x for x in lines)
    if real_has != parent.knobs.system_fingerprint:
        yield "system_fingerprint", real_has, lines


# (path, JSON location of an object in a plain 200 body, the knob listing its keys in order)
_KEYED: tuple[tuple[str, tuple[str | int, ...], str], ...] = (
    ("/v1/chat/completions", (), "chat_response_keys"),
    ("/v1/chat/completions", ("choices", 0), "chat_choice_keys"),
    ("/v1/chat/completions", ("choices", 0, "message"), "message_keys"),
    ("/v1/chat/completions", ("usage",), "usage_keys"),
    ("/v1/completions", (), "completion_response_keys"),
    ("/v1/completions", ("choices", 0), "completion_choice_keys"),
    ("/v1/completions", ("usage",), "usage_keys"),
    ("/v1/responses", (), "responses_keys"),
    ("/v1/responses", ("tools", 0), "responses_tool_keys"),
    ("/v1/responses", ("usage", "input_tokens_details"), "responses_usage_input_keys"),
    ("/v1/responses", ("usage", "output_tokens_details"), "responses_usage_output_keys"),
    ("/v1/models", ("data", 0), "model_card_keys"),
)


def _at(value: Any, where: tuple[str | int, ...]) -> Any:
    for step in where:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and len(value) > step else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


def _json_path(where: tuple[str | int, ...]) -> str:
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in where)


def _key_lines(lines: tuple[str, ...], path: str) -> list[str]:
    """The lines about which keys the object at ``path`` has, and in which order."""
    own = re.compile(
        re.escape(path) + r"(\.[A-Za-z_][A-Za-z0-9_]*: (real|the fake) has it|: key order )"
    )
    return [x for x in lines if own.match(x)]


def _keys(exchange: Exchange, parent: Profile) -> Iterator[tuple[str, Any, list[str]]]:
    real = exchange.real
    if real.status != 200 or exchange.fake.status != 200 or _streamed(real):
        return
    body = _json(real.body)
    for path, where, knob in _KEYED:
        if real.path != path:
            continue
        value = _at(body, where)
        lines = _key_lines(exchange.lines, _json_path(where))
        if isinstance(value, dict) and lines:
            yield knob, list(value), lines


def _error(item: Interaction) -> dict[str, Any] | None:
    body = _json(item.body) if item.status >= 400 else None
    if not isinstance(body, dict):
        return None
    nested = body.get("error")
    return nested if isinstance(nested, dict) else body


def _error_shape(exchange: Exchange, parent: Profile) -> Iterator[tuple[str, Any, list[str]]]:
    body = _json(exchange.real.body) if exchange.real.status >= 400 else None
    if not isinstance(body, dict):
        return
    if isinstance(body.get("error"), dict):
        shape = ErrorShape.NESTED
    elif body.get("object") == "error":
        shape = ErrorShape.FLAT
    else:
        return
    if shape != parent.knobs.error_shape:
        lines = [x for x in exchange.lines if x.startswith("$.")]
        yield "error_shape", shape.value, lines


def _not_found(exchange: Exchange, parent: Profile) -> Iterator[tuple[str, Any, list[str]]]:
    real = _error(exchange.real)
    if exchange.real.status != 404 or real is None:
        return
    message = str(real.get("message", ""))
    if "does not exist" not in message:
        return
    param_lines = [x for x in exchange.lines if re.search(r"\.param: real", x)]
    has_param = real.get("param") == "model"
    if param_lines and has_param != parent.knobs.not_found_param:
        yield "not_found_param", has_param, param_lines
    message_lines = [x for x in exchange.lines if re.search(r"\.message: real", x)]
    lists = "Valid aliases" in message
    if message_lines and lists != parent.knobs.not_found_lists_models:
        yield "not_found_lists_models", lists, message_lines


def _validation_param(exchange: Exchange, parent: Profile) -> Iterator[tuple[str, Any, list[str]]]:
    real = _error(exchange.real)
    if exchange.real.status != 400 or real is None:
        return
    if "validation error" not in str(real.get("message", "")).lower():
        return
    lines = [x for x in exchange.lines if re.search(r"\.param: real", x)]
    dotted = isinstance(real.get("param"), str) and str(real["param"]).startswith("body")
    if lines and dotted != parent.knobs.validation_param_loc:
        yield "validation_param_loc", dotted, lines


def _responses_route(exchange: Exchange, parent: Profile) -> Iterator[tuple[str, Any, list[str]]]:
    real, fake = exchange.real, exchange.fake
    if real.path != "/v1/responses" or real.status == fake.status:
        return
    lines = list(exchange.lines)
    if real.status == 404 and b'"Not Found"' in real.body:
        yield "responses", "absent", lines
    elif _streamed(real) and real.complete and not fake.complete:
        yield "responses", "streaming", lines


def _top_logprobs(exchange: Exchange, parent: Profile) -> Iterator[tuple[str, Any, list[str]]]:
    if exchange.real.path != "/v1/responses":
        return
    lines = [x for x in exchange.lines if re.search(r"\.top_logprobs: real (null|0) vs fake", x)]
    if lines:
        yield "responses_top_logprobs_null", "real null" in lines[0], lines


RULES: tuple[Rule, ...] = (
    _id_length,
    _system_fingerprint,
    _keys,
    _error_shape,
    _not_found,
    _validation_param,
    _responses_route,
    _top_logprobs,
)


def propose(
    release: str, parent: Profile, exchanges: list[Exchange], identical: int | None = None
) -> Proposal:
    """The knobs the differences imply, each with its evidence; the rest unexplained."""
    same = sum(not e.lines for e in exchanges) if identical is None else identical
    proposal = Proposal(release, parent, same, len(exchanges))
    for exchange in exchanges:
        explained: set[str] = set()
        for rule in RULES:
            for knob, value, lines in rule(exchange, parent):
                proposal.add(knob, value, Evidence(exchange.where, lines[0] if lines else ""))
                explained.update(lines)
        for line in exchange.lines:
            if MODEL_DEPENDENT.search(line):
                proposal.model_dependent.append(Evidence(exchange.where, line))
            elif line not in explained:
                proposal.unexplained.append(Evidence(exchange.where, line))
    return proposal


def _name(release: str, parent: Profile) -> str:
    major, minor = [*release.split("."), "0"][:2]
    name = f"vllm-{major}.{minor}"
    return f"vllm-{release}" if name == parent.name else name


def _versions(release: str, parent: Profile) -> str:
    """From the release to the parent's upper bound (when the parent's range holds it)."""
    upper = [c.strip() for c in parent.versions.split(",") if c.strip().startswith("<")]
    if not contains(parse_range(parent.versions), parse_release(release)):
        upper = []
    return ",".join([f">={release}", *upper])


def _clip(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render(proposal: Proposal) -> str:
    """The proposal as a profile YAML (loadable with ``--profile FILE``), evidence in comments
    and ``sources``."""
    parent = proposal.parent
    sources = {
        knob: (
            f"PROPOSED, cite the {proposal.release} file:line; the reference harness showed "
            + "; ".join(f"{e.exchange}: {_clip(e.line)}" for e in found[:3])
            + (f" (and {len(found) - 3} more)" if len(found) > 3 else "")
        )
        for knob, found in proposal.evidence.items()
    }
    document: dict[str, Any] = {
        "name": _name(proposal.release, parent),
        "extends": parent.name,
        "versions": _versions(proposal.release, parent),
        "reference": proposal.release,
        "summary": f"PROPOSED from vLLM {proposal.release}'s own app: review before use",
        "sources": sources,
    }
    head = [
        f"# PROPOSED by the vLLM reference harness: vLLM {proposal.release}'s own app against",
        f"# the fake of {parent.name} (reference {parent.reference}):"
        f" {proposal.identical}/{proposal.total} exchanges identical.",
        "# Review each knob against the release's code and replace its source with the",
        f"# release's file:line; narrow {parent.name}'s versions if this becomes a profile.",
        "",
    ]
    tail: list[str] = []
    if proposal.conflicts:
        tail += ["", "# Knobs the exchanges disagree on (not proposed):"]
        tail += [f"#   {k}: " + " vs ".join(v) for k, v in proposal.conflicts.items()]
    if proposal.unexplained:
        tail += ["", "# Unexplained differences (no knob inferred; the fake may need code):"]
        tail += [f"#   {e.exchange}: {_clip(e.line)}" for e in proposal.unexplained]
    if proposal.model_dependent:
        tail += [
            "",
            f"# Model-dependent, not a knob ({len(proposal.model_dependent)} lines):"
            " /v1/responses max_output_tokens by default is max_model_len minus the prompt's"
            " length in the model's own tokenizer.",
        ]
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    knobs = yaml.safe_dump(
        {"knobs": proposal.knobs or {}}, sort_keys=False, width=100, default_flow_style=None
    )
    body += knobs if proposal.knobs else "knobs: {}\n"
    return "\n".join(head) + body + "\n".join(tail) + ("\n" if tail else "")
