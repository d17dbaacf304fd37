"""Declarative, versioned backend profiles."""

from fakes.profiles._model import (
    ContinuousUsage,
    ErrorShape,
    JsonStyle,
    Knobs,
    NamedToolStream,
    Profile,
    ResponsesRoute,
    StreamUsage,
    UnknownFields,
    ValidationStyle,
)
from fakes.profiles._registry import (
    ProfileError,
    ProfileSet,
    builtin,
    load_override,
    with_knobs,
)

__all__ = [
    "ContinuousUsage",
    "ErrorShape",
    "JsonStyle",
    "Knobs",
    "NamedToolStream",
    "Profile",
    "ProfileError",
    "ProfileSet",
    "ResponsesRoute",
    "StreamUsage",
    "UnknownFields",
    "ValidationStyle",
    "builtin",
    "load_override",
    "with_knobs",
]
