"""Declarative, versioned backend profiles."""

import importlib
from typing import TYPE_CHECKING, Any

from fakes.profiles._model import (
    BaseProfile,
    ChatMessageUnion,
    ContinuousUsage,
    EmptyTools,
    ErrorShape,
    HermesStream,
    JsonStyle,
    Knobs,
    MessagesStart,
    MessagesTextBlock,
    NamedToolStream,
    ParserlessToolChoice,
    Profile,
    RequiredStream,
    ResponsesEventResponse,
    ResponsesItemId,
    ResponsesRoute,
    ResponsesStream,
    StreamUsage,
    ToolChoiceUnion,
    UnknownFields,
    ValidationStyle,
)
from fakes.profiles._registry import (
    DEFAULT_VLLM_VERSION,
    ProfileError,
    ProfileSet,
    builtin,
    load_override,
    resolve,
    resolve_vllm_profile,
    with_knobs,
)

if TYPE_CHECKING:
    from fakes.profiles._litellm import (
        DeploymentSlots,
        HealthEntries,
        KeyLimiter,
        LitellmKnobs,
        LitellmProfile,
        MidStreamError,
        MissingMessages,
        ModelField,
        ResponsesMode,
        TimeoutWording,
        UpstreamCut,
        UpstreamErrorFormat,
        UsageChunk,
    )

# The LiteLLM profile's model and enums load on first use: the vLLM fake never needs them.
_LITELLM = frozenset(
    {
        "DeploymentSlots",
        "HealthEntries",
        "KeyLimiter",
        "LitellmKnobs",
        "LitellmProfile",
        "MidStreamError",
        "MissingMessages",
        "ModelField",
        "ResponsesMode",
        "TimeoutWording",
        "UpstreamCut",
        "UpstreamErrorFormat",
        "UsageChunk",
    }
)


def __getattr__(name: str) -> Any:
    if name in _LITELLM:
        return getattr(importlib.import_module("fakes.profiles._litellm"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_VLLM_VERSION",
    "BaseProfile",
    "ChatMessageUnion",
    "ContinuousUsage",
    "DeploymentSlots",
    "EmptyTools",
    "ErrorShape",
    "HealthEntries",
    "HermesStream",
    "JsonStyle",
    "KeyLimiter",
    "Knobs",
    "LitellmKnobs",
    "LitellmProfile",
    "MessagesStart",
    "MessagesTextBlock",
    "MidStreamError",
    "MissingMessages",
    "ModelField",
    "NamedToolStream",
    "ParserlessToolChoice",
    "Profile",
    "ProfileError",
    "ProfileSet",
    "RequiredStream",
    "ResponsesEventResponse",
    "ResponsesItemId",
    "ResponsesMode",
    "ResponsesRoute",
    "ResponsesStream",
    "StreamUsage",
    "TimeoutWording",
    "ToolChoiceUnion",
    "UnknownFields",
    "UpstreamCut",
    "UpstreamErrorFormat",
    "UsageChunk",
    "ValidationStyle",
    "builtin",
    "load_override",
    "resolve",
    "resolve_vllm_profile",
    "with_knobs",
]
