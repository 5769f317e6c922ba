"""Cached normalised sparse adjacency: the fast path for GCN-type layers.

PyG's ``GCNConv`` on ``edge_index`` recomputes the symmetric normalisation and
scatters messages edge by edge on every call. A graph autoencoder propagates
over the *same* message-passing graph for hundreds of epochs, so graphae
normalises once into a CSR matrix ``Â = D^-1/2 (A + I) D^-1/2`` and multiplies
with a sparse-dense kernel (``torch.sparse.mm``), on CPU and CUDA alike. The
backward pass multiplies by the cached ``Âᵀ`` (``Â`` itself when symmetric).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import Tensor

from graphae.nn.tensor_cache import TensorCache


def normalized_adjacency(
    edge_index: Tensor,
    num_nodes: int,
    edge_weight: Tensor | None = None,
    *,
    add_self_loops: bool = True,
    normalization: str = "sym",
) -> Tensor:
    """Build the normalised adjacency as a sparse CSR matrix.

    Entry ``(i, j)`` weights the message from ``j`` to ``i`` (row = target),
    matching PyG's ``source_to_target`` flow.

    Args:
        edge_index: ``(2, E)`` edges ``(source, target)``.
        num_nodes: ``N``.
        edge_weight: ``(E,)`` non-negative weights, or ``None`` for ones.
        add_self_loops: Add ``I`` (weight 1) before normalising. Existing self
            loops are replaced, as PyG's ``add_remaining_self_loops`` does.
        normalization: ``"sym"`` for ``D^-1/2 A D^-1/2`` (GCN), ``"rw"`` for the
            row-stochastic ``D^-1 A`` (mean aggregation), ``"none"`` for ``A``.

    Returns:
        ``(N, N)`` ``torch.sparse_csr_tensor`` on ``edge_index``'s device, float32.
    """
    device = edge_index.device
    row, col = edge_index[1].long(), edge_index[0].long()
    w = (
        edge_weight.to(torch.float32)
        if edge_weight is not None
        else torch.ones(row.numel(), device=device)
    )
    if add_self_loops:
        keep = row != col
        loop = torch.arange(num_nodes, device=device)
        row = torch.cat([row[keep], loop])
        col = torch.cat([col[keep], loop])
        w = torch.cat([w[keep], torch.ones(num_nodes, device=device)])
    if normalization == "sym":
        deg = torch.zeros(num_nodes, device=device).index_add_(0, row, w)
        dinv = deg.pow(-0.5).masked_fill_(deg == 0, 0.0)
        w = dinv[row] * w * dinv[col]
    elif normalization == "rw":
        deg = torch.zeros(num_nodes, device=device).index_add_(0, row, w)
        dinv = deg.reciprocal().masked_fill_(deg == 0, 0.0)
        w = dinv[row] * w
    elif normalization != "none":
        raise ValueError(f"unknown normalization {normalization!r}; use sym, rw or none")
    coo = torch.sparse_coo_tensor(
        torch.stack([row, col]), w, (num_nodes, num_nodes), check_invariants=False
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return coo.coalesce().to_sparse_csr()


class _SparseMatmul(torch.autograd.Function):
    """``y = A @ x`` with ``dx = Aᵀ @ dy``; ``A`` and ``Aᵀ`` are constants."""

    @staticmethod
    def forward(ctx, x: Tensor, a: Tensor, a_t: Tensor) -> Tensor:  # type: ignore[override]
        ctx.a_t = a_t
        return torch.sparse.mm(a, x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:  # type: ignore[override]
        return torch.sparse.mm(ctx.a_t, grad.contiguous()), None, None


@dataclass
class Propagation:
    """A cached ``(N, N)`` propagation matrix and its transpose.

    Attributes:
        adj: CSR ``Â``.
        adj_t: CSR ``Âᵀ`` (the same object when ``Â`` is symmetric).
    """

    adj: Tensor
    adj_t: Tensor

    @classmethod
    def build(
        cls,
        edge_index: Tensor,
        num_nodes: int,
        edge_weight: Tensor | None = None,
        *,
        add_self_loops: bool = True,
        normalization: str = "sym",
        index_dtype: torch.dtype = torch.int64,
    ) -> Propagation:
        """Normalise ``edge_index`` once (see :func:`normalized_adjacency`).

        ``index_dtype=torch.int32`` stores the CSR row pointers and column
        indices in 32 bits (half the index traffic of an SpMM; the same sums,
        tested equal on the CPU). It needs fewer than ``2³¹`` nonzeros. Whether
        it is faster is measured per device by ``benchmarks/propagation_roofline.py
        --index-dtypes int64 int32``; the default stays int64.
        """
        adj = normalized_adjacency(
            edge_index,
            num_nodes,
            edge_weight,
            add_self_loops=add_self_loops,
            normalization=normalization,
        )
        if _is_symmetric(adj):
            adj_t = adj
        else:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
                adj_t = adj.to_sparse_coo().t().coalesce().to_sparse_csr()
        if index_dtype != torch.int64:
            symmetric = adj_t is adj
            adj = _with_index_dtype(adj, index_dtype)
            adj_t = adj if symmetric else _with_index_dtype(adj_t, index_dtype)
        return cls(adj, adj_t)

    @property
    def num_nodes(self) -> int:
        """``N``."""
        return int(self.adj.size(0))

    def __call__(self, x: Tensor) -> Tensor:
        """``Â @ x`` for ``x`` of shape ``(N, C)``, differentiable in ``x``.

        The product runs in fp32 whatever ``x``'s dtype, with autocast off
        around it (bf16 SpMM is not supported everywhere: CPU autocast would
        send it to a CSR kernel without bf16); the result has ``x``'s dtype.
        """
        with torch.autocast(x.device.type, enabled=False):
            if x.dtype != self.adj.dtype:
                return _SparseMatmul.apply(x.float(), self.adj, self.adj_t).to(x.dtype)
            return _SparseMatmul.apply(x, self.adj, self.adj_t)


def _with_index_dtype(adj: Tensor, dtype: torch.dtype) -> Tensor:
    """``adj`` (CSR) with its row pointers and column indices cast to ``dtype``."""
    if dtype not in (torch.int32, torch.int64):
        raise ValueError(f"index_dtype must be torch.int32 or torch.int64, not {dtype}")
    if dtype == torch.int32 and adj.values().numel() >= 2**31:
        raise ValueError("int32 CSR indices need fewer than 2**31 nonzeros")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(
            adj.crow_indices().to(dtype),
            adj.col_indices().to(dtype),
            adj.values(),
            adj.shape,
            check_invariants=False,
        )


def _is_symmetric(adj: Tensor) -> bool:
    """Exact structural and numerical symmetry test of a CSR matrix."""
    coo = adj.to_sparse_coo().coalesce()
    t = coo.t().coalesce()
    return bool(
        torch.equal(coo.indices(), t.indices()) and torch.allclose(coo.values(), t.values())
    )


class PropagationCache(TensorCache[Propagation]):
    """Remembers the :class:`Propagation` of the last few graphs it saw.

    A graph is identified by the *same* ``edge_index`` (and ``edge_weight``)
    tensor objects, unmodified since (checked with their version counters), so
    a model trained for hundreds of epochs on one graph normalises it once
    (:class:`~graphae.nn.tensor_cache.TensorCache`).

    Args:
        size: How many graphs to remember.
        **options: Passed to :meth:`Propagation.build`.
    """

    def __init__(self, size: int = 4, **options: object) -> None:
        super().__init__(size)
        self.options = options

    def get(
        self, edge_index: Tensor, num_nodes: int, edge_weight: Tensor | None = None
    ) -> Propagation:
        """The cached propagation for this graph, built on first use."""
        return self.lookup(
            (edge_index, edge_weight),
            num_nodes,
            lambda: Propagation.build(edge_index, num_nodes, edge_weight, **self.options),  # type: ignore[arg-type]
        )
