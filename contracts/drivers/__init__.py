"""The driver registry: reference drivers, client adapters, and drivers named by import path."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from contracts._driver import ANTHROPIC_MESSAGES, ENDPOINT_OPTION, Driver, DriverSpec
from contracts._target import Target
from contracts.drivers._anthropic import AnthropicMessagesDriver
from contracts.drivers._http import NaiveChatDriver, OpenAICompatibleDriver, ResponsesOnlyDriver
from contracts.drivers._openai_python import OpenAIChatAdapter, OpenAIResponsesAdapter


def _langchain(target: Target) -> Driver:
    from contracts.drivers._langchain import LangChainOpenAIAdapter

    return LangChainOpenAIAdapter(target)


def _litellm_openai(target: Target) -> Driver:
    from contracts.drivers._litellm import LiteLLMAdapter

    return LiteLLMAdapter(target)


def _litellm_hosted_vllm(target: Target) -> Driver:
    from contracts.drivers._litellm import LiteLLMHostedVllmAdapter

    return LiteLLMHostedVllmAdapter(target)


def _anthropic_sdk(target: Target) -> Driver:
    from contracts.drivers._anthropic_sdk import AnthropicSdkAdapter

    return AnthropicSdkAdapter(target)


def _pydantic_ai(target: Target) -> Driver:
    from contracts.drivers._pydantic_ai import PydanticAIAdapter

    return PydanticAIAdapter(target)


class DriverRegistry:
    def __init__(self, specs: Iterable[DriverSpec] = ()) -> None:
        self._specs: dict[str, DriverSpec] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: DriverSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"driver {spec.name!r} is registered twice")
        self._specs[spec.name] = spec

    def names(self) -> list[str]:
        return list(self._specs)

    def get(self, name: str, search: Sequence[Path] = ()) -> DriverSpec:
        """A registered driver, or ``module:factory``; a module not found on ``sys.path`` is
        looked for in ``search`` too (the directory a user runs pytest or the matrix from)."""
        if name in self._specs:
            return self._specs[name]
        if ":" in name:
            return _imported(name, search)
        raise KeyError(
            f"unknown driver {name!r}; known: {', '.join(self._specs)} "
            "(or 'package.module:factory' for your own)"
        )


def _import(module_name: str, search: Sequence[Path]) -> object:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = [str(d) for d in search if str(d) not in sys.path]
        if exc.name != module_name.partition(".")[0] or not missing:
            raise
    # the `pytest` script, unlike `python -m pytest`, does not put the current directory on
    # sys.path: a driver module next to the tests would not be found
    sys.path.extend(missing)
    return importlib.import_module(module_name)


def _imported(path: str, search: Sequence[Path] = ()) -> DriverSpec:
    module_name, _, attribute = path.partition(":")
    try:
        value = getattr(_import(module_name, search), attribute)
    except (ImportError, AttributeError) as exc:
        raise KeyError(f"cannot load driver {path!r}: {exc}") from None
    if isinstance(value, DriverSpec):
        return value
    if not callable(value):
        raise KeyError(f"driver {path!r} is neither a DriverSpec nor a factory")
    capabilities = frozenset(getattr(value, "capabilities", ()))
    return DriverSpec(path, value, f"user driver {path}", capabilities)


REFERENCE = ("openai-compatible", "responses-only", "naive-chat")

DRIVERS = DriverRegistry(
    [
        DriverSpec(
            "openai-compatible",
            OpenAICompatibleDriver,
            "correct: chat by default, endpoint option with fallback, usage optional",
            frozenset({ENDPOINT_OPTION}),
        ),
        DriverSpec(
            "responses-only", ResponsesOnlyDriver, "seed driver #1: always POST /v1/responses"
        ),
        DriverSpec(
            "naive-chat",
            NaiveChatDriver,
            "seed driver #2: chat, assumes every stream ends in usage",
        ),
        DriverSpec(
            "openai-python-chat",
            OpenAIChatAdapter,
            "openai-python AsyncOpenAI().chat.completions",
            extra="openai",
        ),
        DriverSpec(
            "openai-python-responses",
            OpenAIResponsesAdapter,
            "openai-python AsyncOpenAI().responses",
            extra="openai",
        ),
        DriverSpec(
            "litellm-openai",
            _litellm_openai,
            'litellm SDK acompletion(model="openai/<model>", api_base=...)',
            extra="litellm",
        ),
        DriverSpec(
            "litellm-hosted-vllm",
            _litellm_hosted_vllm,
            'litellm SDK acompletion(model="hosted_vllm/<model>", api_base=...)',
            extra="litellm",
        ),
        DriverSpec(
            "langchain-openai",
            _langchain,
            "langchain-openai ChatOpenAI(base_url=...).ainvoke / .astream",
            extra="langchain",
        ),
        DriverSpec(
            "anthropic-messages",
            AnthropicMessagesDriver,
            "an Anthropic-protocol client over raw HTTP: POST /v1/messages",
            frozenset({ANTHROPIC_MESSAGES}),
        ),
        DriverSpec(
            "anthropic-python",
            _anthropic_sdk,
            "anthropic AsyncAnthropic(base_url=...).messages.create",
            frozenset({ANTHROPIC_MESSAGES}),
            extra="anthropic",
        ),
        DriverSpec(
            "pydantic-ai",
            _pydantic_ai,
            "pydantic-ai Agent on OpenAIChatModel(OpenAIProvider(openai_client=...))",
            extra="pydantic-ai",
        ),
    ]
)

__all__ = ["DRIVERS", "REFERENCE", "DriverRegistry", "Target"]
