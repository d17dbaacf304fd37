"""usage-based-routing-v2: per-deployment ``rpm``/``tpm`` limits, the lowest-usage pick, the
"No deployments available" rate-limit error, and the model group's ``x-ratelimit-*`` headers.

Read from ``router_strategy/lowest_tpm_rpm_v2.py`` and ``router_rust/surface/model_info.py``
(1.110.2) and seen on the real proxy (recordings/litellm/router-limits-litellm-1.110.2.json):
- a deployment is passed over when its tokens this minute plus the prompt's exceed ``tpm``,
  or when its requests this minute plus one reach ``rpm`` (``+ 1 >=``: with ``rpm: 3`` the
  third request of a minute is refused; a deployment not yet used this minute always passes);
- among the rest, the lowest token use; a tie is a random draw (seeded here);
- requests are counted when the deployment is picked, tokens (``total_tokens``) when it answers;
- the group's headers: ``x-ratelimit-remaining-tokens``/``-limit-tokens`` when a deployment
  sets ``tpm``, then ``-requests`` for ``rpm``; the limits are the group's sums, the remaining
  ones the sums less this minute's counters.
"""

from __future__ import annotations

from fakes.litellm import _errors
from fakes.litellm._config import Deployment
from fakes.litellm._state import LitellmState
from fakes.profiles import UpstreamErrorFormat

INF = float("inf")


def _limit(value: int | None) -> float:
    return INF if value is None else value


def candidates(
    state: LitellmState, healthy: list[Deployment], input_tokens: int
) -> list[Deployment]:
    fleet = state.fleet
    lowest, found = INF, []
    for deployment in healthy:
        used = fleet.tokens_now(deployment) or 0
        requests = fleet.requests_now(deployment)
        if used + input_tokens > _limit(deployment.tpm) or (
            requests is not None and requests + 1 >= _limit(deployment.rpm)
        ):
            continue
        if used == lowest:
            found.append(deployment)
        elif used < lowest:
            lowest, found = used, [deployment]
    return found


def _number(value: float | int | None) -> str:
    return "inf" if value == INF else repr(value)


def exhausted(state: LitellmState, model: str, healthy: list[Deployment]) -> _errors.ProxyError:
    fleet = state.fleet
    parts = []
    for d in healthy:
        tokens, requests = fleet.tokens_now(d), fleet.requests_now(d)
        parts.append(
            f"'{d.model_id}': {{'current_tpm': {_number(tokens)}, 'tpm_limit': "
            f"{_number(_limit(d.tpm))}, 'current_rpm': {_number(requests)}, "
            f"'rpm_limit': {_number(_limit(d.rpm))}}}"
        )
    head = (
        f"litellm.RateLimitError: {_errors.NO_DEPLOYMENTS}. Passed model={model}. "
        f"Deployments={{{', '.join(parts)}}}"
    )
    knobs = state.knobs
    if knobs.upstream_error_format is UpstreamErrorFormat.RECEIVED_MODEL_GROUP:
        message = _errors.received_model_group(head, model)
    else:
        message = (
            f"{head}\n\nLiteLLM: model group '{model}' failed with the error above. "
            "No fallback was attempted."
        )
    retry = [("llm_provider-retry-after", "60")] if knobs.cooldown_retry_after else []
    return _errors.ProxyError(message, 429, "throttling_error", headers=retry)


def headers(
    state: LitellmState, group: tuple[Deployment, ...], uncount: Deployment | None = None
) -> list[tuple[str, str]]:
    """The group's headers; ``uncount``: without the request just counted for it (1.74)."""
    fleet = state.fleet
    out: list[tuple[str, str]] = []
    requests_now = [fleet.requests_now(d) for d in group]
    if uncount is not None:
        requests_now = [
            None if n is None else n - (d is uncount)
            for d, n in zip(group, requests_now, strict=True)
        ]
    tokens = (
        [d.tpm for d in group if d.tpm is not None],
        [fleet.header_tokens_now(d) for d in group],
    )
    requests = ([d.rpm for d in group if d.rpm is not None], requests_now)
    for kind, (limits, counters) in (("tokens", tokens), ("requests", requests)):
        if not limits:
            continue
        used = sum(c for c in counters if c is not None)
        out += [
            (f"x-ratelimit-remaining-{kind}", str(sum(limits) - used)),
            (f"x-ratelimit-limit-{kind}", str(sum(limits))),
        ]
    return out
