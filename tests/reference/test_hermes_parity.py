"""reference/vllm_harness/hermes_parity.py: it loads a wheel's own hermes parser with stand-ins
for its vLLM imports, and tells a parser that streams as the port does from one that does not.
(The real wheels are not in the repository: these parsers are written here, importing what the
releases' files import.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from reference.vllm_harness import hermes_parity

HEADER = """
from vllm.entrypoints.openai.protocol import DeltaMessage
from vllm.entrypoints.openai.tool_parsers.abstract_tool_parser import (
    ToolParser, ToolParserManager)
from vllm.logger import init_logger
from vllm.transformers_utils.tokenizer import AnyTokenizer

logger = init_logger(__name__)
"""

# a parser that never parses: every step's text is content
ECHO = (
    HEADER
    + """
@ToolParserManager.register_module("hermes")
class Hermes2ProToolParser(ToolParser):
    def extract_tool_calls_streaming(self, previous_text, current_text, delta_text, *args):
        return DeltaMessage(content=delta_text)
"""
)

# a parser that streams as the port does (it delegates to it, sharing its state)
PORTED = (
    HEADER
    + """
from fakes.profiles import HermesStream
from fakes.vllm.tool_stream.hermes_pre_0_20 import HermesParser
from vllm.entrypoints.chat_utils import make_tool_call_id


class Hermes2ProToolParser(ToolParser):
    def __init__(self, tokenizer):
        super().__init__(tokenizer)
        self.port = HermesParser(HermesStream.RAW_ARGUMENTS, iter(make_tool_call_id, None))

    def extract_tool_calls_streaming(self, previous_text, current_text, delta_text,
                                     previous_ids, current_ids, delta_ids, request):
        pieces = {v: k for k, v in self.model_tokenizer.get_vocab().items()}
        found = self.port.extract(previous_text, current_text, delta_text,
                                  [pieces.get(i, str(i)) for i in previous_ids],
                                  [pieces.get(i, str(i)) for i in current_ids],
                                  [pieces.get(i, str(i)) for i in delta_ids])
        for name in ("current_tool_id", "current_tool_name_sent",
                     "streamed_args_for_tool", "prev_tool_call_arr"):
            setattr(self, name, getattr(self.port, name))
        return None if found is None else DeltaMessage.model_validate(found)
"""
)


def _wheel(tmp_path: Path, source: str, release: str = "0.12.0") -> Path:
    (tmp_path / f"vllm-{release}.dist-info").mkdir()
    parser = tmp_path / hermes_parity.PARSER_PATHS[0]
    parser.parent.mkdir(parents=True)
    parser.write_text(source, encoding="utf-8")
    return tmp_path


def test_a_parser_that_streams_otherwise_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hermes_parity.main([str(_wheel(tmp_path, ECHO))]) == 1
    out = capsys.readouterr().out
    assert "0.12.0 get_weather: step 0 '<tool_call>': release {'content': '<tool_call>'}" in out
    assert "0.12.0 (raw_arguments): 16 streams, 678 steps compared" in out


def test_a_parser_that_streams_as_the_port_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hermes_parity.main([str(_wheel(tmp_path, PORTED))]) == 0
    assert capsys.readouterr().out == "0.12.0 (raw_arguments): 16 streams, 678 steps compared\n"


def test_a_rewritten_release_has_nothing_to_compare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hermes_parity.main([str(_wheel(tmp_path, ECHO, "0.20.0"))]) == 0
    assert "nothing ported to compare" in capsys.readouterr().out


# 0.6.0's layout: no request argument, the tokenizer's vocab property, and the call opened by
# InitialDeltaToolCall, whose id is its own default (the port's is ignored here)
PORTED_0_6_0 = (
    HEADER
    + """
from fakes.profiles import HermesStream
from fakes.vllm.tool_stream.hermes_pre_0_20 import HermesParser
from vllm.entrypoints.openai.protocol import InitialDeltaToolCall


class Hermes2ProToolParser(ToolParser):
    def __init__(self, tokenizer):
        super().__init__(tokenizer)
        self.start = self.model_tokenizer.vocab["<tool_call>"]
        self.port = HermesParser(HermesStream.JSON_DIFF_INITIAL, iter(lambda: "unused", None))

    def extract_tool_calls_streaming(self, previous_text, current_text, delta_text,
                                     previous_ids, current_ids, delta_ids):
        pieces = {v: k for k, v in self.model_tokenizer.get_vocab().items()}
        found = self.port.extract(previous_text, current_text, delta_text,
                                  [pieces.get(i, str(i)) for i in previous_ids],
                                  [pieces.get(i, str(i)) for i in current_ids],
                                  [pieces.get(i, str(i)) for i in delta_ids])
        for name in ("current_tool_id", "current_tool_name_sent",
                     "streamed_args_for_tool", "prev_tool_call_arr"):
            setattr(self, name, getattr(self.port, name))
        calls = (found or {}).get("tool_calls") or []
        if calls and calls[0].get("id") == "unused":
            initial = InitialDeltaToolCall(index=calls[0]["index"]).model_dump(exclude_none=True)
            found = {"tool_calls": [initial]}
        return None if found is None else DeltaMessage.model_validate(found)
"""
)


def test_a_0_6_0_parser_is_called_as_its_release_calls_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hermes_parity.main([str(_wheel(tmp_path, PORTED_0_6_0, "0.6.0"))]) == 0
    assert capsys.readouterr().out == "0.6.0 (json_diff_initial): 16 streams, 678 steps compared\n"
