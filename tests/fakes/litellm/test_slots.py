"""A deployment's max_parallel_requests (knob ``deployment_slots``): 1.110 refuses an attempt
that finds every slot in flight, 1.74 makes it wait. The wire form of both is held to the
real proxies by the router recordings (run ``parallel``)."""

from __future__ import annotations

import asyncio

import pytest

from fakes.litellm import Deployment, resolve_litellm_profile
from fakes.litellm._errors import ProxyError
from fakes.litellm._headers import CallInfo
from fakes.litellm._slots import Slots, slots_of
from fakes.profiles import DeploymentSlots, LitellmKnobs

NARROW = Deployment("narrow", "hosted_vllm", "m", api_base="http://a/v1", max_parallel_requests=1)


def _knobs(version: str) -> LitellmKnobs:
    return resolve_litellm_profile(version, None)[0].knobs


@pytest.mark.parametrize(
    ("fields", "refuse", "queue"),
    [
        ({"max_parallel_requests": 2, "rpm": 9}, 2, 2),
        ({"rpm": 3, "tpm": 40}, 3, 3),
        ({"tpm": 40}, 1, 1),  # at least one
        ({"tpm": 100_000}, 600, 16),  # 1.110: 6 a minute per 1000, 1.74: 1/6
        ({}, None, None),
    ],
)
def test_the_slots_come_from_the_limit_else_rpm_else_tpm(
    fields: dict[str, int], refuse: int | None, queue: int | None
) -> None:
    deployment = Deployment("g", "hosted_vllm", "m", api_base="http://a/v1", **fields)
    assert _knobs("1.110.2").deployment_slots is DeploymentSlots.REFUSE
    assert _knobs("1.74.15").deployment_slots is DeploymentSlots.QUEUE
    assert slots_of(_knobs("1.110.2"), deployment) == refuse
    assert slots_of(_knobs("1.74.15"), deployment) == queue


async def test_1_110_refuses_an_attempt_while_the_slot_is_taken() -> None:
    knobs, slots = _knobs("1.110.2"), Slots()
    call = CallInfo(version="1.110.2", deployment=NARROW)
    async with slots.held(knobs, NARROW, call):
        with pytest.raises(ProxyError) as refused:
            async with slots.held(knobs, NARROW, call):
                pass
    error = refused.value
    assert (error.status, error.type) == (429, "throttling_error")
    assert error.message.startswith(
        "litellm.RateLimitError: Deployment has all max_parallel_requests slots in use. "
        f"Deployment model_group=narrow, id={NARROW.model_id} already has "
        "max_parallel_requests=1 requests in flight."
    )
    assert error.message.endswith("No fallback was attempted.")
    assert [name for name, _ in error.headers][:2] == ["x-litellm-call-id", "x-litellm-model-id"]
    async with slots.held(knobs, NARROW, call):  # freed when the first attempt ended
        pass


async def test_1_74_makes_the_second_attempt_wait_for_the_slot() -> None:
    knobs, slots = _knobs("1.74.15"), Slots()
    call = CallInfo(version="1.74.15", deployment=NARROW)
    order: list[str] = []
    first_inside = asyncio.Event()
    let_go = asyncio.Event()

    async def first() -> None:
        async with slots.held(knobs, NARROW, call):
            order.append("first in")
            first_inside.set()
            await let_go.wait()
            order.append("first out")

    async def second() -> None:
        await first_inside.wait()
        async with slots.held(knobs, NARROW, call):
            order.append("second in")

    task = asyncio.gather(first(), second())
    await first_inside.wait()
    order.append("released")
    let_go.set()
    await asyncio.wait_for(task, 5)
    assert order == ["first in", "released", "first out", "second in"]
