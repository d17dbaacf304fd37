"""``serve vllm``'s options as one value: the command builds its config from them, and with
``--workers N`` each uvicorn worker rebuilds the same config from them (an environment variable
carries them, since uvicorn starts workers from an import string)."""

from __future__ import annotations

import gc
import os

from pydantic import BaseModel, ConfigDict
from starlette.applications import Starlette

from fakes.model.script import load_script
from fakes.model.timing import timing_of
from fakes.profiles import resolve_vllm_profile
from fakes.vllm import VllmConfig, create_vllm_app
from fakes.vllm._fastapi import SITE_PACKAGES

WORKER_OPTIONS = "LLM_FAKES_VLLM_OPTIONS"


class VllmOptions(BaseModel):
    """``serve vllm``'s options (less host, port and workers), as a worker receives them."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    release: str | None = None
    profile: str | None = None
    model_path: str | None = None
    served: tuple[str, ...] = ()
    api_keys: tuple[str, ...] = ()
    enable_auto_tool_choice: bool = False
    tool_call_parser: str | None = None
    reasoning_parser: str | None = None
    max_num_seqs: int = 256
    max_model_len: int = 8192
    ttft: float = 0.0
    itl: float = 0.0
    jitter: float = 0.0
    seed: int = 0
    script_path: str | None = None
    fastapi: str | None = None
    site_packages: str | None = None
    no_control_plane: bool = False
    control_token: str | None = None
    log_limit: int = 1000
    recordings_dir: str = "recordings"
    replica_name: str | None = None
    no_fast_path: bool = False

    def config(self) -> VllmConfig:
        from fakes.vllm import VllmConfig

        chosen, version = resolve_vllm_profile(self.release, self.profile)
        return VllmConfig(
            profile=chosen,
            version=version,
            served_model_names=self.served
            or ((self.model_path,) if self.model_path else ("fake-model",)),
            model_path=self.model_path,
            api_keys=self.api_keys,
            enable_auto_tool_choice=self.enable_auto_tool_choice,
            tool_call_parser=self.tool_call_parser,
            reasoning_parser=self.reasoning_parser,
            max_num_seqs=self.max_num_seqs,
            max_model_len=self.max_model_len,
            timing=timing_of(self.ttft, self.itl, self.jitter, self.seed),
            script=load_script(self.script_path),
            fastapi=self.fastapi,
            site_packages=self.site_packages or SITE_PACKAGES,
            control_plane=not self.no_control_plane,
            control_token=self.control_token,
            log_limit=self.log_limit,
            recordings_dir=self.recordings_dir,
            replica_name=self.replica_name,
            fast_path=not self.no_fast_path,
        )


def vllm_worker_app() -> Starlette:
    """The app factory ``serve vllm --workers N`` hands to uvicorn (one call per worker)."""

    app = create_vllm_app(VllmOptions.model_validate_json(os.environ[WORKER_OPTIONS]).config())
    gc.freeze()  # as ``serve vllm`` does (fakes/cli/_collector.py): no full collection first
    return app
