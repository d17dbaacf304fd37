"""Serve an SGLang release's own FastAPI app (http_server.app: its routes, exception handlers
and OpenAIServingChat) with a scripted tokenizer manager. Runs inside the release's
environment: ``python -m reference.sglang_harness.serve --port P [--tool-call-parser X]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import SimpleNamespace


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--script", help="a script JSON file (default: the fake's default)")
    parser.add_argument("--tool-call-parser")
    parser.add_argument("--reasoning-parser")
    parser.add_argument("--served-model-name", default="fake-model")
    parser.add_argument("--eos-token-id", type=int, default=151645)
    args = parser.parse_args(argv)

    from reference.sglang_harness import _stubs

    _stubs.install()
    _stubs.stub_modules("sglang.srt.entrypoints.engine")

    import uvicorn
    from transformers import AutoTokenizer

    from fakes.model.script import Script
    from reference.sglang_harness._engine import ScriptedTokenizerManager
    from reference.vllm_harness import _model_dir

    model_dir = _model_dir.build(Path(args.model_dir))
    from sglang.srt.entrypoints import http_server
    from sglang.srt.entrypoints.openai.serving_chat import OpenAIServingChat
    from sglang.srt.server_args import ServerArgs

    server_args = ServerArgs(
        model_path=str(model_dir),
        served_model_name=args.served_model_name,
        tool_call_parser=args.tool_call_parser,
        reasoning_parser=args.reasoning_parser,
        device="cpu",
    )
    try:  # 0.5.3 on: a process-wide runtime context holds the server args
        from sglang.srt.runtime_context import get_context

        get_context().set_server_args(server_args)
    except ImportError:  # 0.5.2: the tokenizer manager's server_args is all there is
        pass
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model_config = SimpleNamespace(
        context_len=32768,
        hf_config=SimpleNamespace(model_type="llama", architectures=["LlamaForCausalLM"]),
        get_default_sampling_params=lambda: {},
        is_image_understandable_model=False,
        is_audio_understandable_model=False,
        is_multimodal=False,
    )
    script = (
        Script.model_validate(json.loads(Path(args.script).read_text()))
        if args.script
        else Script()
    )
    manager = ScriptedTokenizerManager(
        server_args, tokenizer, model_config, script, args.eos_token_id
    )
    from sglang.srt.managers.tokenizer_manager import ServerStatus

    try:
        from sglang.srt.parser.template_manager import TemplateManager
    except ImportError:  # 0.5.2
        from sglang.srt.managers.template_manager import TemplateManager

    manager.server_status = ServerStatus.Up

    templates = TemplateManager()
    templates.initialize_templates(tokenizer_manager=manager, model_path=str(model_dir))
    http_server.set_global_state(
        http_server._GlobalState(
            tokenizer_manager=manager, template_manager=templates, scheduler_info={}
        )
    )
    app = http_server.app
    app.state.openai_serving_chat = OpenAIServingChat(manager, templates)
    print("sglang harness ready", file=sys.stderr, flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, lifespan="off", log_level="warning")


if __name__ == "__main__":
    main()
