"""The process a run trains in: device, seeds, precision, memory, and leaving it as it was.

* :func:`resolve_device`, :func:`seed_everything`, :func:`set_precision`,
  :func:`autocast`: what :func:`graphae.pipeline.fit` sets up before training.
* :func:`peak_memory`: the peak resident and CUDA memory a run reports.
* :func:`import_in_background`: the final probes' scikit-learn imported while
  training runs.
* :func:`preserved_global_state` / :func:`keeps_global_state`: the caller's
  global state (RNGs, torch's numeric flags, thread count) put back when
  ``fit`` returns or fails.

:func:`graphae.pipeline.fit` seeds Python's ``random``, NumPy's global generator and
torch's generators, and may switch on deterministic algorithms or change TF32.
That is what makes a run reproducible, but it must not leak into the code that
called ``fit``: a user who seeded NumPy before ``GraphAEEmbedder().fit(g)``
expects the same ``np.random.rand()`` afterwards as without the call.
:func:`preserved_global_state` snapshots everything ``fit`` may touch and puts it
back when the block ends (also on errors and Ctrl-C).

What is restored:

* Python ``random``, ``numpy.random`` (the legacy global ``RandomState``), the
  torch CPU generator and, when CUDA was initialised before the block, every
  CUDA device's generator. When CUDA was first initialised inside the block, the
  CUDA generators are re-seeded with the CPU generator's seed from before the
  block, which is what they would have started from (``torch.manual_seed``
  seeds both).
* ``torch.are_deterministic_algorithms_enabled()`` and its ``warn_only`` mode,
  ``torch.backends.cudnn.{deterministic, benchmark, allow_tf32}``,
  ``torch.backends.cuda.matmul.allow_tf32``, ``torch.get_float32_matmul_precision()``
  and ``torch.get_num_threads()``.
* The ``CUBLAS_WORKSPACE_CONFIG`` environment variable (set for deterministic
  cuBLAS).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import random
import resource
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch

from graphae.errors import GraphaeError

__all__ = [
    "PROBE_MODULES",
    "GlobalState",
    "autocast",
    "import_in_background",
    "keeps_global_state",
    "peak_memory",
    "preserved_global_state",
    "resolve_device",
    "seed_everything",
    "set_precision",
]

# --------------------------------------------------------------------------- device, seeds, precision


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else validated."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise GraphaeError(f"unknown device {name!r}; use auto, cpu or cuda[:N]") from e
    if device.type == "cuda" and not torch.cuda.is_available():
        raise GraphaeError(f"device {name!r} asked for but CUDA is not available; use --device cpu")
    if device.type == "cuda" and device.index is not None:
        count = torch.cuda.device_count()
        if device.index >= count:
            hint = f"use cuda:0 to cuda:{count - 1}" if count else "use --device cpu"
            raise GraphaeError(
                f"device {name!r} asked for but this machine has {count} CUDA device(s); {hint}"
            )
    return device


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy and torch (all devices); optionally force deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        # cuBLAS needs a fixed workspace for deterministic GEMMs (set before first use).
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=False)


def set_precision(precision: str, device: torch.device) -> None:
    """Exact fp32 (TF32 off) unless ``precision`` allows TF32/bf16 on CUDA."""
    if device.type == "cuda":
        tf32 = precision != "fp32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32


def autocast(device: torch.device, precision: str) -> Any:
    """bf16 autocast for ``precision="bf16"``, else a no-op context."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def peak_memory(device: torch.device) -> dict[str, int]:
    """Peak memory of this process in bytes: ``peak_rss``, plus ``peak_cuda`` on a CUDA device.

    ``peak_cuda`` is ``torch.cuda.max_memory_allocated`` since the last
    ``torch.cuda.reset_peak_memory_stats`` (or the process start).
    """
    mem = {"peak_rss": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024}
    if device.type == "cuda":
        mem["peak_cuda"] = int(torch.cuda.max_memory_allocated(device))
    return mem


# --------------------------------------------------------------------------- final probes

#: What the final probes (:func:`graphae.evaluation.measure.measure`) import: scikit-learn.
PROBE_MODULES = (
    "sklearn.metrics",
    "sklearn.linear_model",
    "sklearn.preprocessing",
    "sklearn.cluster",
    "sklearn.model_selection",
)


def import_in_background(names: Sequence[str] = PROBE_MODULES) -> threading.Thread:
    """Import ``names`` in a daemon thread (training releases the GIL inside its kernels,
    so the ~1 s scikit-learn import overlaps the epochs instead of following them).

    Python's per-module import locks make a later ``import`` in the main thread wait
    for (or reuse) the thread's work; a failed import is ignored here and raises
    where the module is really imported.
    """

    def work() -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # reported by the real import later
                return

    thread = threading.Thread(target=work, name="graphae-preload", daemon=True)
    thread.start()
    return thread


# --------------------------------------------------------------------------- global state

F = TypeVar("F", bound=Callable[..., Any])

_ENV_KEYS = ("CUBLAS_WORKSPACE_CONFIG",)


@dataclass
class GlobalState:
    """A snapshot of the process-wide state that training may change.

    Attributes:
        python: ``random.getstate()``.
        numpy: ``np.random.get_state()``.
        torch_cpu: ``torch.get_rng_state()``, a ``(5056,)`` uint8 tensor.
        torch_seed: ``torch.initial_seed()``.
        cuda: ``torch.cuda.get_rng_state_all()`` when CUDA was initialised, else ``None``.
        flags: torch's global numeric flags, by name (see :func:`_read_flags`).
        env: Environment variables graphae may set, ``None`` when unset.
    """

    python: Any
    numpy: Any
    torch_cpu: torch.Tensor
    torch_seed: int
    cuda: list[torch.Tensor] | None
    flags: dict[str, Any]
    env: dict[str, str | None]

    @classmethod
    def capture(cls) -> GlobalState:
        """The state now."""
        cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
        return cls(
            python=random.getstate(),
            numpy=np.random.get_state(),
            torch_cpu=torch.get_rng_state(),
            torch_seed=torch.initial_seed(),
            cuda=cuda,
            flags=_read_flags(),
            env={k: os.environ.get(k) for k in _ENV_KEYS},
        )

    def restore(self) -> None:
        """Put this snapshot back."""
        random.setstate(self.python)
        np.random.set_state(self.numpy)
        torch.set_rng_state(self.torch_cpu)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)
        elif torch.cuda.is_initialized():
            torch.cuda.manual_seed_all(self.torch_seed)
        _write_flags(self.flags)
        for k, v in self.env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _read_flags() -> dict[str, Any]:
    """torch's global flags that :func:`graphae.pipeline.fit` may change."""
    return {
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "deterministic_warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "cudnn_deterministic": torch.backends.cudnn.deterministic,
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
        "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "num_threads": torch.get_num_threads(),
    }


def _write_flags(flags: dict[str, Any]) -> None:
    """Set the flags of :func:`_read_flags`, touching only those that differ."""
    now = _read_flags()
    if (now["deterministic_algorithms"], now["deterministic_warn_only"]) != (
        flags["deterministic_algorithms"],
        flags["deterministic_warn_only"],
    ):
        torch.use_deterministic_algorithms(
            flags["deterministic_algorithms"], warn_only=flags["deterministic_warn_only"]
        )
    torch.backends.cudnn.deterministic = flags["cudnn_deterministic"]
    torch.backends.cudnn.benchmark = flags["cudnn_benchmark"]
    if now["cudnn_allow_tf32"] != flags["cudnn_allow_tf32"]:
        torch.backends.cudnn.allow_tf32 = flags["cudnn_allow_tf32"]
    if now["matmul_allow_tf32"] != flags["matmul_allow_tf32"]:
        torch.backends.cuda.matmul.allow_tf32 = flags["matmul_allow_tf32"]
    # after allow_tf32: setting that flag also moves the matmul precision
    if torch.get_float32_matmul_precision() != flags["float32_matmul_precision"]:
        torch.set_float32_matmul_precision(flags["float32_matmul_precision"])
    if torch.get_num_threads() != flags["num_threads"]:
        torch.set_num_threads(flags["num_threads"])


@contextlib.contextmanager
def preserved_global_state() -> Iterator[GlobalState]:
    """Snapshot the global state, run the block, restore it (also on exceptions).

    Yields:
        The snapshot taken on entry.
    """
    state = GlobalState.capture()
    try:
        yield state
    finally:
        state.restore()


def keeps_global_state(func: F) -> F:
    """Decorator: ``func`` runs inside :func:`preserved_global_state`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with preserved_global_state():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
