"""A vLLM release's ``ResponsesRequest`` pydantic-core schema as JSON data, for the fake.

pydantic labels a union member nested in a shared definition after the order in which the
release's WHOLE request schema is built (``list[union[...,...,...]]`` for one it has not
finished yet), so the errors vLLM lists for a bad ``/v1/responses`` input item follow vLLM's own
``ResponsesRequest``, not openai-python's types alone. Run inside the release's reference
environment (``.venv-vllm-X``), this writes that schema with classes as their names and
callables as named stand-ins, refs, definitions and order kept::

    .venv-vllm-X/bin/python -m reference.vllm_harness.input_schemas --release X

It writes ``fakes/vllm/input_schemas/<digest>.json.gz`` (identical schemas of two releases
share one file) and sets the release's entry in ``index.json`` there. The fake rebuilds a
``pydantic_core.SchemaValidator`` from it (``fakes/vllm/_input_schema.py``) when an input item
fails validation.
"""

from __future__ import annotations

import argparse
import enum
import gzip
import hashlib
import importlib
import importlib.metadata
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMAT = 1
OUT = Path(__file__).resolve().parents[2] / "fakes" / "vllm" / "input_schemas"
# the modules whose APIRouter holds POST /v1/responses, newest layout first
ROUTERS = (
    "vllm.entrypoints.openai.responses.api_router",
    "vllm.entrypoints.openai.api_server",
)
# the standard library's modules whose classes a schema names (stand-ins would fail isinstance)
_STANDARD = frozenset(
    (
        "builtins",
        "typing",
        "collections",
        "datetime",
        "decimal",
        "uuid",
        "re",
        "pathlib",
        "enum",
        "ipaddress",
        "fractions",
        "types",
    )
)
# keys that only serializers and JSON schema read
_DROPPED = frozenset({"serialization", "metadata"})


class Encoder:
    """Turns a core schema into JSON data: a class is ``{"$class": name, "id": n}`` (one id per
    class object, so two classes of one name stay two), a callable ``{"$function": name}``."""

    def __init__(self) -> None:
        self.classes: dict[int, int] = {}
        self.refs: dict[str, str] = {}

    def ref(self, value: str) -> str:
        """A ref without the class's memory address (``module.Name:140...``), so the data is
        the same from run to run: the name and the order of first sight."""
        name = value.rsplit(":", 1)[0]
        return self.refs.setdefault(value, f"{name}:{len(self.refs)}")

    def encode(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                str(key): self.ref(item)
                if key in ("ref", "schema_ref") and isinstance(item, str)
                else self.encode(item)
                for key, item in value.items()
                if key not in _DROPPED
            }
        if isinstance(value, list | tuple):
            return [self.encode(item) for item in value]
        if isinstance(value, enum.Enum):  # before str: a str enum's members are strs
            return {
                "$enum": self.encode(type(value)),
                "name": value.name,
                "value": self.encode(value.value),
            }
        if value is None or isinstance(value, bool | int | float | str):
            return value
        imported = _importable(value)
        if imported is not None:
            return {"$import": imported}
        if isinstance(value, type):
            number = self.classes.setdefault(id(value), len(self.classes))
            return {"$class": value.__name__, "id": number}
        if isinstance(value, Decimal):
            return {"$decimal": str(value)}
        if isinstance(value, re.Pattern):
            return {"$pattern": value.pattern}
        if callable(value):
            return {"$function": getattr(value, "__qualname__", type(value).__name__)}
        if isinstance(value, set | frozenset):
            return {"$set": [self.encode(item) for item in sorted(value, key=repr)]}
        raise TypeError(f"no JSON form for {type(value).__qualname__}: {value!r}")


def _importable(value: Any) -> str | None:
    """``module:name`` for what the fake can import as the release had it: the standard
    library's classes and aliases (``typing.Sequence`` for ``isinstance``) and pydantic's own
    validators (``sequence_validator``), which the fake's pydantic has too."""
    module = getattr(value, "__module__", None)
    name = getattr(value, "__qualname__", None) or getattr(value, "_name", None)
    if not isinstance(module, str) or not isinstance(name, str) or "<" in name:
        return None
    root = module.split(".")[0]
    if root == "pydantic" or root in _STANDARD:
        return f"{module}:{name}"
    return None


def request_schema() -> Any:
    """The schema FastAPI validates ``/v1/responses`` bodies with: the route's body field's
    own ``TypeAdapter(Annotated[ResponsesRequest, Body()])``, not the model's schema (pydantic
    builds the adapter's definitions again, in its own order)."""
    failed: list[str] = []
    for name in ROUTERS:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            failed.append(f"{name}: {exc}")
            continue
        router = getattr(module, "router", None)
        for route in getattr(router, "routes", ()):
            if getattr(route, "path", None) == "/v1/responses" and "POST" in route.methods:
                return route.body_field._type_adapter.core_schema
    raise SystemExit(f"no POST /v1/responses route in {', '.join(ROUTERS)} ({'; '.join(failed)})")


def environment() -> dict[str, str]:
    names = ("vllm", "pydantic", "pydantic-core", "openai")
    return {name: importlib.metadata.version(name) for name in names}


def document() -> dict[str, Any]:
    return {"format": FORMAT, "schema": Encoder().encode(request_schema())}


def serialized(value: dict[str, Any]) -> bytes:
    """The data's bytes, stable across runs (gzip without a name or time)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return gzip.compress(text, compresslevel=9, mtime=0)


def digest(value: dict[str, Any]) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(text).hexdigest()[:16]


def write(release: str, out: Path = OUT) -> str:
    data = document()
    name = digest(data)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json.gz").write_bytes(serialized(data))
    index_path = out / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    index[release] = {"schema": name, **environment()}
    ordered = dict(sorted(index.items(), key=lambda item: _version_key(item[0])))
    index_path.write_text(json.dumps(ordered, indent=1) + "\n")
    return name


def _version_key(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", required=True, help="the vLLM release installed here")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    installed = importlib.metadata.version("vllm")
    if installed != args.release:
        raise SystemExit(f"this environment has vLLM {installed}, not {args.release}")
    print(write(args.release, args.out))


if __name__ == "__main__":
    main()
