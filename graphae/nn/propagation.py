"""Cached normalised adjacency: the fast path for GCN-type layers.

PyG's ``GCNConv`` on ``edge_index`` recomputes the symmetric normalisation and
scatters messages edge by edge on every call. A graph autoencoder propagates
over the *same* message-passing graph for hundreds of epochs, so graphae
normalises once into ``Â = D^-1/2 (A + I) D^-1/2`` and keeps it:

* as a CSR matrix multiplied with a sparse-dense kernel (``torch.sparse.mm``),
  on CPU and CUDA alike; the backward pass multiplies by the cached ``Âᵀ``
  (``Â`` itself when symmetric);
* or, for small dense graphs (ogbl-ddi: 4,267 nodes, 11.7% of all pairs), as a
  dense ``(N, N)`` matrix multiplied by a GEMM, cheaper to rebuild every step
  (target-edge masking) and, on a GPU, a product at the arithmetic rate rather
  than the row-gather rate. :func:`choose_layout` picks the layout from the
  graph's size and density and the device (``RunConfig.propagation_layout``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import Tensor

from graphae.nn.tensor_cache import TensorCache

#: Values of ``RunConfig.propagation_layout`` (:func:`choose_layout`).
LAYOUTS = ("auto", "sparse", "dense")
#: On CUDA, ``auto`` stores ``Â`` densely when at least this fraction of the
#: ``N²`` entries is nonzero (self loops included) ...
DENSE_MIN_DENSITY = 0.01
#: ... and ``N²`` is at most this many entries (256 MiB in fp32: N <= 8,192).
DENSE_MAX_ENTRIES = 2**26
#: Devices on which ``auto`` may go dense. Not the CPU: there a GEMM over all
#: ``N²`` entries did not beat the CSR product at any width up to 1,024, even
#: at ogbl-ddi's density of 11.7% (benchmarks/results/propagation-layout-cpu.md).
DENSE_DEVICES = ("cuda",)


def choose_layout(layout: str, num_nodes: int, nnz: int, device_type: str = "cpu") -> str:
    """``"sparse"`` or ``"dense"``: how to store an ``(N, N)`` propagation matrix.

    ``auto`` goes dense on a GPU (:data:`DENSE_DEVICES`) for graphs of at most
    :data:`DENSE_MAX_ENTRIES` entries with a density (nonzeros over ``N²``) of
    at least :data:`DENSE_MIN_DENSITY`, where a GEMM's arithmetic rate beats a
    sparse product's row gathers; ``benchmarks/propagation_layout.py`` measures
    where the two cross on a device.

    Args:
        layout: ``"auto"``, ``"sparse"`` or ``"dense"``.
        num_nodes: ``N``.
        nnz: Nonzeros of the matrix (edges plus self loops).
        device_type: Where the matrix lives (``"cpu"``, ``"cuda"``...).

    Raises:
        ValueError: For an unknown layout.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown propagation layout {layout!r}; use {', '.join(LAYOUTS)}")
    if layout != "auto":
        return layout
    entries = num_nodes * num_nodes
    if (
        device_type in DENSE_DEVICES
        and 0 < entries <= DENSE_MAX_ENTRIES
        and nnz >= DENSE_MIN_DENSITY * entries
    ):
        return "dense"
    return "sparse"


def _normalized_entries(
    edge_index: Tensor,
    num_nodes: int,
    edge_weight: Tensor | None,
    add_self_loops: bool,
    normalization: str,
) -> tuple[Tensor, Tensor, Tensor]:
    """``(row, col, value)`` of ``Â``'s entries, repeated edges not yet summed."""
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
    return row, col, w


def normalized_adjacency(
    edge_index: Tensor,
    num_nodes: int,
    edge_weight: Tensor | None = None,
    *,
    add_self_loops: bool = True,
    normalization: str = "sym",
    layout: str = "sparse",
) -> Tensor:
    """Build the normalised adjacency as a sparse CSR or a dense matrix.

    Entry ``(i, j)`` weights the message from ``j`` to ``i`` (row = target),
    matching PyG's ``source_to_target`` flow. Repeated edges add up.

    Args:
        edge_index: ``(2, E)`` edges ``(source, target)``.
        num_nodes: ``N``.
        edge_weight: ``(E,)`` non-negative weights, or ``None`` for ones.
        add_self_loops: Add ``I`` (weight 1) before normalising. Existing self
            loops are replaced, as PyG's ``add_remaining_self_loops`` does.
        normalization: ``"sym"`` for ``D^-1/2 A D^-1/2`` (GCN), ``"rw"`` for the
            row-stochastic ``D^-1 A`` (mean aggregation), ``"none"`` for ``A``.
        layout: ``"sparse"`` (CSR) or ``"dense"`` (strided); no ``"auto"`` here.

    Returns:
        ``(N, N)`` float32 matrix on ``edge_index``'s device.
    """
    if layout not in ("sparse", "dense"):
        raise ValueError(f"layout must be sparse or dense here, not {layout!r}")
    row, col, w = _normalized_entries(
        edge_index, num_nodes, edge_weight, add_self_loops, normalization
    )
    if layout == "dense":
        dense = torch.zeros(num_nodes, num_nodes, device=w.device)
        return dense.index_put_((row, col), w, accumulate=True)
    key, col, w = _sorted_entries(row, col, w, num_nodes)
    return _csr(torch.div(key, num_nodes, rounding_mode="floor"), col, w, num_nodes)


def _sorted_entries(
    row: Tensor, col: Tensor, w: Tensor, num_nodes: int
) -> tuple[Tensor, Tensor, Tensor]:
    """``(keys, col, values)`` in row-major order, repeated entries summed.

    ``keys = row·N + col``, sorted and distinct: one key sort, where
    ``coalesce()`` costs four times as much on the CPU (ogbl-ddi: 42 vs 183 ms).
    """
    key, order = torch.sort(row * num_nodes + col)
    w = w[order]
    if key.numel() > 1 and not bool((key[1:] != key[:-1]).all()):
        key, inverse = torch.unique_consecutive(key, return_inverse=True)
        w = torch.zeros(key.numel(), dtype=w.dtype, device=w.device).index_add_(0, inverse, w)
    return key, key % num_nodes, w


def _csr(row: Tensor, col: Tensor, w: Tensor, num_nodes: int) -> Tensor:
    """The CSR matrix of distinct entries sorted by ``(row, col)`` (:func:`_sorted_entries`)."""
    counts = torch.bincount(row, minlength=num_nodes)
    crow = torch.zeros(num_nodes + 1, dtype=torch.long, device=row.device)
    torch.cumsum(counts, 0, out=crow[1:])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow, col, w, (num_nodes, num_nodes), check_invariants=False)


def _csr_and_transpose(
    row: Tensor, col: Tensor, w: Tensor, num_nodes: int
) -> tuple[Tensor, Tensor]:
    """CSR ``Â`` and ``Âᵀ`` from unsorted entries; ``Âᵀ is Â`` when exactly symmetric.

    The transpose's keys ``col·N + row`` are sorted once: the matrix is
    symmetric when they equal ``Â``'s keys and the values they carry match
    (``allclose``: ``dinv[i]·w·dinv[j]`` and ``dinv[j]·w·dinv[i]`` may round apart).
    """
    key, col, w = _sorted_entries(row, col, w, num_nodes)
    row = torch.div(key, num_nodes, rounding_mode="floor")
    adj = _csr(row, col, w, num_nodes)
    key_t, order = torch.sort(col * num_nodes + row)
    w_t = w[order]
    if torch.equal(key_t, key) and torch.allclose(w_t, w):
        return adj, adj
    return adj, _csr(col[order], row[order], w_t, num_nodes)


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
        adj: ``Â``: CSR, or a strided (dense) matrix.
        adj_t: ``Âᵀ``: CSR (the same object when ``Â`` is symmetric), or for a
            dense ``Â`` its transposed view.
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
        layout: str = "sparse",
    ) -> Propagation:
        """Normalise ``edge_index`` once (see :func:`normalized_adjacency`).

        ``index_dtype=torch.int32`` stores the CSR row pointers and column
        indices in 32 bits (half the index traffic of an SpMM; the same sums,
        tested equal on the CPU). It needs fewer than ``2³¹`` nonzeros. Whether
        it is faster is measured per device by ``benchmarks/propagation_roofline.py
        --index-dtypes int64 int32``; the default stays int64.

        ``layout`` is ``"sparse"``, ``"dense"`` or ``"auto"`` (:func:`choose_layout`
        on ``N``, the edge count plus the self loops, and ``edge_index``'s device).
        """
        nnz = edge_index.size(1) + (num_nodes if add_self_loops else 0)
        layout = choose_layout(layout, num_nodes, nnz, edge_index.device.type)
        if layout == "dense":
            adj = normalized_adjacency(
                edge_index,
                num_nodes,
                edge_weight,
                add_self_loops=add_self_loops,
                normalization=normalization,
                layout="dense",
            )
            return cls(adj, adj.t())
        entries = _normalized_entries(
            edge_index, num_nodes, edge_weight, add_self_loops, normalization
        )
        adj, adj_t = _csr_and_transpose(*entries, num_nodes)
        if index_dtype != torch.int64:
            symmetric = adj_t is adj
            adj = _with_index_dtype(adj, index_dtype)
            adj_t = adj if symmetric else _with_index_dtype(adj_t, index_dtype)
        return cls(adj, adj_t)

    @property
    def num_nodes(self) -> int:
        """``N``."""
        return int(self.adj.size(0))

    @property
    def layout(self) -> str:
        """``"sparse"`` (CSR) or ``"dense"``."""
        return "dense" if self.adj.layout == torch.strided else "sparse"

    def __call__(self, x: Tensor) -> Tensor:
        """``Â @ x`` for ``x`` of shape ``(N, C)``, differentiable in ``x``.

        The product runs in fp32 whatever ``x``'s dtype, with autocast off
        around it (bf16 SpMM is not supported everywhere: CPU autocast would
        send it to a CSR kernel without bf16); the result has ``x``'s dtype.
        A dense ``Â`` multiplies by a GEMM (TF32 on CUDA when ``precision`` is
        ``tf32``), whose backward is ``Âᵀ @ grad``.
        """
        with torch.autocast(x.device.type, enabled=False):
            h = x if x.dtype == self.adj.dtype else x.float()
            if self.adj.layout == torch.strided:
                out = torch.mm(self.adj, h)
            else:
                out = _SparseMatmul.apply(h, self.adj, self.adj_t)
            return out if out.dtype == x.dtype else out.to(x.dtype)


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

    def set_layout(self, layout: str) -> None:
        """Build later propagations in ``layout`` (:func:`choose_layout`); forgets the kept ones.

        Raises:
            ValueError: For an unknown layout.
        """
        choose_layout(layout, 0, 0)  # validates
        self.options["layout"] = layout
        self.clear()

    def get(
        self, edge_index: Tensor, num_nodes: int, edge_weight: Tensor | None = None
    ) -> Propagation:
        """The cached propagation for this graph, built on first use."""
        return self.lookup(
            (edge_index, edge_weight),
            num_nodes,
            lambda: Propagation.build(edge_index, num_nodes, edge_weight, **self.options),  # type: ignore[arg-type]
        )
