from __future__ import annotations

import pytest

from contracts._classify import classify, classify_frame, error_message
from contracts._model import ErrorKind

CASES = [
    (404, b'{"detail":"Not Found"}', ErrorKind.ENDPOINT_UNSUPPORTED),
    (405, b'{"detail":"Method Not Allowed"}', ErrorKind.ENDPOINT_UNSUPPORTED),
    (501, b"Not Implemented", ErrorKind.ENDPOINT_UNSUPPORTED),
    (
        404,
        b'{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}}',
        ErrorKind.MODEL_NOT_FOUND,
    ),
    (
        400,
        b'{"error":{"message":"/chat/completions: Invalid model name passed in model=x. Call `/v1/models` to view available models for your key.","type":"invalid_request_error","param":"model","code":"400"}}',
        ErrorKind.MODEL_NOT_FOUND,
    ),
    (
        404,
        b'{"error":{"message":"litellm.NotFoundError: NotFoundError: Hosted_vllmException - {\\"detail\\":\\"Not Found\\"}","type":null,"param":null,"code":"404"}}',
        ErrorKind.ENDPOINT_UNSUPPORTED,
    ),
    (401, b'{"error":"Unauthorized"}', ErrorKind.AUTH),
    (
        400,
        b'{"error":{"message":"No connected db.","type":"no_db_connection","param":null,"code":"400"}}',
        ErrorKind.AUTH,
    ),
    (429, b'{"error":{"message":"slow down"}}', ErrorKind.RATE_LIMITED),
    (
        400,
        b'{"object":"error","message":"bad","type":"BadRequestError","param":null,"code":400}',
        ErrorKind.BAD_REQUEST,
    ),
    (422, b'{"detail":[{"loc":["body","x"]}]}', ErrorKind.BAD_REQUEST),
    (500, b"Internal Server Error", ErrorKind.SERVER),
    (502, b"<html><head><title>502 Bad Gateway</title></head></html>", ErrorKind.SERVER),
]


@pytest.mark.parametrize(("status", "body", "kind"), CASES)
def test_classify(status: int, body: bytes, kind: ErrorKind) -> None:
    assert classify(status, body).kind is kind


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"error":{"message":"nested"}}', "nested"),
        (b'{"object":"error","message":"flat"}', "flat"),
        (b'{"error":"Unauthorized"}', "Unauthorized"),
        (b'{"detail":"Not Found"}', "Not Found"),
        (b"<html><title>502 Bad Gateway</title></html>", "502 Bad Gateway"),
        (b"  plain text  ", "plain text"),
    ],
)
def test_error_message_reads_every_shape(body: bytes, message: str) -> None:
    assert error_message(body) == message


def test_stream_error_frames_keep_their_status() -> None:
    assert classify_frame({"message": "x", "code": 503}).status == 503
    assert classify_frame({"message": "x", "code": "429"}).kind is ErrorKind.RATE_LIMITED
    assert classify_frame("boom").kind is ErrorKind.SERVER
