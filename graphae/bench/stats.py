"""Small-sample statistics of a capacity sweep, with p-values that hold there.

Rank correlation across a handful of decoder rungs (:func:`spearman`), and the
paired comparison of two rows over the seeds they share (:func:`paired_difference`).

A capacity sweep correlates one value per rung (a reconstruction loss) with another (a
probe score) over 4 to 20 rungs. Spearman's usual p-value (scipy's t approximation) is
far off at that size: with 4 rungs it gives p = 0 for ρ = ±1, where the exact two-sided
p is 2/24 ≈ 0.083. :func:`spearman` returns the permutation p-value instead: exact
(every ordering of the rungs) up to :data:`EXACT_MAX_N` rungs, else from
:data:`PERMUTATION_DRAWS` orderings drawn with a fixed seed (the same figures every time
a report is rebuilt).

Two rows of a sweep that ran the same seeds saw the same splits and initial draws, so
their gap is best judged seed by seed: :func:`paired_difference` gives the sign-flip
(randomisation) test of the mean per-seed difference, exact up to
:data:`PAIRED_EXACT_MAX_N` seeds.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

__all__ = [
    "EXACT_MAX_N",
    "PAIRED_EXACT_MAX_N",
    "PERMUTATION_DRAWS",
    "PairedResult",
    "SpearmanResult",
    "paired_difference",
    "spearman",
]

#: Up to this many pairs the p-value enumerates every permutation (8! = 40,320).
EXACT_MAX_N = 8
#: Seeded random permutations behind the p-value above :data:`EXACT_MAX_N` pairs.
PERMUTATION_DRAWS = 100_000
#: Up to this many seeds the paired test enumerates every sign pattern (2^16 = 65,536).
PAIRED_EXACT_MAX_N = 16


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
    p = _share(extreme, len(orders), method)
    return SpearmanResult(rho=max(-1.0, min(1.0, rho)), p=p, method=method, n=n)


def _share(extreme: int, total: int, method: str) -> float:
    """The p-value from ``extreme`` of ``total`` null values at least as extreme.

    Exact enumeration: ``extreme / total``. Seeded draws: ``(extreme + 1) / (total + 1)``
    (the observed value counts as one draw, so p is never 0).
    """
    p = extreme / total if method == "exact" else (extreme + 1) / (total + 1)
    return min(1.0, p)


@dataclass(frozen=True)
class PairedResult:
    """Two rows compared seed by seed.

    Attributes:
        n: The number of shared seeds (pairs).
        mean_diff: The mean of ``a - b`` over the pairs.
        wins: Pairs with ``a > b``.
        losses: Pairs with ``a < b`` (ties count in neither).
        p: Two-sided sign-flip p-value of ``mean_diff``: the share of the ``2^n``
            sign patterns of the differences whose mean is at least as far from 0
            (exact), or ``(k + 1) / (draws + 1)`` of seeded draws.
        method: ``"exact"`` or ``"permutation"``.
        p_min: The smallest ``p`` this many pairs can give: ``2 / 2^n`` exact (the
            observed pattern and its mirror), ``1 / (draws + 1)`` from draws.
    """

    n: int
    mean_diff: float
    wins: int
    losses: int
    p: float
    method: str
    p_min: float


def paired_difference(a: np.ndarray, b: np.ndarray, seed: int = 0) -> PairedResult | None:
    """The sign-flip test of ``mean(a - b)`` over paired values (one pair per seed).

    Under the null hypothesis that the two rows are exchangeable within each seed,
    every difference is as likely to have either sign; the p-value counts the sign
    patterns whose mean difference is at least as extreme as the observed one.
    With ``n`` pairs the smallest possible p is ``2 / 2^n`` (0.0625 at 5 seeds,
    0.002 at 10).

    Args:
        a: Shape ``(n,)``, finite values of the first row, one per seed.
        b: Shape ``(n,)``, the second row's values on the same seeds.
        seed: Seed of the random sign patterns (above :data:`PAIRED_EXACT_MAX_N`).

    Returns:
        The result, or ``None`` with fewer than 2 pairs.

    Raises:
        ValueError: ``a`` and ``b`` differ in length.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values differ in shape: {a.shape} vs {b.shape}")
    d = a - b
    n = len(d)
    if n < 2:
        return None
    if n <= PAIRED_EXACT_MAX_N:
        bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
        method = "exact"
    else:
        bits = np.random.default_rng(seed).integers(0, 2, size=(PERMUTATION_DRAWS, n))
        method = "permutation"
    null = np.abs((1 - 2 * bits) @ d)
    observed = abs(float(d.sum()))
    extreme = int(np.count_nonzero(null >= observed - 1e-12 * max(1.0, observed)))
    return PairedResult(
        n=n,
        mean_diff=float(d.mean()),
        wins=int(np.count_nonzero(d > 0)),
        losses=int(np.count_nonzero(d < 0)),
        p=_share(extreme, len(bits), method),
        method=method,
        p_min=_share(2 if method == "exact" else 0, len(bits), method),
    )
