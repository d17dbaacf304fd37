"""Start-up constructs the script's and the timing's defaults without validating them (no schema
is built at start-up): constructed, they are what validation gives, and values that are not the
defaults are still validated."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fakes.model.script import Script, load_script
from fakes.model.timing import Timing, timing_of
from fakes.vllm.options import VllmOptions


def test_the_default_script_is_the_validated_one() -> None:
    constructed = load_script(None)
    validated = Script()
    assert constructed == validated
    assert constructed.model_dump() == validated.model_dump()
    assert constructed.model_fields_set == validated.model_fields_set == set()


def test_the_default_timing_is_the_validated_one() -> None:
    constructed = timing_of(0.0, 0.0, 0.0, 0)
    assert constructed == Timing()
    assert constructed.model_fields_set == Timing().model_fields_set
    assert constructed.instant


def test_timing_other_than_the_defaults_is_validated() -> None:
    assert timing_of(0.05, 0.01, 0.0, 3) == Timing(ttft=0.05, itl=0.01, seed=3)
    with pytest.raises(ValidationError, match="less than or equal to 600"):
        timing_of(601.0, 0.0, 0.0, 0)


def test_options_constructed_from_the_command_line_build_the_validated_config() -> None:
    given = {"served": ("a", "b"), "api_keys": ("k",), "ttft": 0.05, "max_num_seqs": 4}
    constructed = VllmOptions.model_construct(**given)
    validated = VllmOptions(**given)
    assert constructed == validated
    assert constructed.model_dump() == validated.model_dump()
    assert constructed.config() == validated.config()


@pytest.mark.parametrize(
    ("option", "value"), [("--ttft", "601"), ("--itl", "61"), ("--jitter", "61")]
)
def test_a_delay_past_timings_bound_is_a_clean_command_line_error(option: str, value: str) -> None:
    """The command line checks Timing's own bounds: one line naming the option, no traceback."""
    from click.testing import CliRunner

    from fakes.cli import main

    result = CliRunner().invoke(main, ["serve", "vllm", "--port", "0", option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert isinstance(result.exception, SystemExit)


def test_llamacpp_delays_past_timings_bound_are_clean_command_line_errors() -> None:
    from click.testing import CliRunner

    from fakes.cli import main

    result = CliRunner().invoke(main, ["serve", "llamacpp", "--port", "0", "--itl", "61"])
    assert result.exit_code == 2
    assert "Invalid value for '--itl'" in result.output
