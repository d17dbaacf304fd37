"""Chat messages validated as vLLM 0.4-0.6 validate them (knob ``chat_message_union``).

``ChatCompletionRequest.messages`` is ``List[ChatCompletionMessageParam]``: the union of
openai-python's five message TypedDicts and vLLM's ``CustomChatCompletionMessageParam``
(0.6.4 entrypoints/chat_utils.py:112-134, 0.5.3 chat_utils.py:39-55, 0.4.3
openai/protocol.py:17-44), under the request model's ``extra='forbid'``, which reaches every
TypedDict without a config of its own. A message no member takes (a key none of them has, a
value of the wrong type) is a 400 listing pydantic's errors for every member in order.

The members are mirrored here as data, from the openai-python release each recorded
environment had (the newest its constraints file allows), and checked the way pydantic-core
checks them, so the text does not depend on the pydantic installed beside the fake: fields in
declaration order (a missing required one reports the whole message), then the extra keys in
the message's order; union members labelled as pydantic < 2.10 labels them (``typed-dict``,
``str``, ``generator[...]``, ``list[...]``); ``Iterable`` fields are lazy (any list passes,
its items are not checked), ``List`` fields check every item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from fakes.profiles import ChatMessageUnion

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Str:
    pass


@dataclass(frozen=True)
class Lit:
    values: tuple[str, ...]


@dataclass(frozen=True)
class Nullable:
    inner: Kind


@dataclass(frozen=True)
class OneOf:
    members: tuple[Kind, ...]


@dataclass(frozen=True)
class Iter:
    """``Iterable[X]``: pydantic validates its items lazily, when the caller iterates."""

    item: Kind


@dataclass(frozen=True)
class Many:
    """``List[X]``: every item checked."""

    item: Kind


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    required: bool = False


@dataclass(frozen=True)
class Dict:
    """A TypedDict; ``extra_allowed`` when its own ``__pydantic_config__`` says so."""

    fields: tuple[Field, ...]
    extra_allowed: bool = False


Kind = Str | Lit | Nullable | OneOf | Iter | Many | Dict


def label(kind: Kind) -> str:
    """The name pydantic < 2.10 gives a union member in an error's location."""
    if isinstance(kind, Str):
        return "str"
    if isinstance(kind, Dict):
        return "typed-dict"
    if isinstance(kind, Iter):
        return f"generator[{label(kind.item)}]"
    if isinstance(kind, Many):
        return f"list[{label(kind.item)}]"
    if isinstance(kind, OneOf):
        return f"union[{','.join(label(m) for m in kind.members)}]"
    if isinstance(kind, Nullable):
        return f"nullable[{label(kind.inner)}]"
    return "literal[" + ",".join(repr(v) for v in kind.values) + "]"


_STR = "Input should be a valid string"


def _error(kind: str, msg: str, value: Any, loc: Loc = (), **ctx: str) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx:
        error["ctx"] = ctx
    return error


def _expected(values: Sequence[str]) -> str:
    quoted = [repr(v) for v in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _within(step: str | int, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "loc": (step, *e["loc"])} for e in errors]


def errors(kind: Kind, value: Any) -> list[dict[str, Any]]:
    """pydantic's errors for ``value`` against ``kind``, locations relative to it; [] if valid."""
    if isinstance(kind, Str):
        return [] if isinstance(value, str) else [_error("string_type", _STR, value)]
    if isinstance(kind, Lit):
        if isinstance(value, str) and value in kind.values:
            return []
        expected = _expected(kind.values)
        return [_error("literal_error", f"Input should be {expected}", value, expected=expected)]
    if isinstance(kind, Nullable):
        return [] if value is None else errors(kind.inner, value)
    if isinstance(kind, OneOf):
        found: list[dict[str, Any]] = []
        for member in kind.members:
            own = errors(member, value)
            if not own:
                return []
            found.extend(_within(label(member), own))
        return found
    if isinstance(kind, Iter):
        iterable = isinstance(value, list | dict | str)
        return [] if iterable else [_error("iterable_type", "Input should be iterable", value)]
    if isinstance(kind, Many):
        if not isinstance(value, list):
            return [_error("list_type", "Input should be a valid list", value)]
        return [e for i, item in enumerate(value) for e in _within(i, errors(kind.item, item))]
    return _typed_dict(kind, value)


def _typed_dict(kind: Dict, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, dict):
        return [_error("dict_type", "Input should be a valid dictionary", value)]
    found: list[dict[str, Any]] = []
    for field in kind.fields:
        if field.name in value:
            found.extend(_within(field.name, errors(field.kind, value[field.name])))
        elif field.required:
            found.append(_error("missing", "Field required", value, (field.name,)))
    if not kind.extra_allowed:
        names = {field.name for field in kind.fields}
        found.extend(
            _error("extra_forbidden", "Extra inputs are not permitted", v, (k,))
            for k, v in value.items()
            if k not in names
        )
    return found


def _required(name: str, kind: Kind) -> Field:
    return Field(name, kind, required=True)


def _role(name: str) -> Field:
    return _required("role", Lit((name,)))


# openai-python's content parts and nested TypedDicts (openai/types/chat/)
TEXT = Dict((_required("text", Str()), _required("type", Lit(("text",)))))
IMAGE = Dict(
    (
        _required(
            "image_url",
            Dict((_required("url", Str()), Field("detail", Lit(("auto", "low", "high"))))),
        ),
        _required("type", Lit(("image_url",))),
    )
)
INPUT_AUDIO = Dict(  # 1.54
    (
        _required(
            "input_audio",
            Dict((_required("data", Str()), _required("format", Lit(("wav", "mp3"))))),
        ),
        _required("type", Lit(("input_audio",))),
    )
)
REFUSAL = Dict((_required("refusal", Str()), _required("type", Lit(("refusal",)))))  # 1.51
FUNCTION_CALL = Dict((_required("arguments", Str()), _required("name", Str())))
TOOL_CALL = Dict(
    (
        _required("id", Str()),
        _required("function", FUNCTION_CALL),
        _required("type", Lit(("function",))),
    )
)
ASSISTANT_AUDIO = Dict((_required("id", Str()),))  # 1.54


@dataclass(frozen=True)
class OpenAI:
    """What differs between the openai-python releases the recorded environments had."""

    parts: tuple[Kind, ...]  # ChatCompletionContentPartParam
    text_only_lists: bool  # system and tool content: str | Iterable[text part] (1.51)
    function_call_nullable: bool  # assistant function_call: Optional (1.37)
    assistant_parts: bool  # assistant content may be a list, and a refusal field (1.51)
    assistant_audio: bool  # assistant audio field (1.54)

    def messages(self) -> tuple[Kind, ...]:
        """System, user, assistant, tool and function, in ChatCompletionMessageParam's order."""
        plain: Kind = OneOf((Str(), Iter(TEXT))) if self.text_only_lists else Str()
        user_content = OneOf((Str(), Iter(OneOf(self.parts))))
        function_call: Kind = (
            Nullable(FUNCTION_CALL) if self.function_call_nullable else FUNCTION_CALL
        )
        assistant: list[Field] = [_role("assistant")]
        if self.assistant_audio:
            assistant.append(Field("audio", Nullable(ASSISTANT_AUDIO)))
        if self.assistant_parts:
            content: Kind = Nullable(OneOf((Str(), Iter(OneOf((TEXT, REFUSAL))))))
        else:
            content = Nullable(Str())
        assistant += [Field("content", content), Field("function_call", function_call)]
        assistant.append(Field("name", Str()))
        if self.assistant_parts:
            assistant.append(Field("refusal", Nullable(Str())))
        assistant.append(Field("tool_calls", Iter(TOOL_CALL)))
        return (
            Dict((_required("content", plain), _role("system"), Field("name", Str()))),
            Dict((_required("content", user_content), _role("user"), Field("name", Str()))),
            Dict(tuple(assistant)),
            Dict((_required("content", plain), _role("tool"), _required("tool_call_id", Str()))),
            Dict(
                (
                    _required("content", Nullable(Str())),
                    _required("name", Str()),
                    _role("function"),
                )
            ),
        )


OPENAI_1_30 = OpenAI((TEXT, IMAGE), False, False, False, False)
OPENAI_1_37 = OpenAI((TEXT, IMAGE), False, True, False, False)
OPENAI_1_51 = OpenAI((TEXT, IMAGE), True, True, True, False)
OPENAI_1_54 = OpenAI((TEXT, IMAGE, INPUT_AUDIO), True, True, True, True)

# vLLM's own content parts (entrypoints/chat_utils.py)
CUSTOM_PART = Dict((_required("type", Str()),), extra_allowed=True)  # its own extra='allow'
AUDIO_PART = Dict(
    (
        _required("audio_url", Dict((_required("url", Str()),))),
        _required("type", Lit(("audio_url",))),
    )
)
VIDEO_PART = Dict(
    (
        _required("video_url", Dict((_required("url", Str()),))),
        _required("type", Lit(("video_url",))),
    )
)


def _custom(parts: tuple[Kind, ...], tool_fields: bool) -> Dict:
    """CustomChatCompletionMessageParam: any role (0.6 adds tool_call_id and tool_calls)."""
    fields = [
        _required("role", Str()),
        Field("content", OneOf((Str(), Many(OneOf(parts))))),
        Field("name", Str()),
    ]
    if tool_fields:
        fields += [
            Field("tool_call_id", Nullable(Str())),
            Field("tool_calls", Nullable(Iter(TOOL_CALL))),
        ]
    return Dict(tuple(fields))


def _union(openai: OpenAI, custom: Dict) -> OneOf:
    return OneOf((*openai.messages(), custom))


UNIONS: dict[ChatMessageUnion, OneOf] = {
    # 0.4.3 openai/protocol.py:17-44 with openai 1.30.5. pydantic 2.7 resolves the user
    # message's forward reference "ChatCompletionContentPartParam" in the namespace of the
    # module that defines the request model, where 0.4.3's protocol.py:24 binds that name to its
    # own union with the custom part: the user content's Iterable is of three members
    ChatMessageUnion.VLLM_0_4_OPENAI_1_30: _union(
        replace(OPENAI_1_30, parts=(*OPENAI_1_30.parts, CUSTOM_PART)),
        _custom((*OPENAI_1_30.parts, CUSTOM_PART), tool_fields=False),
    ),
    # 0.5.3 chat_utils.py:28-55 with openai 1.37.2
    ChatMessageUnion.VLLM_0_5_OPENAI_1_37: _union(
        OPENAI_1_37, _custom((*OPENAI_1_37.parts, CUSTOM_PART), tool_fields=False)
    ),
    # 0.5.5 chat_utils.py:31-70 with openai 1.37.2: vLLM's audio_url part joins the custom
    # message's parts, between openai's and the custom part (the user message's stay openai's)
    ChatMessageUnion.VLLM_0_5_5_OPENAI_1_37: _union(
        OPENAI_1_37, _custom((*OPENAI_1_37.parts, AUDIO_PART, CUSTOM_PART), tool_fields=False)
    ),
    # 0.6.2 chat_utils.py:48-90 (the same in 0.6.0-0.6.3.post1) with openai 1.51.2
    ChatMessageUnion.VLLM_0_6_0_OPENAI_1_51: _union(
        OPENAI_1_51,
        _custom((*OPENAI_1_51.parts, AUDIO_PART, REFUSAL, CUSTOM_PART), tool_fields=True),
    ),
    # 0.6.4 chat_utils.py:42-134 with openai 1.54.5
    ChatMessageUnion.VLLM_0_6_4_OPENAI_1_54: _union(
        OPENAI_1_54,
        _custom(
            (
                *OPENAI_1_54.parts,
                AUDIO_PART,
                VIDEO_PART,
                REFUSAL,
                Dict((_required("image_url", Str()),)),
                Dict((_required("audio_url", Str()),)),
                Dict((_required("video_url", Str()),)),
                Str(),
            ),
            tool_fields=True,
        ),
    ),
}


def message_errors(union: ChatMessageUnion, messages: list[Any]) -> list[dict[str, Any]]:
    """pydantic's errors for ``body.messages`` (a list) under ``union``; [] when all pass."""
    kind = UNIONS.get(union)
    if kind is None:
        return []
    return [
        {**e, "loc": ("body", "messages", i, *e["loc"])}
        for i, message in enumerate(messages)
        for e in errors(kind, message)
    ]
