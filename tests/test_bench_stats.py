"""The loss-vs-probe rank correlation of a capacity report, with a p-value that holds for
a handful of rungs, and the paired sign-flip test of two rows over their shared seeds
(graphae/bench/stats.py), checked against hand-counted permutations and sign patterns."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from graphae.bench.stats import (
    EXACT_MAX_N,
    PAIRED_EXACT_MAX_N,
    PERMUTATION_DRAWS,
    paired_difference,
    spearman,
)


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


def test_paired_sign_flip_counts_every_sign_pattern_at_least_as_extreme() -> None:
    """d = (0.05, -0.02, 0.05), Σd = 0.08. The 8 sign patterns give |Σ| = 0.12 (×2),
    0.08 (×2) and 0.02 (×4): 4 of 8 are at least as extreme, p = 0.5."""
    res = paired_difference(np.array([0.80, 0.70, 0.90]), np.array([0.75, 0.72, 0.85]))
    assert res is not None
    assert res.mean_diff == pytest.approx(0.08 / 3)
    assert (res.n, res.wins, res.losses, res.method) == (3, 2, 1, "exact")
    assert res.p == pytest.approx(0.5)


def test_paired_all_wins_reach_the_smallest_p_for_the_seed_count() -> None:
    """Five seeds all in one direction: only the observed pattern and its mirror are as
    extreme, p = 2/32 = 0.0625 — five seeds can never give p < 0.05."""
    a = np.array([0.9, 0.8, 0.85, 0.7, 0.95])
    res = paired_difference(a, a - np.array([0.01, 0.02, 0.03, 0.04, 0.05]))
    assert res is not None and res.p == pytest.approx(2 / 32) == res.p_min and res.wins == 5
    flipped = paired_difference(a - 0.01, a)
    assert flipped is not None and flipped.p == pytest.approx(2 / 32)  # two-sided
    assert flipped.losses == 5 and flipped.mean_diff == pytest.approx(-0.01)


def test_paired_ties_count_in_neither_direction_and_one_pair_has_no_test() -> None:
    res = paired_difference(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 4.0]))
    assert res is not None and (res.wins, res.losses) == (1, 1)
    assert res.p == pytest.approx(1.0)  # Σd = 0: every pattern is as extreme
    assert paired_difference(np.array([1.0]), np.array([0.0])) is None
    with pytest.raises(ValueError, match="differ in shape"):
        paired_difference(np.array([1.0, 2.0]), np.array([1.0]))


def test_above_the_exact_size_the_paired_p_is_seeded_and_tracks_the_exact_one() -> None:
    """Seventeen seeds: 100,000 seeded sign patterns against all 131,072."""
    rng = np.random.default_rng(5)
    d = rng.normal(loc=0.3, scale=1.0, size=17)
    res = paired_difference(d, np.zeros(17))
    assert res is not None and res.method == "permutation" and PAIRED_EXACT_MAX_N < 17
    bits = (np.arange(2**17)[:, None] >> np.arange(17)) & 1
    exact = float(np.mean(np.abs((1 - 2 * bits) @ d) >= abs(d.sum()) - 1e-12))
    assert 0.001 < exact < 0.9
    assert res.p == pytest.approx(exact, abs=0.005)
    assert paired_difference(d, np.zeros(17)) == res
