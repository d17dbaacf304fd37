"""A deployment's ``max_parallel_requests`` (given, else derived from its ``rpm`` or ``tpm``):
the router's slots around each attempt (knob ``deployment_slots``). 1.110 refuses an attempt
that finds every slot taken with a 429 (``router_rust/invoke/slots.py``,
``router_utils/client_initalization_utils.py:13-47``); 1.74 makes it wait on an
``asyncio.Semaphore`` (``router.py:1287-1305``). Both seen (router conformance, run
``parallel``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fakes.litellm import _errors
from fakes.litellm._config import Deployment
from fakes.litellm._headers import CallInfo
from fakes.profiles import DeploymentSlots, LitellmKnobs

# the refusal's headers, seen on 1.110.2
HEADERS = (
    "x-litellm-call-id", "x-litellm-model-id", "x-litellm-model-name",
    "x-litellm-response-cost", "x-litellm-key-spend",
)  # fmt: skip


def slots_of(knobs: LitellmKnobs, deployment: Deployment) -> int | None:
    """calculate_max_parallel_requests: max_parallel_requests > rpm > tpm as requests a minute
    (1.110.2 utils.py:6379-6390: tpm / 1000 * 6; 1.74.15 utils.py:4100-4110: tpm / 1000 / 6;
    at least 1)."""
    if deployment.max_parallel_requests is not None:
        return deployment.max_parallel_requests
    if deployment.rpm is not None:
        return deployment.rpm
    if deployment.tpm is not None:
        per_thousand = 6 if knobs.deployment_slots is DeploymentSlots.REFUSE else 1 / 6
        return int(deployment.tpm / 1000 * per_thousand) or 1
    return None


class Slots:
    """In-flight attempts per deployment, for one proxy (reset with it)."""

    def __init__(self) -> None:
        self.taken: dict[str, int] = {}
        self.waiting: dict[str, asyncio.Semaphore] = {}

    @contextlib.asynccontextmanager
    async def held(
        self, knobs: LitellmKnobs, deployment: Deployment, call: CallInfo
    ) -> AsyncIterator[None]:
        """One of the deployment's slots for an attempt, or its 429 / a wait."""
        limit = slots_of(knobs, deployment)
        if limit is None:
            yield
            return
        if knobs.deployment_slots is DeploymentSlots.QUEUE:
            semaphore = self.waiting.setdefault(deployment.model_id, asyncio.Semaphore(limit))
            async with semaphore:
                yield
            return
        taken = self.taken.get(deployment.model_id, 0)
        if taken >= limit:
            error = refusal(deployment, limit)
            error.headers = call.headers(HEADERS)
            raise error
        self.taken[deployment.model_id] = taken + 1
        try:
            yield
        finally:
            self.taken[deployment.model_id] -= 1


def refusal(deployment: Deployment, limit: int) -> _errors.ProxyError:
    group = deployment.model_name
    text = (
        "litellm.RateLimitError: Deployment has all max_parallel_requests slots in use. "
        f"Deployment model_group={group}, id={deployment.model_id} already has "
        f"max_parallel_requests={limit} requests in flight. Raise max_parallel_requests (or the "
        "rpm/tpm it is derived from) for this deployment"
    )
    error = _errors.ProxyError(
        f"{text}\n\nLiteLLM: model group '{group}' failed with the error above. "
        "No fallback was attempted.",
        429,
        "throttling_error",
    )
    error.bare = text
    return error
