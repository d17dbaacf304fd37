"""The banner's plain text (no rich import) is what rich itself writes to a non-terminal."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.errors import MarkupError

from fakes.cli._terminal import PlainConsole, plain_text

BANNER_LINES = [
    '[bold green]fake vLLM 0.34.0[/] (vllm-0.34: null annotations are left out; "tools": [] '
    "is dropped)",
    "listening on [bold]http://127.0.0.1:8000[/]  (ready in 123 ms)",
    "listening on [bold]http://[::1]:8000[/]  (ready in 9 ms, 2 workers: control plane)",
    "  curl -N http://127.0.0.1:8000/v1/chat/completions -H 'Content-Type: application/json' \\\n"
    '    -d \'{"model": "fake-model", "messages": [{"role": "user", "content": "Hello"}], '
    '"stream": true}\'',
    "master key: MASTER_KEY=sk-0123abcd",
    "models: fake-model, other:model",
    "a :smile: and :thumbs_up: here",  # emoji codes: rich replaces them
    "an escaped \\[bold] tag, [/] with nothing open, [/bold] named, [@click]handler[/]",
    "a\ttab and a\rcarriage return",
]

# what the banner's text is made of, brackets, colons and backslashes over-represented
_ALPHABET = st.sampled_from([*"ab :[]/\\@#-_.1:smile", "[bold]", "[/]", "\t", "é", "\u2019"])


def _rich(text: str, markup: bool | None) -> str:
    out = io.StringIO()
    Console(file=out, soft_wrap=True, force_terminal=False, force_jupyter=False).print(
        text, markup=markup
    )
    return out.getvalue()


def _check(text: str, markup: bool | None) -> None:
    try:
        expected: str | type[Exception] = _rich(text, markup)
    except MarkupError:
        expected = MarkupError
    plain = plain_text(text, markup is not False)
    if plain is not None:  # what it vouches for is rich's text exactly
        assert plain + "\n" == expected


@pytest.mark.parametrize("markup", [None, False])
@pytest.mark.parametrize("text", BANNER_LINES)
def test_banner_lines_read_as_rich_writes_them(text: str, markup: bool | None) -> None:
    _check(text, markup)


def test_every_emoji_name_is_caught() -> None:
    from rich._emoji_codes import EMOJI

    assert all(plain_text(f"a :{name}: b", False) is None for name in EMOJI)


def test_the_usual_lines_need_no_rich() -> None:
    assert plain_text(BANNER_LINES[0], True) == (
        'fake vLLM 0.34.0 (vllm-0.34: null annotations are left out; "tools": [] is dropped)'
    )
    assert plain_text(BANNER_LINES[3], False) == BANNER_LINES[3]
    assert plain_text(BANNER_LINES[6], True) is None  # emoji: rich's table decides
    assert plain_text(BANNER_LINES[7], True) is None  # escapes and odd tags: rich's rules


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=30).map("".join), st.sampled_from([None, False]))
def test_any_text_reads_as_rich_writes_it(text: str, markup: bool | None) -> None:
    _check(text, markup)


def test_what_it_cannot_vouch_for_goes_through_rich(capsys: pytest.CaptureFixture[str]) -> None:
    console = PlainConsole()
    console.print("[bold]plain[/] line")
    console.print("a :smile: face")
    console.print("an \\[escaped] tag", markup=True)
    err = capsys.readouterr().err
    assert (
        err
        == "plain line\na \N{SMILING FACE WITH OPEN MOUTH AND SMILING EYES} face\nan [escaped] tag\n"
    )
