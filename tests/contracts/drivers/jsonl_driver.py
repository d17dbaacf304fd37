"""A tiny JSON-lines driver for the subprocess driver's tests: ``python jsonl_driver.py MODE``.

MODE ``reference`` runs the in-repo ``openai-compatible`` driver behind the protocol (so its
outcomes must match the goldens); the other modes misbehave on purpose.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


def emit(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


async def reference(call: dict[str, Any]) -> None:
    from contracts._model import ContractError, Request
    from contracts._target import Target
    from contracts.drivers._http import OpenAICompatibleDriver

    target = Target(
        base_url=call["base_url"],
        model=call["model"],
        api_key=call["api_key"],
        timeout=call["timeout"],
    )
    request = Request.model_validate(call["request"])
    driver = OpenAICompatibleDriver(target)
    try:
        if call["op"] == "stream":
            async for event in driver.stream(request):
                emit(event.model_dump(mode="json"))
            emit({"type": "result"})
        else:
            result = await driver.complete(request)
            emit({"type": "result", "result": result.model_dump(mode="json")})
    except ContractError as exc:
        failure = exc.failure
        emit(
            {
                "type": "error",
                "kind": failure.kind.value,
                "message": failure.message,
                "status": failure.status,
            }
        )
    finally:
        await driver.aclose()


def main() -> None:
    mode = sys.argv[1]
    call = json.loads(sys.stdin.readline())
    if call.get("v") != 1:
        emit({"type": "crash", "message": f"unsupported protocol version {call.get('v')!r}"})
    elif mode == "reference":
        asyncio.run(reference(call))
    elif mode == "echo":  # what the harness sent, as text
        emit({"type": "text", "text": json.dumps(call, sort_keys=True)})
        emit({"type": "result"})
    elif mode == "partial-error":
        emit({"type": "text", "text": "Hel"})
        emit({"type": "error", "kind": "truncated", "message": "cut", "status": None})
    elif mode == "crash":
        sys.stderr.write("Traceback: something broke\n")
        emit({"type": "crash", "message": "TypeError: x is undefined"})
    elif mode == "exit":
        sys.stderr.write("fatal: no result for you\n" * 2000)
        sys.exit(3)
    elif mode == "garbage":
        print("hello from a driver that logs to stdout")
    elif mode == "bad-event":
        emit({"type": "smoke", "text": "?"})
    elif mode == "bad-kind":
        emit({"type": "error", "kind": "oops", "message": ""})


if __name__ == "__main__":
    main()
