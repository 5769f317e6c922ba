"""Rank correlation across a handful of decoder rungs, with a p-value that holds there.

A capacity sweep correlates one value per rung (a reconstruction loss) with another (a
probe score) over 4 to 20 rungs. Spearman's usual p-value (scipy's t approximation) is
far off at that size: with 4 rungs it gives p = 0 for ρ = ±1, where the exact two-sided
p is 2/24 ≈ 0.083. :func:`spearman` returns the permutation p-value instead: exact
(every ordering of the rungs) up to :data:`EXACT_MAX_N` rungs, else from
:data:`PERMUTATION_DRAWS` orderings drawn with a fixed seed (the same figures every time
a report is rebuilt).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

__all__ = ["EXACT_MAX_N", "PERMUTATION_DRAWS", "SpearmanResult", "spearman"]

#: Up to this many pairs the p-value enumerates every permutation (8! = 40,320).
EXACT_MAX_N = 8
#: Seeded random permutations behind the p-value above :data:`EXACT_MAX_N` pairs.
PERMUTATION_DRAWS = 100_000


@dataclass(frozen=True)
class SpearmanResult:
    """Spearman's ρ with its two-sided permutation p-value.

    Attributes:
        rho: The rank correlation (average ranks for ties), in [-1, 1].
        p: The share of orderings of the second variable whose |ρ| is at least the
            observed |ρ| (exact), or ``(k + 1) / (draws + 1)`` of seeded draws.
        method: ``"exact"`` or ``"permutation"``.
        n: The number of pairs.
    """

    rho: float
    p: float
    method: str
    n: int


def spearman(a: np.ndarray, b: np.ndarray, seed: int = 0) -> SpearmanResult | None:
    """Spearman's ρ between ``a`` and ``b`` and its permutation p-value.

    Args:
        a: Shape ``(n,)``, finite values.
        b: Shape ``(n,)``, finite values.
        seed: Seed of the random orderings (used above :data:`EXACT_MAX_N` pairs).

    Returns:
        The result, or ``None`` when ρ is undefined: fewer than 3 pairs, or either
        variable constant.
    """
    x = rankdata(np.asarray(a, dtype=float))
    y = rankdata(np.asarray(b, dtype=float))
    n = len(x)
    if n < 3 or len(y) != n or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    xc, yc = x - x.mean(), y - y.mean()
    scale = float(np.sqrt((xc @ xc) * (yc @ yc)))
    rho = float(xc @ yc) / scale
    if n <= EXACT_MAX_N:
        orders = np.array(list(itertools.permutations(range(n))))
        method = "exact"
    else:
        rng = np.random.default_rng(seed)
        orders = rng.permuted(np.tile(np.arange(n), (PERMUTATION_DRAWS, 1)), axis=1)
        method = "permutation"
    null = (yc[orders] @ xc) / scale
    extreme = int(np.count_nonzero(np.abs(null) >= abs(rho) - 1e-12))
    p = extreme / len(orders) if method == "exact" else (extreme + 1) / (len(orders) + 1)
    return SpearmanResult(rho=max(-1.0, min(1.0, rho)), p=min(1.0, p), method=method, n=n)
