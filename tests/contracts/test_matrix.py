"""The seed's story, cell by cell: every outcome of the reference matrix is pinned."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from contracts._backends import all_backends
from contracts.drivers import DRIVERS, REFERENCE
from contracts.matrix import CRASH, FAIL, NOT_APPLICABLE, PASS, Matrix, run_matrix
from contracts.report import write_reports
from contracts.scenarios import SCENARIOS

DRIVER_NAMES = [*REFERENCE, "openai-python-chat", "openai-python-responses"]
CODE = {PASS: "P", FAIL: "F", CRASH: "C", NOT_APPLICABLE: "-", "no golden": "?"}


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    drivers = [DRIVERS.get(name) for name in DRIVER_NAMES]
    return asyncio.run(run_matrix(drivers, all_backends(), SCENARIOS.all()))


def _outcome(matrix: Matrix, driver: str, backend: str, scenario: str) -> str:
    cell = matrix.cell(driver, backend, scenario)
    assert cell is not None, f"no cell {driver}/{backend}/{scenario}"
    return cell.outcome


def test_every_cell_matches_the_reviewed_grid(matrix: Matrix, snapshot: SnapshotAssertion) -> None:
    grid: dict[str, dict[str, str]] = {}
    for driver in matrix.drivers:
        rows = grid.setdefault(driver, {})
        for scenario in matrix.scenarios:
            marks = [
                f"{cell.backend}={CODE[cell.outcome]}"
                for cell in matrix.cells
                if cell.driver == driver and cell.scenario == scenario.id
            ]
            rows[scenario.id] = " ".join(marks)
    assert grid == snapshot


def test_openai_compatible_passes_everything(matrix: Matrix) -> None:
    # n/a: the scenarios of a protocol it does not speak (/v1/messages)
    cells = [
        c for c in matrix.cells if c.driver == "openai-compatible" and c.outcome != NOT_APPLICABLE
    ]
    assert cells and all(c.outcome == PASS for c in cells), [
        (c.backend, c.scenario, c.detail) for c in cells if c.outcome != PASS
    ]


@pytest.mark.parametrize("backend", ["vllm-0.4", "vllm-0.5", "vllm-0.6.4", "vllm-0.7", "vllm-0.9"])
def test_responses_only_fails_where_vllm_lacks_the_route(matrix: Matrix, backend: str) -> None:
    cell = matrix.cell("responses-only", backend, "plain_completion")
    assert cell is not None and cell.outcome == FAIL
    assert cell.observed is not None
    assert cell.observed["error"] == {"kind": "endpoint_unsupported", "status": 404}


def test_responses_only_works_from_0_10_and_streams_from_0_10_2(matrix: Matrix) -> None:
    for backend in ("vllm-0.10.0", "vllm-0.10.1", "vllm-0.11", "vllm-0.18", "vllm-0.33"):
        assert _outcome(matrix, "responses-only", backend, "plain_completion") == PASS
    # streams break on 0.10.0 (a 500) and 0.10.1 (a cut); from 0.10.2 non-harmony models
    # stream through _process_simple_streaming_events, but 0.10.2-0.11.0 validate
    # response.completed with the installed openai's Response type, which today's openai
    # refuses (usage lacks cache_write_tokens): the stream is cut before it
    for backend in ("vllm-0.10.0", "vllm-0.10.1", "vllm-0.11"):
        assert _outcome(matrix, "responses-only", backend, "stream_usage") == FAIL
    for backend in ("vllm-0.11.1", "vllm-0.12", "vllm-0.18", "vllm-0.21", "vllm-0.33"):
        assert _outcome(matrix, "responses-only", backend, "stream_usage") == PASS


def test_a_chat_form_history_sent_to_responses_is_refused_from_0_10(matrix: Matrix) -> None:
    # the responses drivers pass the chat messages (assistant tool_calls, a tool message) as
    # input items; every release's union of openai item types refuses them (recorded 0.10.0
    # to 0.34.0: a 400 listing pydantic's errors); chat drivers send the same turn fine
    for backend in ("vllm-0.10.0", "vllm-0.12", "vllm-0.34"):
        cell = matrix.cell("responses-only", backend, "reasoning_round_trip")
        assert cell is not None and cell.outcome == FAIL
        assert cell.observed is not None and cell.observed["error"]["status"] == 400
        assert _outcome(matrix, "openai-compatible", backend, "reasoning_round_trip") == PASS


def test_naive_chat_crashes_on_streams_without_usage(matrix: Matrix) -> None:
    assert _outcome(matrix, "naive-chat", "vllm-0.4", "stream_usage") == PASS  # 0.4 always sends it
    for backend in [b.name for b in all_backends() if b.kind == "vllm"][1:]:
        cell = matrix.cell("naive-chat", backend, "stream_usage")
        assert cell is not None and cell.outcome == CRASH
        assert cell.detail == "KeyError: 'usage'"
    assert _outcome(matrix, "naive-chat", "vllm-0.9", "plain_completion") == PASS


def test_the_seed_through_litellm(matrix: Matrix) -> None:
    # prism #900: the responses-only driver fails behind LiteLLM 1.110 in front of vLLM 0.9
    # (a wrapped 404, and the deployment cools down), while 1.74 bridges /v1/responses to chat
    cell = matrix.cell("responses-only", "litellm-1.110+vllm-0.9", "plain_completion")
    assert cell is not None and cell.outcome == FAIL
    assert cell.observed is not None and cell.observed["error"]["kind"] == "endpoint_unsupported"
    assert _outcome(matrix, "responses-only", "litellm-1.74+vllm-0.9", "plain_completion") == PASS
    # and the workaround crashes: LiteLLM sends no usage unless the client asks
    for backend in ("litellm-1.74+vllm-0.9", "litellm-1.110+vllm-0.9", "litellm-1.110+vllm-0.34"):
        cell = matrix.cell("naive-chat", backend, "stream_usage")
        assert cell is not None and (cell.outcome, cell.detail) == (CRASH, "KeyError: 'usage'")


def test_reports_are_written(matrix: Matrix, tmp_path: Path) -> None:
    written = write_reports(matrix, tmp_path)
    assert [p.name for p in written] == ["matrix.json", "matrix.md", "matrix.html"]
    html = (tmp_path / "matrix.html").read_text()
    failing = [c for c in matrix.cells if c.outcome in (FAIL, CRASH)]
    # every failing cell links to its diff, and the diff is there
    assert html.count("<h3 id=") == len(failing)
    assert "KeyError: &#x27;usage&#x27;" in html
    markdown = (tmp_path / "matrix.md").read_text()
    assert "| stream_usage |" in markdown


def test_the_html_report_opens_with_pass_rates_per_driver_and_backend(
    matrix: Matrix, tmp_path: Path
) -> None:
    from contracts.report import pass_rates

    write_reports(matrix, tmp_path)
    page = (tmp_path / "matrix.html").read_text()
    summary = page.index("Summary: drivers &times; backends")
    assert summary < page.index("<h2 id='driver-openai-compatible'>")  # above every grid
    assert "white: the scenario does not run on that backend" in page[:summary]
    rates = pass_rates(matrix)
    assert all(p == r for p, r in rates["openai-compatible"].values())
    passed, ran = rates["naive-chat"]["vllm-0.9"]
    cells = [c for c in matrix.cells if c.driver == "naive-chat" and c.backend == "vllm-0.9"]
    assert ran == sum(c.outcome != NOT_APPLICABLE for c in cells)
    assert passed == sum(c.outcome == PASS for c in cells) < ran
    assert f"naive-chat on vllm-0.9: {passed}/{ran} passed" in page


def test_the_seed_on_ollama(matrix: Matrix) -> None:
    # /v1/responses arrives in 0.13.3: before, gin's plain "404 page not found"
    for backend in ("ollama-0.3", "ollama-0.4.6", "ollama-0.5.2"):
        cell = matrix.cell("responses-only", backend, "plain_completion")
        assert cell is not None and cell.outcome == FAIL
        assert cell.observed is not None
        assert cell.observed["error"] == {"kind": "endpoint_unsupported", "status": 404}
        assert _outcome(matrix, "openai-compatible", backend, "responses_auto_fallback") == PASS
    assert _outcome(matrix, "responses-only", "ollama-0.32.6", "plain_completion") == PASS
    # no usage in a stream unless asked (and before 0.5.2 not even then): the naive driver
    for backend in ("ollama-0.3", "ollama-0.4.6", "ollama-0.5.2", "ollama-0.32.6"):
        cell = matrix.cell("naive-chat", backend, "stream_usage")
        assert cell is not None and (cell.outcome, cell.detail) == (CRASH, "KeyError: 'usage'")
