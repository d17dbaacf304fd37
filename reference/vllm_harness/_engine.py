"""The engine client that stands in for vLLM's GPU engine: it yields scripted token outputs.

Runs inside the reference environment (vLLM installed). Everything that shapes the bytes on
the wire after ``generate()`` is the release's own serving code.
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import AsyncGenerator
from typing import Any

import orjson
from vllm.outputs import CompletionOutput, RequestOutput

try:
    from vllm.engine.protocol import EngineClient
except ImportError:  # before 0.6 the serving code takes an AsyncLLMEngine and only calls it
    EngineClient = object  # type: ignore[assignment,misc]
try:
    from vllm.sampling_params import RequestOutputKind

    DELTA: Any = RequestOutputKind.DELTA
except ImportError:  # before 0.6.2 every output is cumulative (V0's engine, step by step)
    DELTA = None

from fakes.model.script import Script, ScriptPlayer
from fakes.profiles import Knobs
from reference.vllm_harness._generation import (
    Step,
    engine_steps,
    generation,
    hermes_structural_tag,
    visible,
)

# (path, JSON body) of the request being served; set by RequestCapture
CURRENT: contextvars.ContextVar[tuple[str, dict[str, Any]]] = contextvars.ContextVar("current")


# V1's output processor always counts prefix-cache hits (an int, 0 here: nothing is cached);
# 0.10.1.1's /v1/responses refuses a None there (InputTokensDetails.cached_tokens); before 0.6
# RequestOutput has no such field
CACHED = (
    {"num_cached_tokens": 0}
    if "num_cached_tokens" in inspect.signature(RequestOutput.__init__).parameters
    else {}
)

SCRIPT_PATH = "/_harness/script"  # POST a Script: the engine plays it from the start


class RequestCapture:
    """Pure ASGI middleware: keeps the request path and JSON body for the engine, and answers
    the harness's own script route (never a vLLM route)."""

    def __init__(self, app: Any, engine: ScriptedEngine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        messages = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            parsed = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            parsed = {}
        if scope["path"] == SCRIPT_PATH:
            self.engine.player = ScriptPlayer(Script.model_validate(parsed))
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        CURRENT.set((scope["path"], parsed if isinstance(parsed, dict) else {}))

        async def replay() -> Any:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class EngineRequest(dict):  # type: ignore[type-arg]
    """The prompt as ``process_inputs`` hands it on: still the prompt dict, with the request
    fields the serving code reads (0.16 reads ``prompt_token_ids`` and sets
    ``reasoning_ended`` on vLLM's EngineCoreRequest)."""

    @property
    def prompt_token_ids(self) -> Any:
        return self.get("prompt_token_ids")


class PassThroughInputs:
    """From 0.12 the serving code hands the prompt to ``input_processor`` first."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def process_inputs(self, request_id: str, prompt: Any, params: Any, *a: Any, **k: Any) -> Any:
        return EngineRequest(prompt) if isinstance(prompt, dict) else prompt

    def clear_mm_cache(self) -> None:
        return None


class ScriptedEngine(EngineClient):
    def __init__(
        self,
        vllm_config: Any,
        tokenizer: Any,
        player: ScriptPlayer,
        knobs: Knobs,
        *,
        reasoning_parser: bool,
        auto_tools: bool,
    ) -> None:
        self.vllm_config = vllm_config
        self.model_config = vllm_config.model_config
        self.tokenizer = tokenizer
        self.input_processor = PassThroughInputs(tokenizer)
        self.processor = self.input_processor  # its name up to 0.11.1
        self.io_processor = None
        self.player = player
        self.knobs = knobs
        self.reasoning_parser = reasoning_parser
        self.auto_tools = auto_tools
        self.filler = tokenizer.encode("a", add_special_tokens=False)[0]
        self.vocabulary = tokenizer.get_vocab()

    def _token(self, piece: str | None) -> int:
        """The model token of one of the fake's pieces: the tiny tokenizer's vocabulary holds
        the fake's tokens whole (the tags included); an unseen word is its unknown token."""
        if piece is None:
            return int(self.tokenizer.eos_token_id)
        found = self.vocabulary.get(piece)
        if found is not None:
            return int(found)
        ids = self.tokenizer.encode(piece, add_special_tokens=False)
        return int(ids[0]) if ids else self.filler

    async def get_vllm_config(self) -> Any:  # before 0.11
        return self.vllm_config

    async def get_model_config(self) -> Any:  # before 0.11
        return self.model_config

    async def get_decoding_config(self) -> Any:  # before 0.6
        return self.vllm_config.decoding_config

    async def get_supported_tasks(self) -> tuple[str, ...]:
        return ("generate",)

    async def get_tokenizer(self, *args: Any, **kwargs: Any) -> Any:
        return self.tokenizer

    async def generate(  # type: ignore[override]
        self, prompt: Any, sampling_params: Any, request_id: str, *args: Any, **kwargs: Any
    ) -> AsyncGenerator[RequestOutput, None]:
        path, body = CURRENT.get()
        planned = generation(
            self.player,
            self.knobs,
            path=path,
            body=body,
            reasoning_parser=self.reasoning_parser,
            auto_tools=self.auto_tools,
            hermes_tag=hermes_structural_tag(sampling_params),
        )
        stop = list(sampling_params.stop or [])
        if sampling_params.include_stop_str_in_output:
            raise NotImplementedError("include_stop_str_in_output is not scripted")
        per_choice = [
            engine_steps(c, max_tokens=sampling_params.max_tokens, stop=stop)
            for c in planned.choices
        ]
        # prompt ids: the ones the release's own template and tokenizer made (the tiny
        # tokenizer counts as the fake does, _model_dir.py), else the length the fake counts
        given = prompt.get("prompt_token_ids") if isinstance(prompt, dict) else None
        prompt_ids = list(given) if given is not None else [self.filler] * planned.prompt_tokens
        text = prompt.get("prompt") if isinstance(prompt, dict) else None
        kind = getattr(sampling_params, "output_kind", None)
        if kind is None:  # before 0.6.2: V0's engine yields every step, cumulative
            for outputs, finished in self._cumulative_steps(per_choice, stop):
                yield RequestOutput(request_id, text, prompt_ids, None, outputs, finished)
            return
        if kind != DELTA:
            outputs = [self._final(i, steps) for i, steps in enumerate(per_choice)]
            yield RequestOutput(request_id, text, prompt_ids, None, outputs, True, **CACHED)
            return
        shown = [visible(steps, stop) for steps in per_choice]
        longest = max(len(steps) for steps in per_choice)
        for position in range(longest):  # choices advance together, one engine step at a time
            outputs = []
            for index, steps in enumerate(per_choice):
                if position >= len(steps):
                    continue
                step = steps[position]
                outputs.append(
                    CompletionOutput(
                        index=index,
                        text=shown[index][position],
                        token_ids=[self._token(step.piece)],
                        cumulative_logprob=None,
                        logprobs=None,
                        finish_reason=step.finish_reason,
                        stop_reason=step.stop_reason,
                    )
                )
            finished = position == longest - 1
            yield RequestOutput(request_id, text, prompt_ids, None, outputs, finished, **CACHED)

    def _cumulative_steps(
        self, per_choice: list[list[Step]], stop: list[str]
    ) -> list[tuple[list[CompletionOutput], bool]]:
        """V0's engine (0.4, 0.5): one output per step and choice, text and ids so far, the
        text short of the stop-string hold-back until the choice finishes
        (sequence.py get_output_text_to_return); a finished choice repeats its last output."""
        shown = [visible(steps, stop) for steps in per_choice]
        longest = max(len(steps) for steps in per_choice)
        out = []
        for position in range(longest):
            outputs = []
            for index, steps in enumerate(per_choice):
                at = min(position, len(steps) - 1)
                step = steps[at]
                outputs.append(
                    CompletionOutput(
                        index=index,
                        text="".join(shown[index][: at + 1]),
                        token_ids=[self._token(s.piece) for s in steps[: at + 1]],
                        cumulative_logprob=None,
                        logprobs=None,
                        finish_reason=step.finish_reason,
                        stop_reason=step.stop_reason,
                    )
                )
            out.append((outputs, position == longest - 1))
        return out

    def _final(self, index: int, steps: list[Step]) -> CompletionOutput:
        last = steps[-1]
        return CompletionOutput(
            index=index,
            text=last.text,
            token_ids=[self._token(step.piece) for step in steps],
            cumulative_logprob=None,
            logprobs=None,
            finish_reason=last.finish_reason,
            stop_reason=last.stop_reason,
        )

    # the rest of the EngineClient surface: nothing here runs a model
    async def abort(self, *args: Any, **kwargs: Any) -> None:
        return None

    @property
    def is_running(self) -> bool:
        return True

    @property
    def is_stopped(self) -> bool:
        return False

    @property
    def errored(self) -> bool:
        return False

    @property
    def dead_error(self) -> BaseException:
        return RuntimeError("the scripted engine never dies")

    async def is_tracing_enabled(self) -> bool:
        return False

    async def do_log_stats(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def check_health(self) -> None:
        return None

    async def start_profile(self) -> None:
        return None

    async def stop_profile(self) -> None:
        return None

    async def reset_mm_cache(self) -> None:
        return None

    async def reset_prefix_cache(self, *args: Any, **kwargs: Any) -> bool:
        return True

    async def sleep(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def wake_up(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def is_sleeping(self) -> bool:
        return False

    async def add_lora(self, *args: Any, **kwargs: Any) -> bool:
        return False

    async def pause_generation(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def resume_generation(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def is_paused(self) -> bool:
        return False

    def encode(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("pooling is not scripted")


def _no_op(*args: Any, **kwargs: Any) -> None:
    return None


# Newer releases add abstract methods (checkpoints, KV transfer, shutdown ...): none of them
# shapes a response, so each is a no-op here.
for _name in getattr(EngineClient, "__abstractmethods__", ()):
    if _name not in ScriptedEngine.__dict__:
        setattr(ScriptedEngine, _name, _no_op)
ScriptedEngine.__abstractmethods__ = frozenset()
