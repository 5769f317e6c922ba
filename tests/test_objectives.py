"""Losses: exact values on tiny inputs, computed by hand."""

from __future__ import annotations

import math

import pytest
import torch

from graphae.errors import GraphaeError
from graphae.models.losses import (
    DENSE_MAX_NODES,
    check_dense_size,
    dense_bce,
    dense_target,
    feature_loss,
    feature_mse,
    kl_divergence,
    pair_bce,
    scaled_cosine_error,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_pair_bce_exact() -> None:
    assert math.isclose(
        float(pair_bce(torch.zeros(3), torch.zeros(5))), 2 * math.log(2), rel_tol=1e-6
    )
    # pos logit 2, neg logit -1: -log σ(2) - log(1 - σ(-1)) = log(1+e^-2) + log(1+e^-1)
    want = math.log1p(math.exp(-2)) + math.log1p(math.exp(-1))
    assert math.isclose(
        float(pair_bce(torch.tensor([2.0]), torch.tensor([-1.0]))), want, rel_tol=1e-6
    )


def test_dense_target_and_bce_exact() -> None:
    """3-node path 0-1-2 with self loops: 7 ones of 9 entries."""
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    t = dense_target(ei, 3)
    assert torch.equal(t, torch.tensor([[1.0, 1, 0], [1, 1, 1], [0, 1, 1]]))
    logits = torch.tensor([[0.5, 1.0, -1.0], [1.0, 0.0, 2.0], [-1.0, 2.0, 0.5]])
    pos_weight = (9 - 7) / 7
    norm = 9 / (2 * (9 - 7))
    total = 0.0
    for i in range(3):
        for j in range(3):
            s = 1 / (1 + math.exp(-float(logits[i, j])))
            y = float(t[i, j])
            total += -(pos_weight * y * math.log(s) + (1 - y) * math.log(1 - s))
    assert math.isclose(float(dense_bce(logits, t)), norm * total / 9, rel_tol=1e-6)


def test_dense_size_limit_is_a_clear_error() -> None:
    check_dense_size(DENSE_MAX_NODES)
    with pytest.raises(GraphaeError, match=r"at most 20,000 nodes.*loss='pairs'"):
        check_dense_size(DENSE_MAX_NODES + 1)


def test_feature_mse_exact() -> None:
    x_hat = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    x = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    assert math.isclose(float(feature_mse(x_hat, x)), (0 + 4 + 1 + 1) / 4)
    assert torch.equal(feature_loss("mse", x_hat, x), feature_mse(x_hat, x))


@pytest.mark.parametrize("gamma", [1.0, 2.0, 3.0])
def test_scaled_cosine_error_exact(gamma: float) -> None:
    x_hat = torch.tensor([[2.0, 0.0], [1.0, 1.0], [0.0, -3.0]])
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    # cosines 1, 1/√2, -1
    errs = [0.0, (1 - 1 / math.sqrt(2)) ** gamma, 2.0**gamma]
    got = float(scaled_cosine_error(x_hat, x, gamma))
    assert math.isclose(got, sum(errs) / 3, rel_tol=1e-6)
    assert torch.equal(feature_loss("sce", x_hat, x, gamma), scaled_cosine_error(x_hat, x, gamma))


def test_sce_is_scale_invariant_per_row() -> None:
    torch.manual_seed(0)
    a, b = torch.randn(5, 4), torch.randn(5, 4)
    scale = torch.rand(5, 1) + 0.5
    assert torch.allclose(scaled_cosine_error(a * scale, b), scaled_cosine_error(a, b))


def test_unknown_feature_loss() -> None:
    with pytest.raises(GraphaeError, match="unknown feature loss"):
        feature_loss("l1", torch.zeros(1, 1), torch.zeros(1, 1))


def test_kl_divergence_exact() -> None:
    assert float(kl_divergence(torch.zeros(3, 2), torch.zeros(3, 2))) == 0.0
    mu = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    logstd = torch.tensor([[math.log(2.0), 0.0], [0.0, 0.0]])
    # node 0: -½[(1 + 2ln2 - 1 - 4) + (1 + 0 - 4 - 1)] = 4 - ln2; node 1: 0; mean over nodes
    assert math.isclose(float(kl_divergence(mu, logstd)), (4 - math.log(2)) / 2, rel_tol=1e-6)


def test_kl_matches_torch_distributions() -> None:
    torch.manual_seed(0)
    mu, logstd = torch.randn(6, 3), 0.3 * torch.randn(6, 3)
    q = torch.distributions.Normal(mu, logstd.exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    want = torch.distributions.kl_divergence(q, p).sum(1).mean()
    assert torch.allclose(kl_divergence(mu, logstd), want, atol=1e-6)
