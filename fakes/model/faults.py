"""Injected failures: chosen per request by count, seeded chance, or a request header."""

from __future__ import annotations

import random
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

FAULT_HEADER = "x-fake-fault"


class FaultKind(StrEnum):
    HTTP_ERROR = "http_error"  # an error status with the backend's error body, before any byte
    ERROR_FRAME = "error_frame"  # stream: an in-band error event after N chunks, then [DONE]
    CUT = "cut"  # stream: the connection closes after N chunks, no [DONE]
    STALL = "stall"  # stream: N chunks, then silence for `seconds`, then the rest
    DELAY = "delay"  # `seconds` of extra latency before the response starts


class Fault(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # first use

    kind: FaultKind
    status: int = Field(default=500, ge=400, le=599)
    message: str = "Injected fault"
    after_chunks: int = Field(default=0, ge=0)
    seconds: float = Field(default=30.0, ge=0, le=3600)


class FaultRule(BaseModel):
    """When a fault fires: on the ``nth`` matching request (every ``nth`` if ``repeat``),
    with seeded ``probability``, or on every request; at most ``times`` times."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    fault: Fault
    nth: int | None = Field(default=None, ge=1)
    repeat: bool = False
    probability: float | None = Field(default=None, ge=0, le=1)
    seed: int = 0
    times: int | None = Field(default=None, ge=1)
    path: str | None = None  # only requests to this path count

    @model_validator(mode="after")
    def _one_trigger(self) -> FaultRule:
        if self.nth is not None and self.probability is not None:
            raise ValueError("give either nth or probability, not both")
        return self


class FaultHeaderError(ValueError):
    """An ``x-fake-fault`` header that does not parse; the message says how to fix it."""


class FaultPlan:
    """Fault rules plus their counters and random streams, owned by one fake."""

    def __init__(self, rules: tuple[FaultRule, ...] = ()) -> None:
        self.set(rules)

    def set(self, rules: tuple[FaultRule, ...]) -> None:
        self.rules = rules
        self._seen = [0] * len(rules)
        self._fired = [0] * len(rules)
        self._random = [random.Random(rule.seed) for rule in rules]

    def reset(self) -> None:
        self.set(self.rules)

    @property
    def fired(self) -> tuple[int, ...]:
        """How many times each rule has fired so far."""
        return tuple(self._fired)

    def pick(self, path: str, header: str | None) -> Fault | None:
        if header:
            return parse_fault_header(header)
        for position, rule in enumerate(self.rules):
            if rule.path is not None and rule.path != path:
                continue
            self._seen[position] += 1
            if rule.times is not None and self._fired[position] >= rule.times:
                continue
            if self._fires(position, rule):
                self._fired[position] += 1
                return rule.fault
        return None

    def _fires(self, position: int, rule: FaultRule) -> bool:
        seen = self._seen[position]
        if rule.nth is not None:
            return seen % rule.nth == 0 if rule.repeat else seen == rule.nth
        if rule.probability is not None:
            return self._random[position].random() < rule.probability
        return True


def parse_fault_header(value: str) -> Fault:
    """Parse ``kind[; name=value]...``, e.g. ``error_frame; after_chunks=3``."""
    kind, *params = (part.strip() for part in value.split(";"))
    fields: dict[str, object] = {"kind": kind}
    for param in params:
        if not param:
            continue
        name, sep, raw = param.partition("=")
        if not sep:
            raise FaultHeaderError(f"{FAULT_HEADER}: expected name=value, got {param!r}")
        fields[name.strip()] = raw.strip()
    try:
        return Fault.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()
        )
        kinds = ", ".join(k.value for k in FaultKind)
        raise FaultHeaderError(
            f"{FAULT_HEADER}: {problems} (kinds: {kinds}; params: status, message, "
            "after_chunks, seconds)"
        ) from None
