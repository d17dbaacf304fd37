"""The fake's port of the pre-0.20 hermes tool parser against the release's own parser code.

    python -m reference.vllm_harness.hermes_parity WHEEL_DIR [WHEEL_DIR ...]

WHEEL_DIR is a vLLM wheel unzipped (``pip download --no-deps vllm==X`` then unzip): its own
``hermes_tool_parser.py`` runs here, with stand-ins only for what it imports from the rest of
vLLM (the delta models, the ToolParser base, the logger, the id helpers); 0.6's
``tool_parsers/utils.py`` is the wheel's own too. Both parsers read the same token streams
(the fake's tokens of hermes blocks: one call, several, content before them, nested, unicode
and escaped arguments) step by step, and every step's delta and the parser's state after it
must be equal. The cassettes prove the one-call stream through the whole server; this
proves the parser on streams no recorded scenario has.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import itertools
import json
import logging
import re
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from fakes.model.tokens import tokenize
from fakes.profiles import HermesStream, resolve_vllm_profile
from fakes.vllm.tool_stream.hermes_pre_0_20 import END, START, HermesParser

PARSER_PATHS = (
    "vllm/entrypoints/openai/tool_parsers/hermes_tool_parser.py",  # up to 0.12
    "vllm/tool_parsers/hermes_tool_parser.py",  # 0.14 on
)
UTILS_PATH = "vllm/entrypoints/openai/tool_parsers/utils.py"

CALLS: tuple[tuple[tuple[str, dict[str, Any]], ...], ...] = (
    (("get_weather", {"city": "Paris"}),),
    (("f", {}),),
    (("f", {"a": 1}),),
    (("f", {"a": [1, 2], "b": {"c": "d"}}),),
    (("f", {"n": None, "t": True, "x": 1.5, "s": 'say "hi"'}),),
    (("f", {"q": "é ü"}),),
    (("f", {"city": "Paris"}), ("g", {"a": 1})),
    (("f", {"a": "x"}), ("g", {"b": [1]}), ("h", {})),
)
CONTENTS = ("", "Let me check.")


class DeltaFunctionCall(BaseModel):
    name: str | None = None
    arguments: str | None = None


class DeltaToolCall(BaseModel):
    id: str | None = None
    type: str | None = None
    index: int
    function: DeltaFunctionCall | None = None


class DeltaMessage(BaseModel):
    role: str | None = None
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[DeltaToolCall] = Field(default_factory=list)


class _Ids:
    """The tool call ids the release's helpers hand out, replayed to the port."""

    def __init__(self) -> None:
        self.counter: Iterator[int] = itertools.count()

    def next(self, *args: Any, **kwargs: Any) -> str:
        return f"call-{next(self.counter)}"


IDS = _Ids()


class InitialDeltaToolCall(DeltaToolCall):
    """0.6.0's first delta of a call (protocol.py:717-720): its own id and type defaults."""

    id: str | None = Field(default_factory=lambda: f"chatcmpl-tool-{IDS.next()}")
    type: str | None = "function"


class ToolParser:
    """vLLM's ToolParser base as the hermes parser uses it (abstract_tool_parser.py)."""

    def __init__(self, tokenizer: Any) -> None:
        self.prev_tool_call_arr: list[dict[str, Any]] = []
        self.current_tool_id = -1
        self.current_tool_name_sent = False
        self.streamed_args_for_tool: list[str] = []
        self.model_tokenizer = tokenizer

    @property
    def vocab(self) -> dict[str, int]:
        return dict(self.model_tokenizer.get_vocab())

    def adjust_request(self, request: Any) -> Any:
        return request


class ToolParserManager:
    @staticmethod
    def register_module(*args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        return lambda cls: cls


class Tokenizer:
    """The tags as whole tokens, as in the reference harness's tiny tokenizer."""

    VOCAB: ClassVar[dict[str, int]] = {START: 1, END: 2}

    def get_vocab(self) -> dict[str, int]:
        return dict(self.VOCAB)

    @property
    def vocab(self) -> dict[str, int]:  # what 0.6.0-0.6.1 read (an HF tokenizer's property)
        return dict(self.VOCAB)

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return [self.VOCAB[text]]

    def decode(self, ids: Sequence[int]) -> str:
        pieces = {v: k for k, v in self.VOCAB.items()}
        return "".join(pieces[i] for i in ids)


class _Stub:
    pass


def _quiet_logger(name: str) -> logging.Logger:
    """The release logs each swallowed exception: expected here, kept off the output."""
    logger = logging.getLogger(f"hermes_parity.{name}")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


STUBS: dict[str, Any] = {
    "DeltaFunctionCall": DeltaFunctionCall,
    "DeltaToolCall": DeltaToolCall,
    "InitialDeltaToolCall": InitialDeltaToolCall,
    "DeltaMessage": DeltaMessage,
    "ToolParser": ToolParser,
    "ToolParserManager": ToolParserManager,
    "init_logger": _quiet_logger,
    "random_uuid": IDS.next,
    "random_tool_call_id": lambda: IDS.next(),
    "make_tool_call_id": IDS.next,
    "is_mistral_tokenizer": lambda tokenizer: False,
}


class _StubModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return STUBS.get(name, _Stub)


class _VllmStubs(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Every ``vllm.*`` import is a stub module, but the wheel's own tool_parsers/utils.py."""

    def __init__(self, wheel: Path) -> None:
        self.wheel = wheel

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "vllm" and not fullname.startswith("vllm."):
            return None
        own = self.wheel / UTILS_PATH
        if fullname == "vllm.entrypoints.openai.tool_parsers.utils" and own.exists():
            return importlib.util.spec_from_file_location(fullname, own)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: Any) -> types.ModuleType:
        module = _StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def load_parser(wheel: Path) -> Any:
    """The release's Hermes2ProToolParser class, loaded from the unzipped wheel."""
    found = next((wheel / p for p in PARSER_PATHS if (wheel / p).exists()), None)
    if found is None:
        raise SystemExit(f"{wheel}: no hermes_tool_parser.py (is it an unzipped vLLM wheel?)")

    def ours(name: str) -> bool:
        return name == "vllm" or name.startswith("vllm.")

    saved = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in saved:
        del sys.modules[name]
    aliased = importlib.util.find_spec("regex") is None
    if aliased:
        sys.modules["regex"] = re  # the patterns it compiles mean the same to re
    finder = _VllmStubs(wheel)
    sys.meta_path.insert(0, finder)
    try:
        spec = importlib.util.spec_from_file_location("hermes_under_test", found)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:  # the stand-ins stay with the loaded module, out of everyone else's way
        sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)
        if aliased:
            del sys.modules["regex"]
    return module.Hermes2ProToolParser


def streams() -> Iterator[tuple[str, list[str]]]:
    for calls, content in itertools.product(CALLS, CONTENTS):
        pieces = tokenize(content)
        for position, (name, arguments) in enumerate(calls):
            if position:
                pieces += tokenize("\n")
            block = f'\n{{"name": {json.dumps(name)}, "arguments": {json.dumps(arguments)}}}\n'
            pieces += [START, *tokenize(block), END]
        label = "+".join(name for name, _ in calls) + (" after content" if content else "")
        yield label, [*pieces, ""]  # the EOS step


def _state(parser: Any) -> tuple[Any, ...]:
    return (
        parser.current_tool_id,
        parser.current_tool_name_sent,
        parser.streamed_args_for_tool,
        parser.prev_tool_call_arr,
    )


def compare(real_class: Any, variant: HermesStream, pieces: list[str]) -> list[str]:
    """Step by step, the release's parser against the port: the differences found."""
    IDS.counter = itertools.count()
    real = real_class(Tokenizer())
    port = HermesParser(variant, (f"call-{n}" for n in itertools.count()))
    ids: dict[str, int] = dict(Tokenizer.VOCAB)
    takes_request = "request" in inspect.signature(real.extract_tool_calls_streaming).parameters
    previous_text, previous = "", list[str]()
    out: list[str] = []
    for step, piece in enumerate(pieces):
        token = ids.setdefault(piece, 10 + len(ids))
        current_text, current = previous_text + piece, [*previous, piece]
        arguments: list[Any] = [
            previous_text,
            current_text,
            piece,
            [ids[p] for p in previous],
            [ids[p] for p in current],
            [token],
        ]
        if takes_request:  # the request argument came with 0.6.2
            arguments.append(None)
        got = real.extract_tool_calls_streaming(*arguments)
        expected = None if got is None else got.model_dump(exclude_unset=True)
        for call in (expected or {}).get("tool_calls") or []:  # 0.6-0.8 wrap random_uuid()
            if isinstance(call.get("id"), str):
                call["id"] = call["id"].removeprefix("chatcmpl-tool-")
        mine = port.extract(previous_text, current_text, piece, previous, current, [piece])
        if mine != expected:
            out.append(f"step {step} {piece!r}: release {expected} vs port {mine}")
        if _state(real) != _state(port):
            out.append(f"step {step} {piece!r}: state {_state(real)} vs {_state(port)}")
        previous_text, previous = current_text, current
    return out


def release_of(wheel: Path) -> str:
    version = next(wheel.glob("vllm-*.dist-info"), None)
    if version is None:
        raise SystemExit(f"{wheel}: no vllm-*.dist-info")
    return version.name.removeprefix("vllm-").removesuffix(".dist-info")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    failed = 0
    for given in argv:
        wheel = Path(given)
        release = release_of(wheel)
        variant = resolve_vllm_profile(release, None)[0].knobs.hermes_stream
        if variant is HermesStream.REWRITTEN:
            print(f"{release}: the rewritten parser (0.20+), nothing ported to compare")
            continue
        real_class = load_parser(wheel)
        total = steps = 0
        for label, pieces in streams():
            found = compare(real_class, variant, pieces)
            total += 1
            steps += len(pieces)
            for line in found[:3]:
                print(f"{release} {label}: {line}")
            failed += bool(found)
        print(f"{release} ({variant}): {total} streams, {steps} steps compared")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
