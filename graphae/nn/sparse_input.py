"""Sparse input features: the first layer's ``X W`` as a sparse-dense product.

The bag-of-words features of the citation and co-purchase datasets are mostly
zeros (Cora: 1.3% non-zero over 1,433 columns), and so are the one-hot identity
features of a featureless graph. A dense first layer multiplies every zero; on a
CPU that product and its weight gradient ``Xᵀ G`` are most of a GAE epoch on
Cora. :class:`SparseInput` keeps ``X`` and ``Xᵀ`` once as CSR matrices and
multiplies with a sparse-dense kernel instead: the same product up to the
order of the float summation (``|Δ| ~ 1e-7``), at a fraction of the cost
(``benchmarks/sparse_input.py``).

:class:`SparseInputCache` decides, per input tensor, whether to use it:

=========  ====================================================================
mode       the first layer reads the CSR copy of its input when
=========  ====================================================================
``dense``  never (the plain ``nn.Linear``)
``sparse`` always (for an input that is a constant: no gradient, no autocast)
``auto``   the input is on the CPU and at most :data:`AUTO_MAX_DENSITY` of it
           is non-zero (GPU GEMMs are fast enough that the choice was not
           measured there, so ``auto`` keeps them dense)
=========  ====================================================================

The decision depends on the tensor alone, never on what was seen before, so a
resumed run makes the same choices as an uninterrupted one. An input that needs
a gradient (learnable codes) or runs under autocast always goes dense.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn

from graphae.nn.tensor_cache import TensorCache

__all__ = ["AUTO_MAX_DENSITY", "MODES", "SparseInput", "SparseInputCache", "linear"]

#: Values of ``RunConfig.feature_matmul`` (the cache's ``mode``).
MODES = ("auto", "dense", "sparse")
#: ``auto`` multiplies sparsely up to this share of non-zero entries.
AUTO_MAX_DENSITY = 0.1


class _InputMatmul(torch.autograd.Function):
    """``y = X Wᵀ`` for a constant CSR ``X``; ``dW = (Xᵀ dy)ᵀ`` with the cached ``Xᵀ``."""

    @staticmethod
    def forward(ctx, weight: Tensor, x: Tensor, x_t: Tensor) -> Tensor:  # type: ignore[override]
        ctx.x_t = x_t
        return torch.sparse.mm(x, weight.t())

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:  # type: ignore[override]
        return torch.sparse.mm(ctx.x_t, grad.contiguous()).t(), None, None


class SparseInput:
    """An ``(N, F)`` input kept as CSR ``X`` and ``Xᵀ``, multiplied by weights.

    Args:
        x: ``(N, F)`` dense floating-point tensor (a constant).
    """

    def __init__(self, x: Tensor) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            self.x = x.detach().to_sparse_csr()
            self.x_t = x.detach().t().contiguous().to_sparse_csr()
        self.shape = tuple(x.shape)

    def linear(self, weight: Tensor, bias: Tensor | None = None) -> Tensor:
        """``X Wᵀ + b`` (``nn.functional.linear``), differentiable in ``weight`` and ``bias``.

        Args:
            weight: ``(C, F)``.
            bias: ``(C,)`` or ``None``.

        Returns:
            ``(N, C)``.
        """
        out = _InputMatmul.apply(weight, self.x, self.x_t)
        return out if bias is None else out + bias


def linear(layer: nn.Linear, h: Tensor | SparseInput) -> Tensor:
    """``layer(h)``, through the CSR product when ``h`` is a :class:`SparseInput`."""
    if isinstance(h, SparseInput):
        return h.linear(layer.weight, layer.bias)
    return layer(h)


class SparseInputCache(TensorCache[SparseInput | None]):
    """The :class:`SparseInput` of the last few input tensors a layer stack saw.

    A tensor is recognised as the *same* object, unmodified since (its version
    counter), as :class:`~graphae.nn.propagation.PropagationCache` does for
    graphs (:class:`~graphae.nn.tensor_cache.TensorCache`); the dense/sparse
    decision is cached with it.

    Args:
        mode: ``"dense"``, ``"sparse"`` or ``"auto"`` (module docstring).
        size: How many tensors to remember.
    """

    def __init__(self, mode: str = "dense", size: int = 2) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown feature_matmul {mode!r}; use {', '.join(MODES)}")
        super().__init__(size)
        self.mode = mode

    def get(self, x: Tensor) -> SparseInput | None:
        """``x``'s sparse form, or ``None`` where the first layer should stay dense."""
        if (
            self.mode == "dense"
            or x.requires_grad
            or x.layout != torch.strided
            or x.dim() != 2
            or not x.is_floating_point()
            or torch.is_autocast_enabled(x.device.type)
        ):
            return None
        return self.lookup((x,), None, lambda: SparseInput(x) if self._wants_sparse(x) else None)

    def _wants_sparse(self, x: Tensor) -> bool:
        if self.mode == "sparse":
            return True
        if x.device.type != "cpu" or x.numel() == 0:
            return False
        return int(torch.count_nonzero(x)) <= AUTO_MAX_DENSITY * x.numel()
