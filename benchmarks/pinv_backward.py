"""The pinv decoder's pseudo-inverse, forward and backward: a tall weight as it is, or
through its transpose (what :class:`graphae.nn.decoders.PinvDecoder` does).

torch's backward of ``torch.linalg.pinv`` forms two ``(m, m)`` products for a tall
``(m, n)`` input (``m > n``) and only ``(n, n)`` / ``(n, m)`` ones for a wide one,
so ``pinv(wᵀ)ᵀ`` (the same matrix) is cheaper to differentiate. Each row times
both (graphae's :func:`~graphae.nn.decoders.pseudo_inverse` for the second) on
the first encoder layer's weight of a dataset (``F x 32``, graphae's
default hidden width), alternating, and reports the median, the speed-up and
the largest difference of the two results and of their gradients.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/pinv_backward.py --repeats 5 \\
        --out benchmarks/results/pinv-backward-cpu.md
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from graphae.nn.decoders import pseudo_inverse

#: (dataset, F): the feature widths of the datasets the capacity sweeps run.
WIDTHS = (
    ("Cora", 1433),
    ("CiteSeer", 3703),
    ("Amazon Photo", 745),
    ("Amazon Computers", 767),
    ("Coauthor CS", 6805),
    ("Coauthor Physics", 8415),
)


def as_is(w: Tensor) -> Tensor:
    """torch's pseudo-inverse of ``w`` as given."""
    return torch.linalg.pinv(w)


def step(f: Callable[[Tensor], Tensor], w: Tensor, probe: Tensor) -> tuple[float, Tensor, Tensor]:
    """Seconds of one forward and backward of ``f`` at ``w``, its value and gradient."""
    w = w.detach().requires_grad_(True)
    t = time.perf_counter()
    p = f(w)
    (grad,) = torch.autograd.grad((p * probe).sum(), w)
    return time.perf_counter() - t, p.detach(), grad


def row(dataset: str, features: int, hidden: int, repeats: int) -> dict[str, object]:
    """Median times of both ways for one ``features x hidden`` weight, and their difference."""
    g = torch.Generator().manual_seed(0)
    bound = (6.0 / (features + hidden)) ** 0.5  # xavier_uniform, as the encoder initialises
    w = (torch.rand(features, hidden, generator=g) * 2 - 1) * bound
    probe = torch.randn(hidden, features, generator=g)
    times: dict[str, list[float]] = {"as_is": [], "transposed": []}
    out: dict[str, tuple[Tensor, Tensor]] = {}
    for _ in range(repeats):
        for name, f in (("as_is", as_is), ("transposed", pseudo_inverse)):
            sec, p, grad = step(f, w, probe)
            times[name].append(sec)
            out[name] = (p, grad)
    (p0, g0), (p1, g1) = out["as_is"], out["transposed"]
    ms = {k: 1000 * statistics.median(v) for k, v in times.items()}
    return {
        "dataset": dataset,
        "shape": [features, hidden],
        "as_is_ms": ms["as_is"],
        "transposed_ms": ms["transposed"],
        "speedup": ms["as_is"] / ms["transposed"],
        "max_rel_diff_pinv": float((p1 - p0).abs().max() / p0.abs().max()),
        "max_rel_diff_grad": float((g1 - g0).abs().max() / g0.abs().max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True, help="Markdown; JSON beside it")
    args = parser.parse_args()
    rows = [row(d, f, args.hidden, args.repeats) for d, f in WIDTHS]
    device = (
        f"cpu ({platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s))"
    )
    command = (
        f"OMP_NUM_THREADS=1 python benchmarks/pinv_backward.py --hidden {args.hidden} "
        f"--repeats {args.repeats}"
    )
    args.out.with_suffix(".json").write_text(
        json.dumps({"device": device, "command": command, "rows": rows}, indent=1) + "\n"
    )
    lines = [
        "# The pinv decoder's pseudo-inverse: forward + backward of a tall weight",
        "",
        f"Command: `{command}`. Device: {device}. One forward and backward of the "
        f"first encoder layer's `F x {args.hidden}` weight, both ways alternating, "
        f"median of {args.repeats}.",
        "",
        "| dataset | weight | pinv(w) (ms) | pinv(wᵀ)ᵀ (ms) | speed-up | "
        "max rel. diff pinv / gradient |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        f, h = r["shape"]  # type: ignore[misc]
        lines.append(
            f"| {r['dataset']} | {f} x {h} | {r['as_is_ms']:.1f} | {r['transposed_ms']:.1f} | "
            f"{r['speedup']:.0f}x | {r['max_rel_diff_pinv']:.1e} / {r['max_rel_diff_grad']:.1e} |"
        )
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
