"""What the timing scripts in ``benchmarks/`` share: device-synchronised medians and
writing a result pair (Markdown + JSON) without leaving half a file behind.

Scripts run as ``python benchmarks/<script>.py`` find this module beside them
(``sys.path[0]`` is the script's folder); the tests load it the same way.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

__all__ = ["emit", "median_seconds", "sync", "timed_seconds", "write_results"]


def sync(device: torch.device) -> None:
    """Wait for ``device``'s queued kernels (a no-op off CUDA)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_seconds(
    fn: Callable[[], Any], device: torch.device, repeat: int, warmup: int = 1
) -> list[float]:
    """Wall seconds of each of ``repeat`` synchronised calls of ``fn()``, after ``warmup``
    untimed ones.

    Args:
        fn: The work to time.
        device: Where it runs (CUDA calls are synchronised before and after each).
        repeat: Timed calls (at least 1).
        warmup: Untimed calls first (caches, allocator, lazy initialisation).

    Returns:
        One duration per timed call, in call order.
    """
    for _ in range(max(0, warmup)):
        fn()
    sync(device)
    times = []
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t)
    return times


def median_seconds(fn: Callable[[], Any], device: torch.device, repeat: int) -> float:
    """Median wall seconds of ``fn()`` over ``repeat`` synchronised calls, after one warm-up
    (:func:`timed_seconds`).

    Args:
        fn: The work to time.
        device: Where it runs (CUDA calls are synchronised before and after each).
        repeat: Timed calls (at least 1).

    Returns:
        The median, in seconds.
    """
    return statistics.median(timed_seconds(fn, device, repeat))


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_results(out: Path, text: str | None, data: Any) -> None:
    """``out`` (Markdown ``text``, when given) and ``out.with_suffix(".json")`` (``data``).

    Each file is written beside itself and renamed into place, so a run cut
    short leaves the previous result whole rather than a truncated one.

    Args:
        out: The Markdown path (its folder is created).
        text: The Markdown, or ``None`` for the JSON alone.
        data: What the JSON holds (``json.dumps``-able).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _replace(out.with_suffix(".json"), json.dumps(data, indent=1) + "\n")
    if text is not None:
        _replace(out, text)


def emit(lines: list[str], data: Any, out: Path | None) -> None:
    """Print the Markdown ``lines`` and, when ``out`` is given, write the pair there
    (:func:`write_results`)."""
    text = "\n".join(lines) + "\n"
    print(text)
    if out:
        write_results(out, text, data)
