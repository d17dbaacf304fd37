"""A real LiteLLM ``config.yaml``, read into a frozen config; errors name the file and line."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from fakes.litellm._boot import KEY_ENV, OVERRIDE_SETTING, check_master_key
from fakes.litellm._key_limits import SETTING as KEYS_SETTING
from fakes.litellm._key_limits import KeyLimits, read_keys
from fakes.litellm._router_config import ROUTER_KEYS, RouterSettings, read_router
from fakes.profiles import LitellmProfile

PROVIDERS = ("hosted_vllm", "openai")
DEFAULT_RETRIES = 2
DEFAULT_COOLDOWN = 5.0
MOCK_TEXT = "This is a mock request"

# Keys the fake reads; every other key is reported once and ignored.
_TOP = {
    "model_list",
    "general_settings",
    "litellm_settings",
    "router_settings",
    "environment_variables",
}
_DEPLOYMENT = {"model_name", "litellm_params", "model_info"}
_PARAMS = {
    "model",
    "api_base",
    "api_key",
    "mock_response",
    "weight",
    "rpm",
    "tpm",
    "timeout",
    "stream_timeout",
    "max_parallel_requests",
}
_GENERAL = {"master_key", OVERRIDE_SETTING, KEYS_SETTING}
_SETTINGS = {"num_retries", "cooldown_time", *ROUTER_KEYS}


class ConfigError(ValueError):
    """A config that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Deployment:
    model_name: str  # the alias clients send
    provider: str  # "hosted_vllm" or "openai"
    upstream_model: str  # litellm_params.model without the provider prefix
    api_base: str | None = None
    api_key: str | None = None
    mock_response: str | None = None
    weight: float | None = None  # simple-shuffle's pick
    rpm: int | None = None
    tpm: int | None = None
    given_id: str | None = None  # model_info.id: LiteLLM's id for the deployment when set
    timeout: float | None = None  # seconds an attempt may wait for the upstream's answer
    stream_timeout: float | None = None  # ... for its first chunk, on a streamed request
    max_parallel_requests: int | None = None  # attempts in flight at once (_slots.py)

    def timeout_for(self, stream: bool) -> float | None:
        """A stream waits ``stream_timeout``, else ``timeout``; a plain request ``timeout``."""
        if stream and self.stream_timeout is not None:
            return self.stream_timeout
        return self.timeout

    @property
    def model(self) -> str:
        return f"{self.provider}/{self.upstream_model}"

    @property
    def answers_itself(self) -> bool:
        return self.mock_response is not None or self.api_base is None

    @functools.cached_property
    def model_id(self) -> str:
        """model_info.id, else a stable id per deployment like LiteLLM's hash of its params."""
        if self.given_id is not None:
            return self.given_id
        text = f"{self.model_name}|{self.model}|{self.api_base}"
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def exception_prefix(self) -> str:
        return "Hosted_vllmException" if self.provider == "hosted_vllm" else "OpenAIException"


@dataclass(frozen=True)
class LitellmConfig:
    profile: LitellmProfile
    version: str  # what x-litellm-version reports
    deployments: tuple[Deployment, ...] = ()
    master_key: str | None = None  # None: no key is required
    keys: Mapping[str, KeyLimits] = field(default_factory=dict)  # virtual keys and their limits
    weak_master_key_permitted: bool = False  # started under the 1.110 override
    num_retries: int = DEFAULT_RETRIES
    cooldown_time: float = DEFAULT_COOLDOWN
    router: RouterSettings = field(default_factory=RouterSettings)
    warnings: tuple[str, ...] = ()  # unsupported keys, reported once by whoever loads it
    control_plane: bool = True
    control_token: str | None = None  # every /_fake/ route needs it when set
    recordings_dir: str = "recordings"  # where the console saves cassettes and scenarios
    log_limit: int = 1000
    max_body_bytes: int = 32 * 1024 * 1024
    upstream_timeout: float = 600.0
    source: str = "<config>"
    fast_path: bool = True  # the chat route's raw ASGI dispatch (_dispatch.py)

    @functools.cached_property
    def routed(self) -> bool:
        """Chat calls go through the router (_router.py): a group of several deployments or
        router settings; otherwise the one deployment is called as before."""
        groups = [d.model_name for d in self.deployments]
        return self.router != RouterSettings() or len(groups) != len(set(groups))

    def group(self, name: str) -> tuple[Deployment, ...]:
        """The group's deployments; for a ``model_group_alias`` name, its target's under the
        alias (LiteLLM's ``get_model_list_from_model_alias``, router.py:6037-6066 of 1.74.15:
        copies named after the alias, their ids kept, so bodies and x-litellm-model-group say
        the alias while cooldowns and counters stay the deployment's)."""
        found = self._groups.get(name, ())
        target = self.router.model_group_alias.get(name)
        if found or target is None:
            return found
        return tuple(
            replace(d, model_name=name, given_id=d.model_id) for d in self._groups.get(target, ())
        )

    @functools.cached_property
    def _groups(self) -> dict[str, tuple[Deployment, ...]]:
        """Each model group's deployments, in config order (the config is frozen)."""
        names = dict.fromkeys(d.model_name for d in self.deployments)
        return {n: tuple(d for d in self.deployments if d.model_name == n) for n in names}

    @property
    def model_list(self) -> tuple[Deployment, ...]:
        """The router's model list as 1.74.15's ``get_model_list`` returns it: every alias's
        deployments first (under the alias), then the config's."""
        aliased = [d for alias in self.router.model_group_alias for d in self.group(alias)]
        return (*aliased, *self.deployments)

    @property
    def model_names(self) -> list[str]:
        """What /v1/models lists: the aliases first (seen on 1.110.2 and 1.74.15.post2,
        router conformance, aliases), then the groups."""
        groups = [d.model_name for d in self.deployments]
        aliases = [a for a in self.router.model_group_alias if self.group(a)]
        return list(dict.fromkeys([*aliases, *groups]))


class _Lines:
    """Line numbers of every key and list item, by path."""

    def __init__(self, node: yaml.Node | None) -> None:
        self.lines: dict[tuple[Any, ...], int] = {}
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, key.value)
                self._walk(value, child)
                self.lines[child] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*path, index))

    def at(self, path: tuple[Any, ...]) -> int:
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)


class _Reader:
    def __init__(self, origin: str, lines: _Lines, env: Mapping[str, str]) -> None:
        self.origin = origin
        self.lines = lines
        self.env = env
        self.warnings: list[str] = []

    def fail(self, path: tuple[Any, ...], message: str) -> ConfigError:
        return ConfigError(f"{self.origin}:{self.lines.at(path)}: {message}")

    def warn_unknown(self, data: Mapping[str, Any], known: set[str], path: tuple[Any, ...]) -> None:
        for key in data:
            if key not in known:
                where = ".".join(str(p) for p in (*path, key))
                self.warnings.append(
                    f"{self.origin}:{self.lines.at((*path, key))}: {where} is not supported by "
                    "the fake; ignored"
                )

    def mapping(self, value: Any, path: tuple[Any, ...]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, f"{'.'.join(map(str, path))} must be a mapping")
        return value

    def text(self, value: Any, path: tuple[Any, ...]) -> str | None:
        """A string value, resolving ``os.environ/NAME``."""
        if value is None:
            return None
        if not isinstance(value, str | int | float):
            raise self.fail(path, f"{'.'.join(map(str, path))} must be a string")
        text = str(value)
        if text.startswith("os.environ/"):
            name = text.removeprefix("os.environ/")
            if name not in self.env:
                raise self.fail(
                    path, f"{'.'.join(map(str, path))}: environment variable {name} is not set"
                )
            return self.env[name]
        return text

    def number(self, value: Any, path: tuple[Any, ...], kind: type[int] | type[float]) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"{'.'.join(map(str, path))} must be a number, got {value!r}")
        if value < 0:
            raise self.fail(path, f"{'.'.join(map(str, path))} must not be negative")
        return kind(value)


def _deployment(reader: _Reader, item: Any, index: int) -> Deployment:
    path: tuple[Any, ...] = ("model_list", index)
    entry = reader.mapping(item, path)
    reader.warn_unknown(entry, _DEPLOYMENT, path)
    name = entry.get("model_name")
    if not isinstance(name, str) or not name:
        raise reader.fail(path, f"model_list[{index}] needs a model_name")
    params_path = (*path, "litellm_params")
    params = reader.mapping(entry.get("litellm_params"), params_path)
    reader.warn_unknown(params, _PARAMS, params_path)
    model = reader.text(params.get("model"), (*params_path, "model"))
    if not model:
        raise reader.fail(params_path, f"model {name!r}: litellm_params.model is required")
    mock = params.get("mock_response")
    provider, sep, upstream = model.partition("/")
    if not sep:
        if mock is None:
            raise reader.fail(
                (*params_path, "model"),
                f"model {model!r} has no provider prefix; supported: "
                + ", ".join(f"{p}/..." for p in PROVIDERS),
            )
        provider, upstream = "openai", model
    if provider not in PROVIDERS:
        raise reader.fail(
            (*params_path, "model"),
            f"unknown provider prefix {provider!r} in {model!r}; supported: "
            + ", ".join(PROVIDERS),
        )
    api_base = reader.text(params.get("api_base"), (*params_path, "api_base"))
    return Deployment(
        model_name=name,
        provider=provider,
        upstream_model=upstream,
        api_base=api_base.rstrip("/") if api_base else None,
        api_key=reader.text(params.get("api_key"), (*params_path, "api_key")),
        mock_response=None if mock is None else str(mock),
        weight=_optional(reader, params, params_path, "weight", float),
        rpm=_optional(reader, params, params_path, "rpm", int),
        tpm=_optional(reader, params, params_path, "tpm", int),
        timeout=_optional(reader, params, params_path, "timeout", float),
        stream_timeout=_optional(reader, params, params_path, "stream_timeout", float),
        max_parallel_requests=_optional(reader, params, params_path, "max_parallel_requests", int),
        given_id=_given_id(reader, entry.get("model_info"), (*path, "model_info")),
    )


def _given_id(reader: _Reader, info: Any, path: tuple[Any, ...]) -> str | None:
    value = reader.mapping(info, path).get("id")
    return None if value is None else reader.text(value, (*path, "id"))


def _optional(
    reader: _Reader,
    params: Mapping[str, Any],
    path: tuple[Any, ...],
    key: str,
    kind: type[int] | type[float],
) -> Any:
    return None if params.get(key) is None else reader.number(params[key], (*path, key), kind)


def _master_key(reader: _Reader, general: Mapping[str, Any]) -> str | None:
    """The config's key, else LITELLM_MASTER_KEY; ``os.environ/UNSET`` is no key at all."""
    value = general.get("master_key")
    if isinstance(value, str) and value.startswith("os.environ/"):
        return reader.env.get(value.removeprefix("os.environ/"))
    if value is None:
        return reader.env.get(KEY_ENV)
    return reader.text(value, ("general_settings", "master_key"))


def parse_config(
    text: str,
    origin: str,
    profile: LitellmProfile,
    version: str,
    env: Mapping[str, str] | None = None,
) -> LitellmConfig:
    """Read the text of a LiteLLM config; ``origin`` names it in messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{origin}{line}: not valid YAML: {problem}") from None
    if data is None:
        data = {}
    lines = _Lines(node)
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}:1: expected a mapping with model_list at the top level")
    environment = dict(os.environ if env is None else env)
    reader = _Reader(origin, lines, environment)
    variables = reader.mapping(data.get("environment_variables"), ("environment_variables",))
    environment.update({str(k): str(v) for k, v in variables.items()})
    reader.warn_unknown(data, _TOP, ())
    models = data.get("model_list") or []
    if not isinstance(models, list):
        raise reader.fail(("model_list",), "model_list must be a list")
    deployments = tuple(_deployment(reader, item, i) for i, item in enumerate(models))
    general = reader.mapping(data.get("general_settings"), ("general_settings",))
    reader.warn_unknown(general, _GENERAL, ("general_settings",))
    master_key = _master_key(reader, general)
    keys = read_keys(general.get(KEYS_SETTING), reader.fail)
    retries, cooldown = DEFAULT_RETRIES, DEFAULT_COOLDOWN
    router = RouterSettings()
    for section in ("litellm_settings", "router_settings"):
        settings = reader.mapping(data.get(section), (section,))
        reader.warn_unknown(settings, _SETTINGS, (section,))
        if "num_retries" in settings:
            retries = reader.number(settings["num_retries"], (section, "num_retries"), int)
        if "cooldown_time" in settings:
            cooldown = reader.number(settings["cooldown_time"], (section, "cooldown_time"), float)
        router = read_router(router, settings, section, reader.fail, reader.number)
    permitted = False
    if profile.knobs.master_key_boot_check:  # at startup, once the config is read (1.110)
        permitted = check_master_key(master_key, general, origin, environment)
    return LitellmConfig(
        profile=profile,
        version=version,
        deployments=deployments,
        master_key=master_key,
        keys=keys,
        weak_master_key_permitted=permitted,
        num_retries=retries,
        cooldown_time=cooldown,
        router=router,
        warnings=tuple(reader.warnings),
        source=origin,
    )


def load_config(
    path: Path, profile: LitellmProfile, version: str, env: Mapping[str, str] | None = None
) -> LitellmConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    return parse_config(text, str(path), profile, version, env)
