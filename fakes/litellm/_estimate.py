"""The proxy's own usage estimate when an upstream reports none: litellm's token counter.

LiteLLM counts a model it does not know (``hosted_vllm/...``) with tiktoken's ``cl100k_base``
encoding, which it ships inside its wheel so that nothing is downloaded; the fake ships the
same file (``data/cl100k_base.tiktoken.gz``, checked against tiktoken's published hash).
Messages: 3 tokens each, plus their string fields, ``name`` one more, tool-call arguments and
text parts; then 3 for the reply primer, the tool definitions in OpenAI's ``namespace
functions`` form plus 9 (4 fewer beside a system message), and 1 or 7 + name for a
``tool_choice`` of ``none`` or a named function (``litellm_core_utils/token_counter.py``,
1.74.15 and 1.110.2). 1.110 encodes long texts in 1024-character pieces.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import tiktoken

ENCODING_FILE = Path(__file__).parent / "data" / "cl100k_base.tiktoken.gz"
ENCODING_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
# tiktoken_ext.openai_public.cl100k_base
_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMER = 3
TOOL_DEFINITIONS = 9
SYSTEM_DISCOUNT = 4
TEXT_BLOCKS = {"text": "text", "thinking": "thinking"}


@functools.cache
def encoding() -> tiktoken.Encoding:
    raw = gzip.decompress(ENCODING_FILE.read_bytes())
    if hashlib.sha256(raw).hexdigest() != ENCODING_SHA256:
        raise RuntimeError(f"{ENCODING_FILE.name} is not tiktoken's cl100k_base")
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in raw.splitlines() if line)
    }
    return tiktoken.Encoding(
        name="cl100k_base", pat_str=_PATTERN, mergeable_ranks=ranks, special_tokens=_SPECIAL
    )


class CountFailed(ValueError):
    """1.74 encodes with tiktoken's default: special-token text raises."""


def count(text: str, chunk: int | None = None, strict: bool = False) -> int:
    """Tokens of ``text``; ``chunk``: encode in pieces of that many characters (1.110);
    ``strict``: special-token text fails the count, as in 1.74."""
    if strict and any(special in text for special in _SPECIAL):
        raise CountFailed(text)
    encode = encoding().encode_ordinary
    if chunk is None:
        return len(encode(text))
    return sum(len(encode(text[i : i + chunk])) for i in range(0, len(text), chunk))


def _content(value: Iterable[Any], chunk: int | None, strict: bool) -> int:
    total = 0
    for part in value:
        if isinstance(part, str):
            total += count(part, chunk, strict)
        elif isinstance(part, Mapping) and part.get("type") in TEXT_BLOCKS:
            total += count(str(part.get(TEXT_BLOCKS[part["type"]]) or ""), chunk, strict)
    return total


def _message(message: Mapping[str, Any], chunk: int | None, strict: bool) -> int:
    total = TOKENS_PER_MESSAGE
    for key, value in message.items():
        if value is None:
            continue
        if key == "tool_calls" and isinstance(value, list):
            for call in value:
                function = call.get("function") if isinstance(call, Mapping) else None
                if isinstance(function, Mapping):
                    total += count(str(function.get("arguments", "")), chunk, strict)
        elif isinstance(value, str):
            total += count(value, chunk, strict) + (TOKENS_PER_NAME if key == "name" else 0)
        elif key == "content" and isinstance(value, list):
            total += _content(value, chunk, strict)
    return total


def _type(props: Any, indent: int) -> str:
    if not isinstance(props, Mapping):
        return "any"
    kind, enum = props.get("type"), props.get("enum")
    if kind in ("string", "integer", "number"):
        if isinstance(enum, list):
            return " | ".join(f'"{item}"' for item in enum)
        return "string" if kind == "string" else "number"
    if kind == "array":
        return f"{_type(props.get('items'), indent)}[]"
    if kind == "object":
        return f"{{\n{_object(props, indent + 2)}\n}}"
    return kind if kind in ("boolean", "null") else "any"


def _object(parameters: Mapping[str, Any], indent: int) -> str:
    properties = parameters.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        return ""
    required = parameters.get("required")
    needed = tuple(required) if isinstance(required, list) else ()
    lines = []
    for key, props in properties.items():
        description = props.get("description") if isinstance(props, Mapping) else None
        if description:
            lines.append(f"// {description}")
        lines.append(f"{key}{'' if key in needed else '?'}: {_type(props, indent)},")
    return "\n".join(" " * max(0, indent) + line for line in lines)


def functions_text(tools: Sequence[Any]) -> str:
    """OpenAI's rendering of function tools, as litellm reconstructs it."""
    lines = ["namespace functions {", ""]
    for tool in tools:
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(function, Mapping):
            continue
        if description := function.get("description"):
            lines.append(f"// {description}")
        name = function.get("name")
        parameters = function.get("parameters") or {}
        properties = parameters.get("properties") if isinstance(parameters, Mapping) else None
        if properties:
            lines += [f"type {name} = (_: {{", _object(parameters, 0), "}) => any;"]
        else:
            lines.append(f"type {name} = () => any;")
        lines.append("")
    lines.append("} // namespace functions")
    return "\n".join(lines)


def _tool_choice(choice: Any, chunk: int | None, strict: bool) -> int:
    if choice == "none" or (isinstance(choice, Mapping) and choice.get("type") == "none"):
        return 1
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
        if isinstance(name, str):
            return 7 + count(name, chunk, strict)
    return 0


def prompt_tokens(body: Mapping[str, Any], chunk: int | None = None, strict: bool = False) -> int:
    """The prompt estimate for a chat request body; 0 where litellm's count fails."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, Mapping)]
    if not messages:
        return 0
    try:
        total = sum(_message(m, chunk, strict) for m in messages) + REPLY_PRIMER
        tools = body.get("tools")
        if isinstance(tools, list) and tools:
            total += count(functions_text(tools), chunk, strict) + TOOL_DEFINITIONS
            if any(m.get("role") == "system" for m in messages):
                total -= SYSTEM_DISCOUNT
        return total + _tool_choice(body.get("tool_choice"), chunk, strict)
    except CountFailed:  # "token_counter failed, assuming prompt tokens is 0"
        return 0


def completion_tokens(text: str, chunk: int | None = None) -> int:
    """The completion estimate: the streamed text, no per-message overhead."""
    return count(text, chunk)
