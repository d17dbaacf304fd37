"""Request-side contracts: what a careful driver sends, whatever the caller hands it."""

from __future__ import annotations

from contracts._scenario import Scenario
from contracts.scenarios._build import ask, says

SCENARIOS = [
    Scenario(
        id="request_empty_tools",
        family="requests",
        title="the caller passes tools [] and tool_choice auto: send neither",
        quirk=(
            "clients that send tools: [] or tool_choice without tools "
            "(docs/wire-quirks.md#request-side, docs/quirks.md#vllm-empty_tools)"
        ),
        request=ask(tools=(), tool_choice="auto"),
        script=says(),
    ),
    Scenario(
        id="request_developer_role",
        family="requests",
        title="a system message is answered on every release",
        quirk="developer role and older backends (docs/wire-quirks.md#request-side)",
        request=ask().model_copy(
            update={
                "messages": (
                    {"role": "system", "content": "Answer in one sentence."},
                    {"role": "user", "content": "What is the weather in Paris?"},
                )
            }
        ),
        script=says(),
    ),
]
