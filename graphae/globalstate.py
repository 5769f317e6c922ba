"""Leave the caller's global state as it was: RNGs, torch's numeric flags, thread count.

:func:`graphae.train.fit` seeds Python's ``random``, NumPy's global generator and
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
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch

__all__ = ["GlobalState", "keeps_global_state", "preserved_global_state"]

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
    """torch's global flags that :func:`graphae.train.fit` may change."""
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
