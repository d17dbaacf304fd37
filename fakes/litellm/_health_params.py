"""1.74's keyed /health entries (``health_entries: params``): the deployment's litellm_params as
the router holds them, which the probe itself has added to.

litellm 1.74.15.post2, read and run:
- the list is the router's (``Router.get_model_list``): each deployment's params dumped from
  ``LiteLLM_Params`` without its None fields (types/router.py:150-300), so in that model's field
  order, its three False defaults included, ``model`` after them and the config's extra keys
  (``weight``) last;
- ``proxy/health_check.py:83-145`` hands that same dict to ``litellm.ahealth_check``
  (main.py:5438-5586), which writes into it the probe's messages, ``litellm_metadata`` of the
  internal health-check key (litellm_core_utils/health_check_helpers.py) and ``cache``;
  ``_clean_endpoint_data`` hides ``messages`` and ``api_key`` and the entry is those params
  with the probe's result after them;
- a failed probe's result (main.py:5566-5586) is ``str(e) + "\\nstack trace: " +`` the
  traceback cut at 1000 characters, and the raw request the logging object kept
  (litellm_logging.py:783-800): the openai client's base URL (a slash added), the body with
  ``extra_body: {}``, the Authorization header unmasked (``ignore_sensitive_headers=True``).
"""

from __future__ import annotations

from typing import Any

from fakes.litellm._config import Deployment

TRACE_LIMIT = 1000  # main.py:5568-5569
# Where the fake says LiteLLM and the openai SDK are installed: the traceback's file paths
# depend on the installation; these are a Python 3.11 image's.
SITE_PACKAGES = "/usr/local/lib/python3.11/site-packages/"
STDLIB = "/usr/local/lib/python3.11/"

HEALTH_KEY = "litellm-internal-health-check"
METADATA = {
    "tags": [HEALTH_KEY],
    "user_api_key_hash": HEALTH_KEY,
    "user_api_key_alias": HEALTH_KEY,
    "user_api_key_team_id": HEALTH_KEY,
    "user_api_key_user_id": None,
    "user_api_key_org_id": None,
    "user_api_key_team_alias": HEALTH_KEY,
    "user_api_key_end_user_id": None,
    "user_api_key_user_email": None,
    "user_api_key_request_route": None,
    "user_api_key": HEALTH_KEY,
    "user_api_end_user_max_budget": None,
}

# The tracebacks a failed probe showed on a real 1.74.15.post2 (Python 3.11, openai 3.63.0,
# aiohttp transport), their head only: enough to fill the cut from any installation path.
# An upstream error status, raised by the openai client:
_STATUS_TRACE = """Traceback (most recent call last):
  File "{site}litellm/llms/openai/openai.py", line 801, in acompletion
    headers, response = await self.make_openai_chat_completion_request(
                        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{site}litellm/litellm_core_utils/logging_utils.py", line 135, in async_wrapper
    result = await func(*args, **kwargs)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{site}litellm/llms/openai/openai.py", line 436, in make_openai_chat_completion_request
    raise e
  File "{site}litellm/llms/openai/openai.py", line 418, in make_openai_chat_completion_request
    await openai_aclient.chat.completions.with_raw_response.create(
  File "{site}openai/_legacy_response.py", line 382, in wrapped
    return cast(LegacyAPIResponse[R], await func(*args, **kwargs))
                                      ^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{site}openai/resources/chat/completions/completions.py", line 3413, in create
    return await self._post(
           ^^^^^^^^^^^^^^^^^
  File "{site}openai/_base_client.py", line 2090, in post
    return await self.request(cast_to, opts, stream=stream, stream_cls=stream_cls)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{site}openai/_base_client.py", line 1875, in request
    raise self._make_status_error_from_response(err.response) from None
"""
# An upstream that cannot be reached ("Connection error."), raised in aiohttp:
_CONNECTION_TRACE = """Traceback (most recent call last):
  File "{site}aiohttp/connector.py", line 1322, in _wrap_create_connection
    sock = await aiohappyeyeballs.start_connection(
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{site}aiohappyeyeballs/impl.py", line 124, in start_connection
    raise first_exception
  File "{site}aiohappyeyeballs/impl.py", line 75, in start_connection
    sock = await _connect_sock(
           ^^^^^^^^^^^^^^^^^^^^
  File "{site}aiohappyeyeballs/impl.py", line 210, in _connect_sock
    await loop.sock_connect(sock, address)
  File "{stdlib}asyncio/selector_events.py", line 634, in sock_connect
    return await fut
           ^^^^^^^^^
  File "{stdlib}asyncio/selector_events.py", line 674, in _sock_connect_cb
    raise OSError(err, f'Connect call failed {{address}}')
ConnectionRefusedError: [Errno 111] Connect call failed

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "{site}litellm/llms/custom_httpx/aiohttp_transport.py", line 59, in map_aiohttp_exceptions
    yield
"""


def trace(connection: bool) -> str:
    text = _CONNECTION_TRACE if connection else _STATUS_TRACE
    return text.format(site=SITE_PACKAGES, stdlib=STDLIB)[:TRACE_LIMIT]


def params(deployment: Deployment) -> dict[str, Any]:
    """The deployment's params in ``LiteLLM_Params``' order, with what the probe adds."""
    entry: dict[str, Any] = {}
    if deployment.api_base is not None:
        entry["api_base"] = deployment.api_base
    for key in ("tpm", "rpm"):
        if getattr(deployment, key) is not None:
            entry[key] = getattr(deployment, key)
    entry |= {
        "use_in_pass_through": False,
        "use_litellm_proxy": False,
        "merge_reasoning_content_in_choices": False,
    }
    if deployment.mock_response is not None:
        entry["mock_response"] = deployment.mock_response
    entry["model"] = deployment.model
    if deployment.weight is not None:  # not a LiteLLM_Params field: kept as an extra, last
        entry["weight"] = deployment.weight
    return entry | {"litellm_metadata": METADATA, "cache": {"no-cache": True}}


def failed(
    deployment: Deployment,
    message: str,
    body: dict[str, Any],
    authorization: str,
    connection: bool,
) -> dict[str, Any]:
    return params(deployment) | {
        "error": f"{message}\nstack trace: {trace(connection)}",
        "raw_request_typed_dict": {
            "raw_request_api_base": f"{deployment.api_base}/",
            "raw_request_body": body | {"extra_body": {}},
            "raw_request_headers": {"Authorization": authorization},
            "error": None,
        },
    }
