"""Serve the installed vLLM release's own OpenAI-compatible app with a scripted engine.

Runs INSIDE the reference environment (``.venv-vllm-X``: that release, torch on the CPU, and
llm-fakes installed without dependencies)::

    python -m reference.vllm_harness.serve --port 8001 --state DIR [--script FILE] \\
        -- --served-model-name fake-model --enable-auto-tool-choice --tool-call-parser hermes

Everything after ``--`` is a vLLM CLI flag. No weights, no GPU: a tiny model directory (built
once under DIR), and an engine client that plays the fake's script as model tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import inspect
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from fakes.model.script import Script, ScriptPlayer
from fakes.profiles import resolve_vllm_profile
from reference.vllm_harness import _layout_init_app, _layout_pre06, _layout_v0, _model_dir

MODEL_DIR = "tiny-model"  # relative to --state: /v1/models "root" names no machine path


def _cpu_platform() -> bool:
    """Whether the release has a CPU platform (set as the current one)."""
    # Building the CLI parser and VllmConfig infers a device; without a GPU it fails.
    try:
        import vllm.platforms as platforms
        from vllm.platforms.cpu import CpuPlatform
    except ImportError:  # before 0.6.1: no CPU platform; the device is a flag (PRE_06_DEFAULTS)
        return False
    platforms._current_platform = CpuPlatform()
    _torch_cpu_probe()
    # 0.34 refuses an x86 CPU config without triton-cpu; no kernel ever runs here
    try:
        import vllm.triton_utils as triton_utils

        triton_utils.HAS_TRITON = True
    except ImportError:
        pass
    return True


def _torch_cpu_probe() -> None:
    """0.17's CpuPlatform.import_kernels asks ``torch._C._cpu._is_avx512_supported()`` (the
    torch it pins has it there); the torch here has it only as ``torch.cpu``'s, which 0.19
    calls. It only picks which kernel library to try to load; no kernel runs."""
    import torch

    probes = torch._C._cpu
    if not hasattr(probes, "_is_avx512_supported"):
        setattr(probes, "_is_avx512_supported", torch.cpu._is_avx512_supported)  # noqa: B010


def _layout() -> dict[str, Any]:
    """The release's entry points (they moved in 0.33; before 0.6 its __main__ block)."""
    if _layout_pre06.serves_in_main():
        return {"new": False, "pre06": True}
    if _layout_init_app.builds_app_in_init():  # 0.5.4-0.6.1
        from vllm.entrypoints.openai.cli_args import make_arg_parser

        return {"new": False, "pre06": False, "init_app": True, "parser": make_arg_parser}
    try:
        from vllm.entrypoints.openai.api_server import build_app, init_app_state
        from vllm.entrypoints.openai.cli_args import make_arg_parser

        return {
            "new": False,
            "pre06": False,
            "build": build_app,
            "init": init_app_state,
            "parser": make_arg_parser,
        }
    except ImportError:
        from vllm.entrypoints.launchers.api_server.app_state import (
            init_app_state,
        )
        from vllm.entrypoints.launchers.app import build_app

        parser = _launcher_arg_parser()
        return {
            "new": True,
            "pre06": False,
            "build": build_app,
            "init": init_app_state,
            "parser": parser,
        }


def _launcher_arg_parser() -> Any:
    """make_arg_parser beside the launchers (0.30) or in entrypoints.common (0.33)."""
    try:
        from vllm.entrypoints.common.cli_args import make_arg_parser
    except ImportError:
        from vllm.entrypoints.launchers.cli_args import make_arg_parser
    return make_arg_parser


def _arg_parser(layout: dict[str, Any]) -> Any:
    try:
        from vllm.utils.argparse_utils import FlexibleArgumentParser
    except ImportError:  # before 0.11
        from vllm.utils import FlexibleArgumentParser
    return layout["parser"](FlexibleArgumentParser())


def _vllm_config(args: Any) -> Any:
    # the release's own path from CLI flags to VllmConfig (it also hands --reasoning-parser
    # to the structured-outputs config the serving classes read)
    from vllm.engine.arg_utils import AsyncEngineArgs

    return AsyncEngineArgs.from_cli_args(args).create_engine_config()


DEFAULTS = {"--dtype": "float32", "--max-model-len": "8192"}  # the fake's max_model_len
# without a CPU platform (before 0.6.1) DeviceConfig("auto") infers "cuda" unless the wheel's
# version says "cpu"
PRE_06_DEFAULTS = {**DEFAULTS, "--device": "cpu"}


def _renderer(config: Any) -> Any:
    try:
        from vllm.renderers.registry import renderer_from_config
    except ImportError:
        return None
    return renderer_from_config(_renderer_config(renderer_from_config, config))


def _renderer_config(renderer_from_config: Any, config: Any) -> Any:
    """0.16 builds the renderer from the ModelConfig; 0.33 from the whole VllmConfig."""
    first = next(iter(inspect.signature(renderer_from_config).parameters.values()))
    return config.model_config if "ModelConfig" in str(first.annotation) else config


def _build_app(layout: dict[str, Any], args: Any, engine: Any, config: Any) -> Any:
    if not layout["new"]:
        return layout["build"](args)
    wanted = inspect.signature(layout["build"]).parameters
    extra = {"supported_tasks": ("generate",), "model_config": config.model_config}
    return layout["build"](args, **{k: v for k, v in extra.items() if k in wanted})


async def build(state: Path, script: Script, vllm_flags: list[str]) -> Any:
    """The release's own app around a scripted engine (cwd must be ``state``)."""
    _layout_v0.hide_core_extension()
    _layout_pre06.airport_codes()
    has_cpu_platform = _cpu_platform()
    _layout_v0.cpu_platform()
    _layout_v0.inspect_models_in_process()
    _model_dir.build(state / MODEL_DIR)

    from reference.vllm_harness._engine import RequestCapture, ScriptedEngine

    layout = _layout()
    parser = _layout_pre06.arg_parser() if layout["pre06"] else _arg_parser(layout)
    vllm_flags = _layout_v0.reasoning_flags(vllm_flags)
    given = DEFAULTS if has_cpu_platform else PRE_06_DEFAULTS
    defaults = [x for k, v in given.items() if k not in vllm_flags for x in (k, v)]
    argv = ["--model", MODEL_DIR, *defaults, *vllm_flags]
    args = parser.parse_args(argv)
    config = _vllm_config(args)
    renderer = _renderer(config)
    if renderer is not None:  # 0.33+: the engine client carries the release's renderer
        tokenizer = renderer.tokenizer
    else:
        try:
            from vllm.tokenizers import get_tokenizer
        except ImportError:  # before 0.12
            from vllm.transformers_utils.tokenizer import get_tokenizer

        tokenizer = get_tokenizer(MODEL_DIR)
    # the installed distribution's version: 0.6.3's vllm.__version__ is "dev"
    profile, _ = resolve_vllm_profile(importlib.metadata.version("vllm"), None)
    engine = ScriptedEngine(
        config,
        tokenizer,
        ScriptPlayer(script),
        profile.knobs,
        reasoning_parser=bool(getattr(args, "reasoning_parser", None)),  # none before 0.7
        # no tool parsers before 0.6
        auto_tools=bool(
            getattr(args, "enable_auto_tool_choice", False)
            and getattr(args, "tool_call_parser", None)
        ),
    )
    if renderer is not None:
        engine.renderer = renderer
    if layout["pre06"]:  # its __main__ block, run in a thread (it runs its own event loop)
        app = await asyncio.to_thread(_layout_pre06.own_app, engine, argv)
        return RequestCapture(app, engine)
    if layout.get("init_app"):  # 0.5.4-0.6.1: init_app builds the app and its serving objects
        return RequestCapture(await _layout_init_app.own_app(engine, args), engine)
    app = _build_app(layout, args, engine, config)
    wanted = inspect.signature(layout["init"]).parameters
    if _layout_v0.takes_model_config(layout["init"]):  # 0.6
        await _layout_v0.init_app_state(layout["init"], engine, config, app.state, args)
    elif "vllm_config" in wanted:  # before 0.11
        await layout["init"](engine, config, app.state, args)
    elif "supported_tasks" in wanted:
        await layout["init"](engine, app.state, args, supported_tasks=("generate",))
    else:
        await layout["init"](engine, app.state, args)
    return RequestCapture(app, engine)


def load_script(path: str | None) -> Script:
    if path is None:
        return Script()
    return Script.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ours, vllm_flags = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    options = argparse.ArgumentParser(prog="reference.vllm_harness.serve")
    options.add_argument("--port", type=int, required=True)
    options.add_argument("--state", required=True, help="directory for the tiny model")
    options.add_argument("--script", help="the fake's Script (YAML or JSON)")
    parsed = options.parse_args(ours)
    script = load_script(parsed.script)
    state = Path(parsed.state).resolve()
    state.mkdir(parents=True, exist_ok=True)
    os.chdir(state)
    asyncio.run(_serve(state, script, vllm_flags, parsed.port))
    return 0


async def _serve(state: Path, script: Script, vllm_flags: list[str], port: int) -> None:
    import uvicorn

    app = await build(state, script, vllm_flags)  # in the loop that serves it
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    await uvicorn.Server(config).serve()


if __name__ == "__main__":
    sys.exit(main())
