from __future__ import annotations

from pathlib import Path

from reference.litellm_conformance import _known

LINES = [
    "reasoning_round_trip.responses-only[0].status: real 400 != fake 200",
    "extra.completions[0].headers.x-litellm-version: only in the real proxy ('1.74.15')",
]


def test_a_reason_is_written_only_beside_the_recordings_of_its_upstream(tmp_path: Path) -> None:
    written = {}
    for name in ("litellm-1.110.2+ollama-0.32.6", "litellm-1.109.3+vllm-0.34"):
        recording = tmp_path / f"{name}.json"
        _known.write(recording, LINES)
        written[name] = _known.path_for(recording).read_text().splitlines()
        assert _known.load(recording) == LINES  # the lines, whatever the notes
    responses, _ = _known.REASONS["responses"]
    completions, _ = _known.REASONS["extra.completions"]
    assert f"# {responses}" in written["litellm-1.110.2+ollama-0.32.6"]
    assert f"# {completions}" not in written["litellm-1.110.2+ollama-0.32.6"]  # SGLang's
    assert not [line for line in written["litellm-1.109.3+vllm-0.34"][2:] if line.startswith("#")]


def test_a_maintainers_note_is_kept_and_a_reason_is_not_taken_for_one(tmp_path: Path) -> None:
    recording = tmp_path / "litellm-1.110.2+ollama-0.32.6.json"
    responses, _ = _known.REASONS["responses"]
    _known.path_for(recording).write_text(f"# a note of ours\n# {responses}\n{LINES[0]}\n")
    assert _known.notes(recording) == ["# a note of ours"]
    _known.write(recording, LINES)
    assert _known.path_for(recording).read_text().count(responses) == 1
