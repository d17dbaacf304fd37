"""The probe's result: best match, differences with evidence, as rich text, JSON or a
profile YAML that reproduces what was seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from fakes.probe._match import Match, separating_knobs, tied
from fakes.probe._observe import Observed
from fakes.probe._probes import Run


@dataclass
class Layer:
    """One backend's verdict: vLLM, or the LiteLLM proxy in front of it."""

    backend: str
    observed: Observed
    ranking: list[Match]
    note: str = ""

    @property
    def best(self) -> Match:
        return self.ranking[0]

    @property
    def tied(self) -> list[Match]:
        return tied(self.ranking)

    def ok(self, expect: str | None = None) -> bool:
        names = [m.profile.name for m in self.tied]
        if expect is not None and expect not in names:
            return False
        return not self.best.differences


@dataclass
class Report:
    run: Run
    layers: list[Layer] = field(default_factory=list)

    @property
    def primary(self) -> Layer:
        return self.layers[0]

    def layer(self, backend: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.backend == backend), None)


def _value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_value(v) for v in value]
    return value


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if value is None:
        return "null"
    return str(value)


def layer_json(layer: Layer) -> dict[str, Any]:
    best = layer.best
    return {
        "backend": layer.backend,
        "best": best.profile.name,
        "versions": best.profile.versions,
        "score": round(best.score, 4),
        "matched": best.matched,
        "compared": best.compared,
        "tied": [m.profile.name for m in layer.tied],
        "tie_knobs": separating_knobs(layer.tied),
        "note": layer.note,
        "differences": [
            {
                "knob": d.knob,
                "expected": _value(d.expected),
                "observed": _value(d.observed),
                "evidence": d.evidence,
                "expressible": d.expressible,
                "note": d.note,
            }
            for d in best.differences
        ],
        "ranking": [
            {
                "profile": m.profile.name,
                "score": round(m.score, 4),
                "differences": len(m.differences),
            }
            for m in layer.ranking
        ],
        "observed": {
            k: {"value": _value(o.value), "evidence": o.evidence}
            for k, o in layer.observed.knobs.items()
        },
        "not_observed": dict(layer.observed.unobserved),
        "info": {
            k: {"value": _value(o.value), "evidence": o.evidence}
            for k, o in layer.observed.info.items()
        },
    }


def to_json(report: Report) -> dict[str, Any]:
    run = report.run
    return {
        "format": "llm-fakes-probe",
        "version": 1,
        "url": run.base_url,
        "model": run.model,
        "requests": run.requests,
        "retry_waits": run.waits,
        "backend": report.primary.backend,
        "layers": [layer_json(layer) for layer in report.layers],
    }


class _Dumper(yaml.SafeDumper):
    """Lists of scalars on one line, as the built-in profiles write them."""


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, dict | list) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(list, _list)


def profile_yaml(layer: Layer, url: str) -> str:
    """A profile that ``extends`` the best match and overrides exactly the differing knobs."""
    best = layer.best
    written = [d for d in best.differences if d.expressible]
    data: dict[str, Any] = {"extends": best.profile.name}
    if written:
        data["knobs"] = {d.knob: _value(d.observed) for d in written}
        data["sources"] = {d.knob: f"probe: {d.evidence}" for d in written}
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    head = [f"# Written by llm-fakes probe {url} at {stamp}."]
    head.append(
        f"# Best match {best.profile.name} ({best.profile.versions}): "
        f"{best.matched}/{best.compared} observed knobs."
    )
    others = [m.profile.name for m in layer.tied[1:]]
    if others:
        head.append(f"# Tied with {', '.join(others)}: extends the oldest.")
    skipped = [d for d in best.differences if not d.expressible]
    for d in skipped:
        head.append(f"# Not expressible as a knob: {d.knob} observed {_show(d.observed)}")
    if layer.backend in ("vllm", "sglang", "llamacpp", "ollama"):
        head.append(f"# Serve it: llm-fakes serve {layer.backend} --profile THIS.yaml")
    else:
        head.append("# Serve it: llm-fakes serve litellm --config config.yaml --profile THIS.yaml")
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(head) + "\n" + body


def _short(text: str, limit: int = 100) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render(report: Report, console: Console) -> None:
    run = report.run
    console.print(
        Text.assemble(
            ("probe ", "bold"),
            run.base_url,
            f"  model {run.model!r}  {run.requests} requests",
            (f"  waited {sum(run.waits):g} s on 429" if run.waits else ""),
        )
    )
    for layer in report.layers:
        _render_layer(layer, console)


def unobserved_lines(unobserved: dict[str, str]) -> list[str]:
    """One line per reason: knobs that share one (25 re-framed by a proxy) share a line."""
    by_reason: dict[str, list[str]] = {}
    for knob, why in unobserved.items():
        by_reason.setdefault(why, []).append(knob)
    return [
        f"{knobs[0]}: {why}" if len(knobs) == 1 else f"{len(knobs)} knobs {why}: {', '.join(knobs)}"
        for why, knobs in by_reason.items()
    ]


def _render_layer(layer: Layer, console: Console) -> None:
    best = layer.best
    names = [m.profile.name for m in layer.tied]
    style = "green" if not best.differences else "yellow"
    shown = best.profile.name if len(names) == 1 else f"{names[0]} ... {names[-1]}"
    versions = best.profile.versions if len(names) == 1 else f"{len(names)} profiles tie"
    title = Text.assemble(
        (f"{layer.backend}: ", "bold"),
        (shown, f"bold {style}"),
        f" ({versions})  score {best.score:.0%} ({best.matched}/{best.compared} observed knobs)",
    )
    console.print(title)
    if len(names) > 1:
        knobs = separating_knobs(layer.tied)
        listed = ", ".join(knobs[:6]) + (f" and {len(knobs) - 6} more" if len(knobs) > 6 else "")
        console.print(
            f"  tied: {', '.join(names)}; they differ only in {listed}, which the probe "
            "could not observe",
            highlight=False,
        )
    if layer.note:
        console.print(f"  {layer.note}")
    runner_up = [m for m in layer.ranking if m.profile.name not in names][:3]
    if runner_up:
        console.print(
            "  next: " + ", ".join(f"{m.profile.name} {m.score:.0%}" for m in runner_up),
            style="dim",
        )
    if best.differences:
        table = Table(title=f"{len(best.differences)} knob(s) differ from {best.profile.name}")
        table.add_column("knob", style="bold")
        table.add_column("expected")
        table.add_column("observed")
        table.add_column("evidence", overflow="fold")
        for d in best.differences:
            observed = _show(d.observed) + ("" if d.expressible else " (no knob)")
            table.add_row(d.knob, escape(_show(d.expected)), escape(observed), escape(d.evidence))
        console.print(table)
    else:
        console.print("  no differences", style="green")
    unobserved = layer.observed.unobserved
    if unobserved:
        source = best.profile.name
        if len(names) > 1:  # the tied profiles differ exactly there: say which one is used
            source = f"{best.profile.name}, the first of the {len(names)} tied profiles"
        console.print(f"  not observed ({len(unobserved)}, inherited from {source}):")
        for line in unobserved_lines(unobserved):
            console.print(f"    {line}", style="dim", highlight=False, markup=False)
    info = layer.observed.info
    if info:
        console.print("  seen, not compared:")
        for key, item in info.items():
            console.print(
                f"    {key}: {_show(item.value)}  ({_short(item.evidence)})",
                style="dim",
                highlight=False,
                markup=False,
            )
