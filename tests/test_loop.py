"""The training loop (graphae.training.loop) on its own: no RunConfig, no GraphAutoEncoder,
a hand-made model and strategy; callbacks, checkpoints, stop control and forward reuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphae.data.split import EdgeSet
from graphae.errors import TrainingInterrupted
from graphae.rundir import load_training_state
from graphae.training.callbacks import Checkpointer, TrainingControl
from graphae.training.loop import GraphInputs, TrainingLoop
from graphae.training.reuse import ForwardReuse
from graphae.training.sampling import PairSampler
from graphae.training.selection import LinkAUC, ModelSelection, Validation


class Linear(nn.Module):
    """An encoder ``z = x W`` with the ``(x, edge_index, edge_weight)`` signature."""

    def __init__(self, fin: int, fout: int) -> None:
        super().__init__()
        self.lin = nn.Linear(fin, fout)

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        return self.lin(x)


class TinyGAE(nn.Module):
    """Inner-product scores of a linear encoder: just what the loop and selection use."""

    def __init__(self, fin: int = 8, fout: int = 4) -> None:
        super().__init__()
        self.encoder = Linear(fin, fout)

    def encode(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        return self.encoder(x, edge_index, edge_weight)

    def score(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        return (z[pairs[0]] * z[pairs[1]]).sum(-1)


class Adam:
    """A minimal strategy: one Adam, the pair BCE loss."""

    def __init__(self, model: TinyGAE, lr: float = 0.05) -> None:
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.lrs: list[float] = []

    def begin_epoch(self, epoch: int) -> None:
        pass

    def scale_lr(self, factor: float) -> None:
        self.lrs.append(factor)

    def loss(self, x, edge_index, edge_weight, pos, neg, target=None):  # type: ignore[no-untyped-def]
        z = self.model.encode(x, edge_index, edge_weight)
        s_pos, s_neg = self.model.score(z, pos), self.model.score(z, neg)
        loss = F.binary_cross_entropy_with_logits(
            torch.cat([s_pos, s_neg]), torch.cat([torch.ones_like(s_pos), torch.zeros_like(s_neg)])
        )
        return loss, {"structure": float(loss.detach())}

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> dict[str, float]:
        self.optimizer.step()
        return {}

    def state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def extra_state_dict(self) -> dict[str, dict[str, Any]]:
        return {}

    def load_extra_state_dict(self, states: dict[str, dict[str, Any]]) -> None:
        pass

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state)


class Events:
    """Records the callback events in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def on_start(self, history: list[dict]) -> None:
        self.seen.append(("on_start", len(history)))

    def on_train_start(self, start: int) -> None:
        self.seen.append(("on_train_start", start))

    def on_epoch(self, record: dict) -> None:
        self.seen.append(("on_epoch", (record["epoch"], "val/auc" in record)))

    def on_epoch_end(self, epoch: int, record: dict, selection: ModelSelection) -> None:
        self.seen.append(("on_epoch_end", epoch))

    def on_train_end(self) -> None:
        self.seen.append(("on_train_end", None))


def ring(n: int = 12) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Features, training edges (both directions) and validation pairs of a ring with chords."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 8, generator=g)
    edges = [(i, (i + 1) % n) for i in range(n)] + [(i, (i + 3) % n) for i in range(0, n, 2)]
    train = torch.tensor(edges[2:]).t()
    val_pos = torch.tensor(edges[:2]).t()
    val_neg = torch.tensor([[0, 1, 2, 4], [6, 7, 9, 10]])
    return x, torch.cat([train, train.flip(0)], 1), val_pos, val_neg


def make_loop(epochs: int = 6, reuse: bool = False, **kw: Any) -> tuple[TrainingLoop, Adam]:
    torch.manual_seed(0)
    x, ei, val_pos, val_neg = ring()
    model = TinyGAE()
    strategy = Adam(model)
    gen = torch.Generator().manual_seed(1)
    sampler = PairSampler(
        ei[:, : ei.size(1) // 2], EdgeSet(ei, 12, directed=False), gen, batch_size=5
    )
    selection = ModelSelection(
        LinkAUC(), Validation(val_pos, val_neg, ei), patience=kw.pop("patience", 0)
    )
    loop = TrainingLoop(
        model,
        strategy,
        strategy.loss,
        GraphInputs(x, ei),
        sampler,
        selection,
        epochs=epochs,
        reuse=ForwardReuse(model, x, ei, None, enabled=reuse),
        **kw,
    )
    return loop, strategy


def test_the_loop_imports_no_run_config() -> None:
    import graphae.training.loop as loop_module

    source = Path(loop_module.__file__).read_text()
    assert "RunConfig" not in source.replace("knows nothing of ``RunConfig``", "")
    assert "graphae.config" not in source


def test_the_loop_trains_evaluates_and_selects() -> None:
    events = Events()
    loop, strategy = make_loop(
        epochs=6, eval_every=2, lr_factor=lambda e: 1.0 / e, callbacks=[events]
    )
    out = loop.run()
    assert out.epochs_run == 6 and [h["epoch"] for h in out.history] == [1, 2, 3, 4, 5, 6]
    assert [("val/auc" in h) for h in out.history] == [False, True, False, True, False, True]
    assert all(set(h) >= {"epoch", "loss", "loss/structure"} for h in out.history)
    assert strategy.lrs == [1.0, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6]
    aucs = {h["epoch"]: h["val/auc"] for h in out.history if "val/auc" in h}
    best = max(aucs.values())
    assert loop.selection.best_epoch == min(e for e, a in aucs.items() if a == best)
    names = [e for e, _ in events.seen]
    assert names[:2] == ["on_start", "on_train_start"] and names[-1] == "on_train_end"
    assert names.count("on_epoch") == names.count("on_epoch_end") == 6


def test_forward_reuse_changes_nothing_but_the_order_of_notifications() -> None:
    plain, reused = Events(), Events()
    a = make_loop(epochs=7, callbacks=[plain])[0]
    b = make_loop(epochs=7, reuse=True, callbacks=[reused])[0]
    ha, hb = a.run().history, b.run().history
    assert ha == hb
    assert a.selection.best_epoch == b.selection.best_epoch
    for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values(), strict=True):
        assert torch.equal(x, y)
    # with reuse an epoch's record reaches on_epoch once the next epoch's forward scored it
    done = [v for e, v in reused.seen if e == "on_epoch"]
    assert done == [(e, True) for e in range(1, 8)]
    ends = [(e, v) for e, v in reused.seen if e in ("on_epoch", "on_epoch_end")]
    assert ends[:3] == [("on_epoch_end", 1), ("on_epoch", (1, True)), ("on_epoch_end", 2)]


def test_stop_control_checkpoints_then_raises(tmp_path: Path) -> None:
    control = TrainingControl(stop_after=3)
    ckpt = tmp_path / "ck"
    loop, _ = make_loop(
        epochs=6,
        reuse=True,
        control=control,
        checkpointer=Checkpointer(ckpt, every=0, config={"k": 1}, meta={"n": 12}),
    )
    with pytest.raises(TrainingInterrupted) as info:
        loop.run()
    assert (info.value.epoch, info.value.epochs, info.value.checkpoint) == (3, 6, ckpt)
    assert not control.running
    state = load_training_state(ckpt)
    assert state.epoch == 3 and [h["epoch"] for h in state.history] == [1, 2, 3]
    assert all("val/auc" in h for h in state.history)  # a checkpoint never waits for a score
    assert state.config == {"k": 1} and state.meta == {"n": 12}
    assert json.loads((ckpt / "checkpoint.json").read_text())["epoch"] == 3


def test_patience_stops_the_loop() -> None:
    loop, _ = make_loop(epochs=60, patience=2, reuse=True)
    out = loop.run()
    assert out.epochs_run == loop.selection.best_epoch + 2 < 60
    assert len(out.history) == out.epochs_run
