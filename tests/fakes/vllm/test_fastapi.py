"""FastAPI's words in vLLM's validation messages up to 0.25: the FastAPI release is an
environment fact (knob ``fastapi``, ``--fastapi``), the endpoint it names is the release's
(``fastapi_endpoints``), and 0.9-0.25 append the error list (``validation_appends_errors``)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from fakes.cli import main
from fakes.profiles import resolve_vllm_profile, with_knobs
from fakes.vllm._fastapi import Where, exception_str
from fakes.vllm.options import VllmOptions

MISSING = "{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required', 'input': %s}"
SITE = "/usr/local/lib/python3.12/site-packages"


async def _message(vllm: Any, version: str, path: str, body: dict[str, Any], **config: Any) -> str:
    async with vllm(version, **config) as client:
        answer = await client.post(path, json=body)
    assert answer.status_code == 400
    error = answer.json()
    return str((error.get("error") or error)["message"])


async def test_0_11_1_with_the_newest_fastapi_names_its_endpoint_and_appends_the_list(
    vllm: Any,
) -> None:
    """As recorded on 0.11.1: FastAPI >= 0.124's str(exc), then vLLM's ' ' + str(errors)."""
    entry = MISSING % "{'model': 'fake-model'}"
    message = await _message(vllm, "0.11.1", "/v1/chat/completions", {"model": "fake-model"})
    assert message == (
        f"1 validation error:\n  {entry}\n\n"
        f'  File "{SITE}/vllm/entrypoints/utils.py", line 655, in create_chat_completion\n'
        f"    POST /v1/chat/completions [{entry}]"
    )


async def test_an_older_fastapi_gives_the_list_alone(vllm: Any) -> None:
    """FastAPI 0.123 has no __str__ of its own: str(exc) is the list, which vLLM does not
    repeat."""
    entry = MISSING % "{'model': 'fake-model'}"
    body = {"model": "fake-model"}
    message = await _message(vllm, "0.11.1", "/v1/chat/completions", body, fastapi="0.123.10")
    assert message == f"[{entry}]"


async def test_0_8_5_with_a_newer_fastapi_passes_str_exc_alone(vllm: Any) -> None:
    """0.8.5's handler sends str(exc) only (validation_appends_errors false), unwrapped routes
    before with_cancellation are named in their own file (0.6.4)."""
    entry = MISSING % "{'model': 'fake-model'}"
    body = {"model": "fake-model"}
    newer = {"fastapi": "0.165.0", "site_packages": "/opt/py/site-packages"}
    message = await _message(vllm, "0.8.5", "/v1/chat/completions", body, **newer)
    assert message == (
        f"1 validation error:\n  {entry}\n\n"
        '  File "/opt/py/site-packages/vllm/entrypoints/utils.py", line 466, '
        "in create_chat_completion\n    POST /v1/chat/completions"
    )
    message = await _message(vllm, "0.6.4", "/v1/completions", {"model": "fake-model"}, **newer)
    assert '/vllm/entrypoints/openai/api_server.py", line 359, in create_completion' in message


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/v1/responses", {"model": "fake-model"}, 'serve/utils/api_utils.py", line 48, in '),
        ("/detokenize", {"model": "fake-model"}, 'api_utils.py", line 62, in detokenize'),
    ],
)
async def test_each_body_route_is_named_by_the_release(
    vllm: Any, path: str, body: dict[str, Any], where: str
) -> None:
    message = await _message(vllm, "0.24.0", path, body)
    assert where in message
    assert f"\n    POST {path} [{{" in message


def test_two_errors_are_counted_in_the_plural_and_an_unnamed_route_by_its_path() -> None:
    errors = [{"type": "missing", "loc": ("body", "a")}, {"type": "missing", "loc": ("body", "b")}]
    text = exception_str(errors, Where("0.124.0", "POST", "/elsewhere"))
    assert text == (
        "2 validation errors:\n"
        "  {'type': 'missing', 'loc': ('body', 'a')}\n"
        "  {'type': 'missing', 'loc': ('body', 'b')}\n\n"
        "  Endpoint: POST /elsewhere"
    )


def test_the_knob_refuses_what_is_not_a_release() -> None:
    profile, _ = resolve_vllm_profile("0.11.1", None)
    with pytest.raises(ValueError, match="not a release number"):
        with_knobs(profile, {"fastapi": "newest"})


def test_serve_vllm_takes_the_deployments_fastapi_and_refuses_a_non_release() -> None:
    options = VllmOptions(release="0.11.1", fastapi="0.123.10", site_packages="/srv/py")
    config = options.config()
    assert (config.fastapi, config.site_packages) == ("0.123.10", "/srv/py")
    assert VllmOptions(release="0.11.1").config().site_packages == SITE
    result = CliRunner().invoke(main, ["serve", "vllm", "--fastapi", "newest"])
    assert result.exit_code == 2
    assert "--fastapi': not a release number: 'newest'" in result.output
