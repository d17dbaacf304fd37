"""A scripted stand-in for SGLang's TokenizerManager: ``generate_request`` yields what the
fake would say (fakes.sglang._plan, same script, same inputs) the way the real manager hands
detokenized output to the serving layer: one dict per engine step with the cumulative text,
the EOS step last (no new text, finish_reason {"type": "stop", "matched": <eos id>})."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

from fakes.model.script import Script, ScriptPlayer
from fakes.sglang._plan import Plan, plan_reply


def _finish(plan: Plan) -> dict[str, Any]:
    if plan.finish == "length":
        return {"type": "length", "length": plan.completion_tokens}
    return {"type": plan.finish, "matched": plan.matched}


class ScriptedTokenizerManager:
    def __init__(
        self, server_args: Any, tokenizer: Any, model_config: Any, script: Script, eos_id: int
    ) -> None:
        self.server_args = server_args
        self.tokenizer = tokenizer
        self.model_config = model_config
        self.model_path = server_args.model_path
        self.served_model_name = server_args.served_model_name
        self.player = ScriptPlayer(script)
        self.eos_id = eos_id
        self.request_logger = SimpleNamespace(log_requests=False, log_requests_level=0)
        self.is_generation = True
        self.is_image_gen = False  # 0.5.2 health_generate reads it
        # what http_server's /health (health_generate) reads and writes
        self.gracefully_exit = False
        self.server_status: Any = None  # serve.py sets ServerStatus.Up
        self.last_receive_tstamp = 0.0
        self.rid_to_state: dict[str, Any] = {}

    def config_value(self, name: str) -> Any:
        return getattr(self.server_args, name, None)

    def create_abort_task(self, obj: Any) -> None:
        return None

    async def _plan(self, raw_request: Any) -> Plan:
        body = json.loads(await raw_request.body())
        reply = self.player.choose(body, raw_request.url.path)
        return plan_reply(
            reply,
            self.player,
            body,
            eos_token_id=self.eos_id,
            tool_parser=self.server_args.tool_call_parser is not None,
            reasoning_parser=self.server_args.reasoning_parser is not None
            and body.get("separate_reasoning", True) is not False,
        )

    async def generate_request(self, obj: Any, raw_request: Any) -> AsyncIterator[dict[str, Any]]:
        if raw_request.method == "GET":  # /health generates one token: the engine answered
            self.last_receive_tstamp = time.time()
            yield {"text": "", "meta_info": {"id": obj.rid, "finish_reason": None}, "index": 0}
            return
        plan = await self._plan(raw_request)
        rid = uuid.uuid4().hex  # GenerateReqInput.normalize: rid = uuid.uuid4().hex
        pieces = plan.pieces
        steps = pieces + ([""] if plan.finish == "stop" else [])

        def meta(done: int, finish: dict[str, Any] | None) -> dict[str, Any]:
            return {
                "id": rid,
                "prompt_tokens": plan.prompt_tokens,
                "completion_tokens": done,
                "cached_tokens": 0,
                "reasoning_tokens": 0,
                "weight_version": "default",
                "finish_reason": finish,
            }

        if not getattr(obj, "stream", False):
            yield {
                "text": "".join(pieces),
                "output_ids": list(range(plan.completion_tokens)),
                "meta_info": meta(plan.completion_tokens, _finish(plan)),
                "index": 0,
            }
            return
        text = ""
        for position, piece in enumerate(steps):
            text += piece
            last = position == len(steps) - 1
            yield {
                "text": text,
                "output_ids": list(range(position + 1)),
                "meta_info": meta(position + 1, _finish(plan) if last else None),
                "index": 0,
            }
