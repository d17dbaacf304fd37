"""Stand-ins for the GPU-side packages SGLang imports at module level but never runs on the
chat path (triton, sgl_kernel, flashinfer ...): a missing top-level package becomes a module
whose every attribute is a permissive placeholder. sglang's own modules are never stubbed."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence
from typing import Any


class _Placeholder:
    """Callable, subscriptable, usable as a base class or decorator; does nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]  # used as a decorator
        return _Placeholder()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Placeholder()

    def __getitem__(self, key: Any) -> Any:
        return _Placeholder()

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (object,)

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Any:
        return iter(())

    def __or__(self, other: Any) -> Any:
        return _Placeholder()

    __ror__ = __or__


class _StubModule(types.ModuleType):
    __version__ = "0.0.0"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Placeholder()


class _StubLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StubModule(spec.name)
        module.__path__ = []  # a package: submodules resolve to stubs too
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


class StubFinder(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: the named top-level packages, when not installed, are stubs."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        self.stubbed: set[str] = set()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        top = fullname.split(".")[0]
        if top not in self.names:
            return None
        self.stubbed.add(top)
        return importlib.machinery.ModuleSpec(fullname, _StubLoader(), is_package=True)


# GPU kernels and heavy optional stacks the chat path imports but never calls.
GPU_SIDE = frozenset(
    {
        "triton",
        "sgl_kernel",
        "flashinfer",
        "vllm",
        "cuda",
        "decord",
        "torch_memory_saver",
        "torchvision",  # after transformers has seen it absent (see install)
        "deep_gemm",
        "deep_ep",
        "tilelang",
        "quack",
        "kernels",
        "nvidia",
        "pynvml",
        "setproctitle",
        "soundfile",
        "gguf",
        "IPython",
        "modelscope",
        "compressed_tensors",
        "numba",
    }
)


def stub_modules(*names: str) -> None:
    """Put stubs in place of some of sglang's own modules (the engine's process launcher and
    the scheduler behind it), so http_server's routes import without the GPU stack."""
    for name in names:
        sys.modules[name] = _StubLoader().create_module(importlib.machinery.ModuleSpec(name, None))


def install(names: frozenset[str] = GPU_SIDE) -> StubFinder:
    # transformers and torch decide once whether torchvision and triton are there; they
    # must see the truth (absent) before the stubs exist
    import torch._inductor.compile_fx
    import torch.utils.flop_counter  # noqa: F401
    import transformers.utils.import_utils  # noqa: F401
    import xgrammar  # noqa: F401  (tvm_ffi probes optional packages as types)

    finder = StubFinder(names)
    sys.meta_path.append(finder)
    return finder
