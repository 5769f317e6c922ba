"""The cached CSR propagation matches PyG's GCN normalisation exactly."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import GCNConv

from graphae.nn.propagation import Propagation, PropagationCache, normalized_adjacency


def test_three_node_path_by_hand() -> None:
    # path 0-1-2 with self loops: degrees 2, 3, 2
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    a = normalized_adjacency(ei, 3).to_dense()
    s2, s3 = 2**-0.5, 3**-0.5
    expected = torch.tensor(
        [[1 / 2, s2 * s3, 0.0], [s2 * s3, 1 / 3, s2 * s3], [0.0, s2 * s3, 1 / 2]]
    )
    assert torch.allclose(a, expected)


def test_matches_pyg_gcnconv_forward_and_backward() -> None:
    torch.manual_seed(0)
    n = 9
    ei = torch.randint(0, n, (2, 20))
    ei = ei[:, ei[0] != ei[1]]  # PyG keeps existing self-loop weights; graphae replaces them
    ei = torch.cat([ei, ei.flip(0)], 1)
    w = torch.rand(ei.size(1)) + 0.5
    x = torch.randn(n, 4, requires_grad=True)
    conv = GCNConv(4, 4, bias=False)
    ref = conv(x, ei, w)
    prop = Propagation.build(ei, n, w)
    ours = prop(x @ conv.lin.weight.t())
    assert torch.allclose(ours, ref, atol=1e-6)
    g_ref = torch.autograd.grad(ref.square().sum(), x)[0]
    g_ours = torch.autograd.grad(ours.square().sum(), x)[0]
    assert torch.allclose(g_ours, g_ref, atol=1e-5)


def test_directed_graph_backward_uses_transpose() -> None:
    ei = torch.tensor([[0, 1, 2], [1, 2, 0]])
    prop = Propagation.build(ei, 3, add_self_loops=False, normalization="none")
    assert prop.adj_t is not prop.adj
    x = torch.randn(3, 2, requires_grad=True)
    grad = torch.autograd.grad(prop(x).sum(), x)[0]
    dense = prop.adj.to_dense()
    assert torch.allclose(grad, dense.t() @ torch.ones(3, 2))


def test_cache_reuses_until_graph_changes() -> None:
    ei = torch.tensor([[0, 1], [1, 0]])
    cache = PropagationCache()
    p1 = cache.get(ei, 2)
    assert cache.get(ei, 2) is p1
    ei[0, 0] = 1  # in-place edit bumps the version counter
    assert cache.get(ei, 2) is not p1
    assert cache.get(ei.clone(), 2) is not p1


@pytest.mark.parametrize("layout", ["sparse", "dense"])
def test_propagation_runs_in_fp32_under_bf16_autocast(layout: str) -> None:
    """Autocast must not send the SpMM to a bf16 CSR kernel (the CPU has none): the
    product runs in fp32 and comes back in the input's dtype, forward and backward
    (the dense layout's GEMM too, for the same numbers)."""
    ei = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    prop = Propagation.build(ei, 4, layout=layout)
    x = torch.arange(8, dtype=torch.float32).reshape(4, 2).requires_grad_()
    ref = prop(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = prop(x)
        half = prop(x.detach().bfloat16())
    assert out.dtype == torch.float32 and torch.equal(out, ref)
    assert half.dtype == torch.bfloat16
    assert torch.equal(half, ref.detach().bfloat16())  # fp32 product, rounded once
    out.sum().backward()
    assert x.grad is not None and torch.equal(
        x.grad, prop.adj_t.to_dense().sum(0).unsqueeze(1).expand(4, 2)
    )


def test_int32_indices_give_the_same_products_forward_and_backward() -> None:
    """32-bit CSR indices (the roofline benchmark's variant): the same sums, bit for bit."""
    g = torch.Generator().manual_seed(0)
    ei = torch.randint(0, 50, (2, 300), generator=g)  # directed: Âᵀ is its own matrix
    wide = Propagation.build(ei, 50)
    narrow = Propagation.build(ei, 50, index_dtype=torch.int32)
    assert narrow.adj.col_indices().dtype == torch.int32
    assert narrow.adj_t.crow_indices().dtype == torch.int32
    assert narrow.adj_t is not narrow.adj  # the directed graph kept its own transpose
    x1 = torch.randn(50, 16, generator=g).requires_grad_()
    x2 = x1.detach().clone().requires_grad_()
    y1, y2 = wide(x1), narrow(x2)
    assert torch.equal(y1, y2)
    w = torch.randn(50, 16, generator=g)
    (y1 * w).sum().backward()
    (y2 * w).sum().backward()
    assert torch.equal(x1.grad, x2.grad)
    sym = Propagation.build(torch.cat([ei, ei.flip(0)], 1), 50, index_dtype=torch.int32)
    assert sym.adj_t is sym.adj  # a symmetric Â is stored once


def _weighted_graph(n: int = 12, e: int = 40, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, e), generator=g)  # directed, with repeats and self loops
    return ei, torch.rand(e, generator=g) + 0.5


def test_dense_layout_matches_sparse_forward_and_backward() -> None:
    """The dense Â is the CSR Â's entries (repeats summed, self loops replaced), and its
    GEMM gives the SpMM's products and gradients up to float summation order."""
    ei, w = _weighted_graph()
    for norm in ("sym", "rw", "none"):
        sparse = Propagation.build(ei, 12, w, normalization=norm)
        dense = Propagation.build(ei, 12, w, normalization=norm, layout="dense")
        assert (sparse.layout, dense.layout) == ("sparse", "dense")
        assert dense.adj.layout == torch.strided and dense.adj_t.layout == torch.strided
        assert torch.allclose(dense.adj, sparse.adj.to_dense(), atol=1e-7)
        assert torch.equal(dense.adj_t, dense.adj.t())
        x1 = torch.randn(12, 5, requires_grad=True)
        x2 = x1.detach().clone().requires_grad_()
        y1, y2 = sparse(x1), dense(x2)
        assert torch.allclose(y1, y2, atol=1e-6)
        g = torch.randn(12, 5)
        y1.backward(g)
        y2.backward(g)
        assert torch.allclose(x1.grad, x2.grad, atol=1e-6)  # Âᵀ g: the directed transpose


def test_dense_layout_by_hand() -> None:
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    a = Propagation.build(ei, 3, layout="dense").adj
    s2, s3 = 2**-0.5, 3**-0.5
    expected = torch.tensor(
        [[1 / 2, s2 * s3, 0.0], [s2 * s3, 1 / 3, s2 * s3], [0.0, s2 * s3, 1 / 2]]
    )
    assert torch.allclose(a, expected)


def test_choose_layout_thresholds() -> None:
    from graphae.nn.propagation import DENSE_MAX_ENTRIES, DENSE_MIN_DENSITY, choose_layout

    assert DENSE_MIN_DENSITY == 0.01 and DENSE_MAX_ENTRIES == 8192**2
    assert choose_layout("auto", 1000, 9_999, "cuda") == "sparse"
    assert choose_layout("auto", 1000, 10_000, "cuda") == "dense"
    assert choose_layout("auto", 8192, 8192**2, "cuda") == "dense"
    assert choose_layout("auto", 8193, 8193**2, "cuda") == "sparse"  # too big to hold densely
    assert choose_layout("auto", 1000, 10**6) == "sparse"  # the CPU keeps CSR (measured)
    assert choose_layout("auto", 1000, 10**6, "cpu") == "sparse"
    assert choose_layout("sparse", 10, 100, "cuda") == "sparse"
    assert choose_layout("dense", 10**6, 10) == "dense"
    with pytest.raises(ValueError, match="unknown propagation layout 'csr'"):
        choose_layout("csr", 10, 10)


def test_auto_layout_follows_the_graph_and_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """``auto`` asks :func:`choose_layout` with the graph's N, nonzeros and device."""
    from graphae.nn import propagation

    ring = torch.arange(200)
    ring = torch.stack([ring, (ring + 1) % 200])
    ring = torch.cat([ring, ring.flip(0)], 1)  # 400 edges + 200 loops of 40,000: 1.5%
    assert Propagation.build(ring, 200, layout="auto").layout == "sparse"  # on the CPU
    assert Propagation.build(ring, 200).layout == "sparse"  # the default stays CSR
    monkeypatch.setattr(propagation, "DENSE_DEVICES", ("cpu",))  # as on a GPU
    assert Propagation.build(ring, 200, layout="auto").layout == "dense"
    assert Propagation.build(ring, 400, layout="auto").layout == "sparse"  # 0.5%


def test_cache_set_layout_rebuilds() -> None:
    ei = torch.tensor([[0, 1], [1, 0]])
    cache = PropagationCache()
    assert cache.get(ei, 2).layout == "sparse"
    cache.set_layout("dense")
    assert cache.get(ei, 2).layout == "dense"  # the kept CSR one was forgotten
    with pytest.raises(ValueError, match="unknown propagation layout"):
        cache.set_layout("coo")


def test_the_model_builder_sets_the_layout_and_old_records_keep_sparse() -> None:
    """``RunConfig.propagation_layout`` reaches the encoder's and every GCN decoder's
    cache; dense and sparse models give the same loss and gradients; a config saved
    before the field existed rebuilds with CSR, as it ran."""
    from graphae.config import RunConfig
    from graphae.models.build import build_model

    n, f = 30, 6
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, f, generator=g)
    ring = torch.arange(n)
    ei = torch.stack([ring, (ring + 1) % n])
    ei = torch.cat([ei, ei.flip(0)], 1)
    pos, neg = ei[:, :20], torch.randint(0, n, (2, 20), generator=g)
    base = RunConfig(dataset="Cora", decoder="gnn", feature_decoder="mirror", feature_loss="sce")

    def run(config: RunConfig) -> tuple[set[str], torch.Tensor, list[torch.Tensor]]:
        torch.manual_seed(0)
        model = build_model(config, f, n)
        caches = [v for m in model.modules() for v in vars(m).values()]
        caches = [c for c in caches if isinstance(c, PropagationCache)]
        assert len(caches) == 3  # encoder, structure decoder, feature decoder
        loss, _ = model.loss(x, ei, None, pos, neg)
        grads = torch.autograd.grad(loss, [p for p in model.parameters() if p.requires_grad])
        built = {e[-1].layout for c in caches for e in c._entries}
        return built, loss.detach(), list(grads)

    auto, dense, sparse = (
        run(base),
        run(base.replace(propagation_layout="dense")),
        run(base.replace(propagation_layout="sparse")),
    )
    assert dense[0] == {"dense"}
    assert auto[0] == sparse[0] == {"sparse"}  # on the CPU auto keeps CSR
    assert torch.allclose(dense[1], sparse[1], atol=1e-6)
    for a, b in zip(dense[2], sparse[2], strict=True):
        assert torch.allclose(a, b, atol=1e-5)
    saved = base.to_dict()
    del saved["propagation_layout"]
    old = RunConfig.from_record(saved)
    assert old.propagation_layout == "sparse" and run(old)[0] == {"sparse"}
    assert "propagation_layout" not in base.identity()  # run ids of earlier runs stay valid


def test_csr_build_matches_coalesce_and_its_transpose() -> None:
    """The key-sort CSR build gives torch's coalesced CSR (the same indices; the same
    values, repeated edges summed), and Âᵀ is the transposed matrix."""
    from graphae.nn.propagation import _normalized_entries

    ei, w = _weighted_graph(n=40, e=300, seed=3)  # directed, repeats, self loops
    for norm in ("sym", "none"):
        row, col, val = _normalized_entries(ei, 40, w, True, norm)
        ref = torch.sparse_coo_tensor(
            torch.stack([row, col]), val, (40, 40), check_invariants=False
        )
        ref = ref.coalesce()
        ref = ref.to_sparse_csr()
        prop = Propagation.build(ei, 40, w, normalization=norm)
        assert torch.equal(prop.adj.crow_indices(), ref.crow_indices())
        assert torch.equal(prop.adj.col_indices(), ref.col_indices())
        assert torch.allclose(prop.adj.values(), ref.values(), atol=1e-7)
        assert prop.adj_t is not prop.adj
        assert torch.equal(prop.adj_t.to_dense(), prop.adj.to_dense().t())
    sym = torch.cat([ei, ei.flip(0)], 1)
    prop = Propagation.build(sym, 40, torch.cat([w, w]))
    assert prop.adj_t is prop.adj
    assert torch.allclose(prop.adj.to_dense(), prop.adj.to_dense().t())
    empty = Propagation.build(torch.zeros(2, 0, dtype=torch.long), 3, add_self_loops=False)
    assert empty.adj.values().numel() == 0 and empty.adj_t is empty.adj
