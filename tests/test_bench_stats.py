"""The loss-vs-probe rank correlation of a capacity report, with a p-value that holds for
a handful of rungs (graphae/bench/stats.py), checked against hand-counted permutations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from graphae.bench.stats import EXACT_MAX_N, PERMUTATION_DRAWS, spearman


def test_four_rungs_in_perfect_order_are_not_significant() -> None:
    """ρ = -1 over 4 rungs: 2 of the 24 orderings are as extreme (the order and its
    reverse), so p = 1/12; scipy's t approximation says p = 0."""
    res = spearman(np.array([0.9, 0.8, 0.7, 0.6]), np.array([0.1, 0.2, 0.3, 0.4]))
    assert res is not None
    assert res.rho == pytest.approx(-1.0)
    assert res.p == pytest.approx(2 / 24)
    assert (res.method, res.n) == ("exact", 4)


def test_exact_p_counts_every_ordering_at_least_as_extreme() -> None:
    """b = (4, 2, 3, 1): d = (-3, 0, 0, 3), Σd² = 18, ρ = 1 - 6·18/60 = -0.8. Orderings
    with |ρ| >= 0.8: ρ = ±1 (1 each) and ρ = ±0.8 (3 each), 8 of 24."""
    res = spearman(np.array([1.0, 2.0, 3.0, 4.0]), np.array([4.0, 2.0, 3.0, 1.0]))
    assert res is not None and res.rho == pytest.approx(-0.8)
    rhos = [
        1 - 6 * sum((i - k) ** 2 for i, k in enumerate(perm)) / 60
        for perm in itertools.permutations(range(4))
    ]
    assert sum(abs(r) >= 0.8 - 1e-12 for r in rhos) == 8
    assert res.p == pytest.approx(8 / 24)


def test_ties_use_average_ranks_and_constants_have_no_correlation() -> None:
    res = spearman(np.array([1.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    # ranks (1.5, 1.5, 3) vs (1, 2, 3): ρ = 1.5 / sqrt(1.5 * 2)
    assert res is not None and res.rho == pytest.approx(1.5 / math.sqrt(3.0))
    assert spearman(np.array([1.0, 1.0, 1.0]), np.array([1.0, 2.0, 3.0])) is None
    assert spearman(np.array([1.0, 2.0]), np.array([2.0, 1.0])) is None


def test_above_the_exact_size_the_seeded_permutation_p_tracks_the_exact_one() -> None:
    """Nine rungs: 100,000 seeded orderings against all 362,880, and the same figure
    on every call (a rebuilt report does not change)."""
    rng = np.random.default_rng(3)
    a = rng.normal(size=9)
    b = a + rng.normal(scale=1.2, size=9)
    res = spearman(a, b)
    assert res is not None and res.method == "permutation" and EXACT_MAX_N < 9
    x = np.argsort(np.argsort(a)).astype(float)
    y = np.argsort(np.argsort(b)).astype(float)
    xc, yc = x - 4.0, y - 4.0
    perms = np.array(list(itertools.permutations(range(9))))
    null = (yc[perms] @ xc) / float(xc @ xc)
    exact = float(np.mean(np.abs(null) >= abs(res.rho) - 1e-12))
    assert 0.01 < exact < 0.9
    assert res.p == pytest.approx(exact, abs=4 / math.sqrt(PERMUTATION_DRAWS))
    assert spearman(a, b) == res
