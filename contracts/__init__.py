"""Contract tests for OpenAI-compatible LLM clients: drivers, scenarios, goldens, the matrix."""

from contracts._collect import collect, collect_sync
from contracts._driver import (
    ENDPOINT_OPTION,
    AsyncDriver,
    Driver,
    DriverFactory,
    DriverSpec,
    SyncDriver,
)
from contracts._model import (
    ContractError,
    Endpoint,
    EndpointUsed,
    ErrorKind,
    Event,
    Failure,
    Finish,
    ReasoningDelta,
    Request,
    Result,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
    UsageReport,
)
from contracts._target import Target

__all__ = [
    "ENDPOINT_OPTION",
    "AsyncDriver",
    "ContractError",
    "Driver",
    "DriverFactory",
    "DriverSpec",
    "Endpoint",
    "EndpointUsed",
    "ErrorKind",
    "Event",
    "Failure",
    "Finish",
    "ReasoningDelta",
    "Request",
    "Result",
    "SyncDriver",
    "Target",
    "TextDelta",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "UsageReport",
    "collect",
    "collect_sync",
]
