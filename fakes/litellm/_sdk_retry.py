"""The openai SDK client's own retries, where LiteLLM leaves them on (1.74's /health probes):
which failures are sent again and how long it waits first (openai 3.63.0 _base_client.py:
``_should_retry`` 927-969, ``_calculate_retry_timeout`` 903-925, ``_parse_retry_after_header``
854-890; constants in _constants.py)."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER_DELAY = 120.0
RETRIED_STATUSES = frozenset({408, 409, 429})


def retry_after(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms``, else ``retry-after`` in seconds (a date form is not read)."""
    for name, divisor in (("retry-after-ms", 1000), ("retry-after", 1)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / divisor
        except ValueError:
            continue
    return None


def should_retry(status: int, headers: Mapping[str, str]) -> bool:
    told = retry_after(headers)
    if told is not None and math.isfinite(told) and told > MAX_RETRY_AFTER_DELAY:
        return False
    flag = headers.get("x-should-retry")
    if flag in ("true", "false"):
        return flag == "true"
    return status in RETRIED_STATUSES or status >= 500


def delay(retries_taken: int, headers: Mapping[str, str], draw: random.Random) -> float:
    """Seconds before retry number ``retries_taken + 1``: the server's retry-after up to two
    minutes, else 0.5 s x 2^n (at most 8 s) less up to 25 % jitter."""
    told = retry_after(headers)
    if told is not None and math.isfinite(told) and 0 < told <= MAX_RETRY_AFTER_DELAY:
        return told
    seconds = min(INITIAL_RETRY_DELAY * 2.0**retries_taken, MAX_RETRY_DELAY)
    return seconds * (1 - 0.25 * draw.random())
