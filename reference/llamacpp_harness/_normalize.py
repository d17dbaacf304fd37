"""Normalize llama-server bodies (random ids, created, measured times) and diff them by JSON
path with the vLLM harness's differ: values and key order compared."""

from __future__ import annotations

import re

from reference.vllm_harness._normalize import differences as _differences

# random_string(): 32 characters of [0-9A-Za-z], bare or after "chatcmpl-" / "cmpl-"
_ID = re.compile(rb'"id":"([a-z]*-?)[0-9A-Za-z]{32}"')
# timings' measured durations and rates (their token counts are compared)
_MEASURED = re.compile(
    rb'"(prompt_ms|prompt_per_token_ms|prompt_per_second|predicted_ms|predicted_per_token_ms'
    rb'|predicted_per_second)":(-?[0-9.e+-]+|null)'
)


def normalize(body: bytes) -> bytes:
    body = _ID.sub(rb'"id":"\1<random32>"', body)
    return _MEASURED.sub(rb'"\1":0', body)


def differences(real: bytes, fake: bytes, *, streamed: bool) -> list[str]:
    return _differences(normalize(real), normalize(fake), streamed=streamed)
