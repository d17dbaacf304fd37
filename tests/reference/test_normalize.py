from __future__ import annotations

from reference.vllm_harness._normalize import differences, normalize


def test_random_ids_keep_prefix_and_length() -> None:
    body = b'{"id":"chatcmpl-0123456789abcdef","created":1796515338,"model":"m"}'
    assert normalize(body) == b'{"id":"chatcmpl-<hex16>","created":0,"model":"m"}'


def test_values_and_key_order_are_compared_by_json_path() -> None:
    real = b'{"a":1,"b":{"c":[1,2]},"d":null}'
    fake = b'{"b":{"c":[1,3]},"a":1}'
    assert differences(real, fake, streamed=False) == [
        "$.d: real has it (null), the fake has not",
        "$.b.c[1]: real 2 vs fake 3",
        "$: key order real ['a', 'b'] vs fake ['b', 'a']",
    ]


def test_stream_events_are_diffed_one_by_one() -> None:
    real = b'data: {"x":"He"}\n\ndata: [DONE]\n\n'
    fake = b'data: {"x":"Hello"}\n\n'
    assert differences(real, fake, streamed=True) == [
        "$: real sent 2 events, the fake 1",
        '$[0].x: real "He" vs fake "Hello"',
    ]


def test_layout_only_differences_are_still_reported() -> None:
    found = differences(b'{"a": 1}', b'{"a":1}', streamed=False)
    assert found and found[0].startswith("$: same JSON, different bytes")


def test_prompt_token_ids_compare_by_count_not_value() -> None:
    assert normalize(b'{"prompt_token_ids":[67, 12,5]}') == b'{"prompt_token_ids":[0, 0,0]}'
    assert normalize(b'{"prompt_token_ids":null}') == b'{"prompt_token_ids":null}'
    assert differences(
        b'{"p":1,"prompt_token_ids":[67]}', b'{"p":1,"prompt_token_ids":[0,0]}', streamed=False
    )
