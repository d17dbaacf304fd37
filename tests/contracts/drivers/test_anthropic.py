"""The Anthropic-protocol drivers on the /v1/messages scenarios: the raw-HTTP reference driver
and the official ``anthropic`` client must both report what the goldens say, on a release
without the route, the first with it (its stream ends in ``data: [DONE]``) and the newest."""

from __future__ import annotations

import importlib.util

import pytest

from contracts._driver import ANTHROPIC_MESSAGES
from contracts._model import Request
from contracts.drivers import DRIVERS
from contracts.drivers._anthropic import messages_payload
from contracts.scenarios import SCENARIOS
from tests.contracts.drivers.cells import expected, outcomes

SCENARIO_IDS = [s.id for s in SCENARIOS.all() if s.family == "anthropic"]
CELLS = [(s, b) for s in SCENARIO_IDS for b in ("vllm-0.11", "vllm-0.11.1", "vllm-0.34")]


@pytest.mark.parametrize("driver", ["anthropic-messages", "anthropic-python"])
def test_the_drivers_report_the_goldens(driver: str) -> None:
    spec = DRIVERS.get(driver)
    if spec.extra and importlib.util.find_spec(spec.extra) is None:
        pytest.skip(f"{spec.extra} is not installed (pip install -e '.[anthropic]')")
    assert ANTHROPIC_MESSAGES in spec.capabilities
    got = outcomes(spec, CELLS)
    assert got == {cell: expected(*cell) for cell in CELLS}


def test_the_old_release_is_a_missing_route_and_the_new_one_answers() -> None:
    assert expected("messages_plain", "vllm-0.11")["error"] == {
        "kind": "endpoint_unsupported",
        "status": 404,
    }
    assert expected("messages_plain", "vllm-0.34")["finish_reason"] == "stop"


def test_the_payload_moves_system_messages_and_tools_into_anthropics_fields() -> None:
    request = Request(
        messages=({"role": "system", "content": "Be brief"}, {"role": "user", "content": "hi"}),
        tools=({"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}},),
        tool_choice="required",
    )
    payload = messages_payload(request, "m")
    assert payload["system"] == "Be brief"
    assert payload["messages"] == [{"role": "user", "content": "hi"}]
    assert payload["tools"] == [{"name": "f", "input_schema": {"type": "object"}}]
    assert payload["tool_choice"] == {"type": "any"}
    assert payload["max_tokens"] > 0


def test_a_protocol_driver_and_a_chat_scenario_do_not_meet() -> None:
    from contracts._driver import not_applicable

    anthropic = frozenset({ANTHROPIC_MESSAGES})
    chat = SCENARIOS.get("plain_completion").requires
    assert not_applicable(chat, anthropic) is not None  # a chat scenario: n/a for it
    assert not_applicable(anthropic, frozenset()) is not None  # and the other way round
    assert not_applicable(anthropic, anthropic) is None
