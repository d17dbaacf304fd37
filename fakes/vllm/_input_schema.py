"""A vLLM release's own ``ResponsesRequest`` validator, rebuilt from its schema data.

pydantic names a union member nested in a shared definition after the order in which the whole
request schema was built (``list[union[...,...,...]]`` for one not finished yet), so the errors
vLLM lists for a bad ``/v1/responses`` input item follow the release's whole ``ResponsesRequest``
and the openai-python beside it. ``reference/vllm_harness/input_schemas.py`` wrote each
release's ``__pydantic_core_schema__`` as data (``input_schemas/``: classes by name, callables
by name); here a ``pydantic_core.SchemaValidator`` is built from it again with stand-ins of the
same names. The stand-ins never run vLLM's own validators (nor its ``mode="before"`` parsing of
``function_call``, ``reasoning`` and assistant items from 0.12: docs/vllm-reference-harness.md),
and the data serves the error path only.
"""

from __future__ import annotations

import enum
import gzip
import importlib
import json
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from pydantic_core import SchemaError, SchemaValidator, ValidationError

_FOLDER = "input_schemas"


def _unchanged(value: Any, *_: Any) -> Any:
    return value


def _handled(value: Any, handler: Callable[[Any], Any], *_: Any) -> Any:
    return handler(value)


def _nothing(*_: Any) -> None:
    return None


def _imported(where: str) -> Any:
    """A standard-library class or one of pydantic's own validators, by ``module:name``."""
    module, _, name = where.partition(":")
    found: Any = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


class _Decoder:
    """JSON data back to a core schema: one stand-in class per class the release had."""

    def __init__(self) -> None:
        self.classes: dict[int, type] = {}

    def stand_in(
        self, name: str, number: int, members: list[Any] | None = None, mixin: str = ""
    ) -> type:
        if number not in self.classes:
            if members is not None:  # an enum: its members' names and values, its value type
                values = [(m["name"], m["value"]) for m in members]
                base: type = {"str": enum.StrEnum, "int": enum.IntEnum}.get(mixin, enum.Enum)
                self.classes[number] = base(name, values)
            else:
                self.classes[number] = type(name, (), {})
        return self.classes[number]

    def decode(self, value: Any, within: str = "") -> Any:
        if isinstance(value, list):
            return [self.decode(item, within) for item in value]
        if not isinstance(value, dict):
            return value
        if "$class" in value:
            return self.stand_in(value["$class"], value["id"])
        if "$import" in value:
            return _imported(value["$import"])
        if "$function" in value:
            return _handled if within == "function-wrap" else _unchanged
        if "$enum" in value:
            kind = value["$enum"]
            members: Any = self.stand_in(kind["$class"], kind["id"])
            return members[value["name"]]
        if "$decimal" in value:
            return Decimal(value["$decimal"])
        if "$set" in value:
            return set(self.decode(value["$set"], within))
        kind = value.get("type")
        if not isinstance(kind, str) or kind in ("no-info", "with-info"):
            kind = within  # a function's own entry keeps its schema's type
        if kind == "enum" and "cls" in value:
            members = value["members"]
            self.stand_in(
                value["cls"]["$class"], value["cls"]["id"], members, value.get("sub_type", "")
            )
        out = {key: self.decode(item, kind) for key, item in value.items()}
        if "default_factory" in out:
            out["default_factory"] = _nothing
        if kind in ("model", "dataclass") and "cls" in out:
            out.pop("post_init", None)  # the release's hooks run after validation succeeds
            if kind == "model":
                out["custom_init"] = False
            else:
                out["post_init"] = False
        return out


@cache
def _validator(name: str) -> SchemaValidator | None:
    """The release's validator; None when this pydantic-core cannot build the data (it was
    written with another's schema keys)."""
    data = resources.files("fakes.vllm").joinpath(_FOLDER, f"{name}.json.gz").read_bytes()
    document = json.loads(gzip.decompress(data))
    try:
        return SchemaValidator(_Decoder().decode(document["schema"]))
    except SchemaError:
        return None


def release_input_errors(name: str, body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The release's errors for ``body``'s ``input``, located under ``body.input``: [] when it
    validates, None when the data cannot be rebuilt here."""
    validator = _validator(name)
    if validator is None:
        return None
    try:
        validator.validate_python(body)
    except ValidationError as exc:
        return [
            {**details, "loc": ("body", *details["loc"])}
            for details in exc.errors(include_url=False)
            if details["loc"][:1] == ("input",)
        ]
    return []
