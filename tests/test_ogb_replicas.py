"""ogbl-collab, ogbl-ppa and ogbl-citation2 on small replicas in OGB's file layout:
graphae's loader against OGB's own ``PygLinkPropPredDataset``, and training with
the official ``Evaluator`` metric end to end; a citation2-scale MRR evaluation
on the GPU."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from ogb_replicas import write_replica

from graphae.config import RunConfig
from graphae.data.datasets import _without_ogb_version_check, load_dataset
from graphae.evaluation.measure import score_pairs
from graphae.evaluation.metrics import ogb_metrics
from graphae.pipeline import fit

NAMES = ["ogbl-collab", "ogbl-ppa", "ogbl-citation2"]
METRIC = {"ogbl-collab": "hits@50", "ogbl-ppa": "hits@100", "ogbl-citation2": "mrr"}


def _ogb_reference(name: str, root: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """OGB's own loader on the replica (the reference graphae must agree with)."""
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")  # ogb 1.3.6 under torch >= 2.6
    with _without_ogb_version_check():
        from ogb.linkproppred import PygLinkPropPredDataset
    ds = PygLinkPropPredDataset(name=name, root=str(root))
    return ds[0], ds.get_edge_split()


def _pairs(t: torch.Tensor) -> set[tuple[int, int]]:
    return set(map(tuple, t.t().tolist()))


@pytest.mark.parametrize("name", NAMES)
def test_replica_loads_as_ogb_loads_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_replica(tmp_path / "ogb", name)  # graphae's root/ogb/ is OGB's root
    g = load_dataset(name, tmp_path, download=False)
    data, split = _ogb_reference(name, tmp_path / "ogb", monkeypatch)
    monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    assert g.num_nodes == int(data.num_nodes)
    assert torch.equal(g.data.x, data.x)
    # the message-passing graph: OGB's edges (with inverses where OGB adds them), deduplicated
    assert _pairs(g.data.edge_index) == _pairs(data.edge_index)
    assert g.directed == (name == "ogbl-citation2")
    assert g.meta["eval_metric"] == METRIC[name]
    sp = g.split
    if name == "ogbl-citation2":
        for part, prefix in (("valid", "val"), ("test", "test")):
            d = split[part]
            pos = getattr(sp, f"{prefix}_pos")
            assert torch.equal(pos, torch.stack([d["source_node"], d["target_node"]]))
            assert torch.equal(getattr(sp, f"{prefix}_neg_per_pos"), d["target_node_neg"])
        assert torch.equal(sp.train_pos[0], split["train"]["source_node"])
        assert torch.equal(g.data.node_year.view(-1), data.node_year.view(-1))
    else:
        for part, prefix in (("valid", "val"), ("test", "test")):
            assert torch.equal(getattr(sp, f"{prefix}_pos"), split[part]["edge"].t())
            assert torch.equal(getattr(sp, f"{prefix}_neg"), split[part]["edge_neg"].t())
        train = split["train"]["edge"]
        assert _pairs(sp.train_pos) == {(min(u, v), max(u, v)) for u, v in train.tolist()}
    if name == "ogbl-collab":  # weights summed over the years, both directions
        w = {}
        for (u, v), x in zip(
            split["train"]["edge"].tolist(), split["train"]["weight"].tolist(), strict=True
        ):
            w[(u, v)] = w.get((u, v), 0) + x
            w[(v, u)] = w.get((v, u), 0) + x
        got = dict(
            zip(
                map(tuple, g.data.edge_index.t().tolist()), g.data.edge_weight.tolist(), strict=True
            )
        )
        assert got == pytest.approx({k: float(v) for k, v in w.items()})
    # valid / test positives never in the training graph, negatives never edges
    held = _pairs(sp.val_pos) | _pairs(sp.test_pos)
    assert not held & _pairs(g.data.edge_index)


@pytest.mark.parametrize("name", NAMES)
def test_training_reports_the_official_metric(name: str, tmp_path: Path) -> None:
    write_replica(tmp_path / "ogb", name)
    cfg = RunConfig(
        dataset=name,
        data_root=str(tmp_path),
        encoder="gcn",
        encoder_options={"learnable_input": True, "input_channels": 8},
        decoder="mlp",
        decoder_options={"depth": 1, "width": 8},
        hidden_channels=8,
        out_channels=8,
        epochs=3,
        patience=0,
        batch_size=64,
        select="ogb",
        mask_target_edges=True,
        grad_clip=1.0,
        lr_schedule="linear",
        device="cpu",
    )
    run = fit(cfg)
    metric = METRIC[name]
    m = run.result.metrics
    assert f"link/{metric}" in m and f"val/link/{metric}" in m
    assert any(f"val/{metric}" in h for h in run.result.history)  # selection read it each epoch
    # the figure is OGB's Evaluator on the selected model's test scores
    sp = run.split
    with torch.no_grad():
        pos = score_pairs(run.model, run.z, sp.test_pos, sp.mp_edge_index)
        neg = score_pairs(run.model, run.z, sp.test_neg, sp.mp_edge_index)
    if metric == "mrr":
        neg = neg.view(pos.numel(), -1)
        assert neg.size(1) == 20
    with _without_ogb_version_check():
        from ogb.linkproppred import Evaluator
    out = Evaluator(name).eval({"y_pred_pos": pos, "y_pred_neg": neg})
    want = float(out["mrr_list"].mean()) if metric == "mrr" else float(out[metric])
    assert m[f"link/{metric}"] == pytest.approx(want)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_citation2_scale_mrr_on_gpu_in_chunks() -> None:
    """86,596 sources × 1,000 negatives (citation2's valid split) over 2,927,963 nodes:
    scored in chunks on the GPU, MRR by the Evaluator, within a memory bound."""
    from graphae.nn.decoders import MLPDecoder

    dev = torch.device("cuda")
    n, d, p, k = 2_927_963, 256, 86_596, 1000
    gen = torch.Generator(device=dev).manual_seed(0)
    z = torch.randn(n, d, device=dev, generator=gen)

    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.decoder = MLPDecoder(d, width=256, depth=4, norm="layer").to(dev).eval()

        def score(self, z, pairs, edge_index=None):  # type: ignore[no-untyped-def]
            return self.decoder(z, pairs)

    model = Model()
    src = torch.randint(0, n, (p,), device=dev, generator=gen)
    dst = torch.randint(0, n, (p,), device=dev, generator=gen)
    negs = torch.randint(0, n, (p, k), device=dev, generator=gen)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats(dev)
    base = torch.cuda.memory_allocated(dev)
    pos = score_pairs(model, z, torch.stack([src, dst]), None)
    neg_pairs = torch.stack([src.repeat_interleave(k), negs.reshape(-1)])  # (2, 86.6M) on device
    neg = score_pairs(model, z, neg_pairs, None).view(p, k)
    peak = torch.cuda.max_memory_allocated(dev) - base
    # the pairs (1.4 GB) plus a few (2^20, 256) activations of one chunk (1 GiB each);
    # scoring all 86.6M pairs at once would need 89 GB for z_u alone
    assert peak < neg_pairs.numel() * 8 + 8 * 2**30, peak
    mrr = ogb_metrics("ogbl-citation2", pos, neg)["mrr"]
    # reference: rank of each positive among its own negatives (optimistic + pessimistic) / 2
    higher = (neg > pos[:, None]).sum(1).double()
    ties = (neg == pos[:, None]).sum(1).double()
    want = float((1.0 / (1 + higher + ties / 2)).mean())
    assert mrr == pytest.approx(want, rel=1e-3)
    assert 0 < mrr < 1 and math.isfinite(mrr)
    assert np.isfinite(neg.numpy()).all()


def test_mrr_reads_flat_per_positive_negatives() -> None:
    pos = torch.tensor([0.5, 0.1])
    neg = torch.tensor([[0.9, 0.1, 0.2], [0.0, 0.3, 0.05]])
    flat = ogb_metrics("ogbl-citation2", pos, neg.reshape(-1))
    assert flat == ogb_metrics("ogbl-citation2", pos, neg)
    assert flat["mrr"] == pytest.approx((1 / 2 + 1 / 2) / 2)
    from graphae.errors import GraphaeError

    with pytest.raises(GraphaeError, match="negatives per positive"):
        ogb_metrics("ogbl-citation2", pos, torch.rand(5))
