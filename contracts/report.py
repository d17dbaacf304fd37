"""Write a matrix as matrix.json, matrix.md and a self-contained matrix.html."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contracts.matrix import CRASH, FAIL, NO_GOLDEN, NOT_APPLICABLE, PASS, Cell, Matrix

SYMBOL = {PASS: "✅", FAIL: "❌", CRASH: "💥", NOT_APPLICABLE: "·", NO_GOLDEN: "❔"}
COLOUR = {
    PASS: "#2e7d32",
    FAIL: "#c62828",
    CRASH: "#6a1b9a",
    NOT_APPLICABLE: "#e0e0e0",
    NO_GOLDEN: "#f9a825",
}


def to_json(matrix: Matrix) -> dict[str, Any]:
    return {
        "format": 1,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(matrix.seconds, 3),
        "drivers": matrix.drivers,
        "backends": matrix.backends,
        "scenarios": [s.id for s in matrix.scenarios],
        "summary": matrix.summary(),
        "cells": [cell.to_json() for cell in matrix.cells],
    }


def _grid(matrix: Matrix, driver: str) -> tuple[list[str], list[tuple[str, list[Cell | None]]]]:
    used = [
        b
        for b in matrix.backends
        if any(c.backend == b and c.driver == driver for c in matrix.cells)
    ]
    rows = []
    for scenario in matrix.scenarios:
        row = [matrix.cell(driver, backend, scenario.id) for backend in used]
        if any(row):
            rows.append((scenario.id, row))
    return used, rows


def to_markdown(matrix: Matrix) -> str:
    lines = ["# Compatibility matrix", ""]
    legend = ", ".join(f"{symbol} {name}" for name, symbol in SYMBOL.items())
    lines += [f"Legend: {legend}. Empty: the scenario does not run on that backend.", ""]
    for driver, counts in matrix.summary().items():
        figures = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        lines.append(f"- **{driver}**: {figures}")
    for driver in matrix.drivers:
        backends, rows = _grid(matrix, driver)
        lines += ["", f"## {driver}", ""]
        lines.append("| scenario | " + " | ".join(backends) + " |")
        lines.append("|---" * (len(backends) + 1) + "|")
        for scenario, row in rows:
            marks = [SYMBOL[c.outcome] if c else "" for c in row]
            lines.append(f"| {scenario} | " + " | ".join(marks) + " |")
    failing = [c for c in matrix.cells if c.outcome in (FAIL, CRASH)]
    if failing:
        lines += ["", "## Failures", ""]
        for cell in failing:
            lines += [f"### {cell.driver} / {cell.backend} / {cell.scenario}: {cell.outcome}", ""]
            lines += ["```diff" if cell.outcome == FAIL else "```", cell.detail, "```", ""]
    return "\n".join(lines) + "\n"


def _anchor(cell: Cell) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", f"{cell.driver}--{cell.backend}--{cell.scenario}")


def _exchanges(cell: Cell) -> str:
    parts = []
    for exchange in cell.exchanges[:4]:
        sent = json.dumps(exchange.get("json") or exchange.get("body"), indent=2)[:3000]
        received = str(exchange.get("response", ""))[:3000]
        parts.append(
            f"<h4>{html.escape(exchange['method'])} {html.escape(exchange['path'])} "
            f"&rarr; {exchange.get('status')}</h4>"
            f"<pre>{html.escape(sent)}</pre><pre>{html.escape(received)}</pre>"
        )
    return "".join(parts)


LEGEND = {
    PASS: "pass",
    FAIL: "fail (links to the diff)",
    CRASH: "crash (links to the exception)",
    NOT_APPLICABLE: "n/a: the driver lacks what the scenario needs",
    NO_GOLDEN: "no golden entry yet",
    "": "white: the scenario does not run on that backend",
}
_RAN = (PASS, FAIL, CRASH, NO_GOLDEN)  # what a pass rate counts (n/a did not run)


def _swatch(colour: str) -> str:
    return f"<span class='sw' style='background:{colour}'></span>"


def _driver_anchor(driver: str) -> str:
    return "driver-" + re.sub(r"[^a-zA-Z0-9_.-]", "-", driver)


def pass_rates(matrix: Matrix) -> dict[str, dict[str, tuple[int, int]]]:
    """Per driver and backend: (passed, ran), over the cells that ran."""
    rates: dict[str, dict[str, tuple[int, int]]] = {d: {} for d in matrix.drivers}
    for cell in matrix.cells:
        if cell.outcome in _RAN:
            passed, ran = rates[cell.driver].get(cell.backend, (0, 0))
            rates[cell.driver][cell.backend] = (passed + (cell.outcome == PASS), ran + 1)
    return rates


def _summary(matrix: Matrix) -> list[str]:
    """Drivers x backends with pass rates, first on the page: failures above the fold."""
    rates = pass_rates(matrix)
    out = ["<h2>Summary: drivers &times; backends</h2><table class='sum'><tr><th>driver</th>"]
    out += [f"<th class='b'>{html.escape(b)}</th>" for b in matrix.backends]
    out.append("<th>all</th></tr>")
    for driver in matrix.drivers:
        link = f"<a href='#{_driver_anchor(driver)}'>{html.escape(driver)}</a>"
        out.append(f"<tr><td>{link}</td>")
        for backend in [*matrix.backends, None]:
            if backend is None:
                passed = sum(p for p, _ in rates[driver].values())
                ran = sum(r for _, r in rates[driver].values())
            else:
                passed, ran = rates[driver].get(backend, (0, 0))
            if not ran:
                out.append("<td></td>")
                continue
            colour = COLOUR[PASS] if passed == ran else COLOUR[FAIL]
            title = html.escape(f"{driver} on {backend or 'every backend'}: {passed}/{ran} passed")
            out.append(
                f"<td class='r' style='color:{colour}' title='{title}'>"
                f"{100 * passed // ran}%<br><small>{passed}/{ran}</small></td>"
            )
        out.append("</tr>")
    out.append("</table>")
    return out


def _diff_class(line: str) -> str:
    return {"-": "del", "+": "add"}.get(line[:1], "")


def to_html(matrix: Matrix) -> str:
    out = [
        "<!doctype html><html><head><meta charset='utf-8'><title>llm-fakes matrix</title><style>",
        "body{font:14px system-ui,sans-serif;margin:24px}table{border-collapse:collapse}",
        "td,th{border:1px solid #ccc;padding:2px 4px}th{font-weight:600;font-size:12px}",
        "th.b{writing-mode:vertical-rl;transform:rotate(180deg)}",
        "td.c{width:18px;height:18px;padding:0}td.c a{display:block;width:100%;height:18px}",
        "pre{background:#f5f5f5;padding:8px;overflow:auto;max-height:400px}",
        ".del{color:#c62828}.add{color:#2e7d32}",
        ".sw{display:inline-block;width:12px;height:12px;border:1px solid #999;margin:0 3px}",
        "td.r{text-align:center;font-weight:600;font-size:12px}td.r small{font-weight:400}",
        "</style></head><body><h1>Compatibility matrix</h1>",
        f"<p>{len(matrix.cells)} cells in {matrix.seconds:.2f} s. ",
    ]
    out.append(" ".join(f"{_swatch(COLOUR[o])} {html.escape(LEGEND[o])}" for o in COLOUR))
    out.append(f"{_swatch('#fff')} {html.escape(LEGEND[''])}</p>")
    out += _summary(matrix)
    out.append("<ul>")
    for driver, counts in matrix.summary().items():
        figures = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        out.append(f"<li><b>{html.escape(driver)}</b>: {html.escape(figures)}</li>")
    out.append("</ul>")
    details = []
    for driver in matrix.drivers:
        backends, rows = _grid(matrix, driver)
        out.append(f"<h2 id='{_driver_anchor(driver)}'>{html.escape(driver)}</h2>")
        out.append("<table><tr><th>scenario</th>")
        out += [f"<th class='b'>{html.escape(b)}</th>" for b in backends]
        out.append("</tr>")
        for scenario, row in rows:
            out.append(f"<tr><td>{html.escape(scenario)}</td>")
            for cell in row:
                if cell is None:
                    out.append("<td class='c'></td>")
                    continue
                title = html.escape(f"{cell.backend} / {cell.scenario}: {cell.outcome}")
                link = f"href='#{_anchor(cell)}'" if cell.outcome in (FAIL, CRASH) else ""
                out.append(
                    f"<td class='c' style='background:{COLOUR[cell.outcome]}' title='{title}'>"
                    f"<a {link}></a></td>"
                )
                if link:
                    details.append(cell)
            out.append("</tr>")
        out.append("</table>")
    if details:
        out.append("<h2>Differences</h2>")
    for cell in details:
        diff = "\n".join(
            f"<span class='{_diff_class(line)}'>{html.escape(line)}</span>"
            for line in cell.detail.splitlines()
        )
        out.append(
            f"<h3 id='{_anchor(cell)}'>{html.escape(cell.driver)} / {html.escape(cell.backend)}"
            f" / {html.escape(cell.scenario)}: {cell.outcome}</h3><pre>{diff}</pre>"
            f"<details><summary>raw exchanges</summary>{_exchanges(cell)}</details>"
        )
    out.append("</body></html>")
    return "\n".join(out)


def write_reports(matrix: Matrix, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "matrix.json": json.dumps(to_json(matrix), indent=2) + "\n",
        "matrix.md": to_markdown(matrix),
        "matrix.html": to_html(matrix),
    }
    written = []
    for name, text in files.items():
        path = directory / name
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
        written.append(path)
    return written
