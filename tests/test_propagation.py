"""The cached CSR propagation matches PyG's GCN normalisation exactly."""

from __future__ import annotations

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


def test_propagation_runs_in_fp32_under_bf16_autocast() -> None:
    """Autocast must not send the SpMM to a bf16 CSR kernel (the CPU has none): the
    product runs in fp32 and comes back in the input's dtype, forward and backward."""
    ei = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    prop = Propagation.build(ei, 4)
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
