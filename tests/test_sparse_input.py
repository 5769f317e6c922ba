"""The first layer's sparse input product (``RunConfig.feature_matmul``)."""

from __future__ import annotations

import json

import pytest
import torch

from graphae.config import RunConfig
from graphae.models import build_model
from graphae.nn import sparse_input
from graphae.nn.encoders import GCNEncoder, LinearEncoder, MLPEncoder, SAGEEncoder
from graphae.nn.sparse_input import SparseInput, SparseInputCache


def _int_features(n: int = 12, f: int = 30, nonzero: int = 2, seed: int = 0) -> torch.Tensor:
    """Integer-valued features with ``nonzero`` entries per row (float sums stay exact)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, f)
    for i in range(n):
        cols = torch.randperm(f, generator=g)[:nonzero]
        x[i, cols] = torch.randint(1, 4, (nonzero,), generator=g).float()
    return x


def _ring(n: int) -> torch.Tensor:
    s = torch.arange(n)
    return torch.stack([torch.cat([s, (s + 1) % n]), torch.cat([(s + 1) % n, s])])


class _Counting:
    """Counts the CSR products (``_InputMatmul.apply``) while active."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = sparse_input._InputMatmul.apply

        def apply(*args: object) -> torch.Tensor:
            self.calls += 1
            return real(*args)

        monkeypatch.setattr(sparse_input._InputMatmul, "apply", apply)


def test_product_and_gradients_equal_the_dense_layer_exactly() -> None:
    x = _int_features()
    lin = torch.nn.Linear(30, 4)
    with torch.no_grad():  # small integers: every sum is exact in fp32, in any order
        lin.weight.copy_(torch.randint(-3, 4, (4, 30)).float())
        lin.bias.copy_(torch.tensor([1.0, -2.0, 0.5, 0.0]))
    g = torch.randint(-2, 3, (12, 4)).float()

    dense = lin(x)
    (dense * g).sum().backward()
    dw, db = lin.weight.grad.clone(), lin.bias.grad.clone()
    lin.zero_grad()
    sparse = sparse_input.linear(lin, SparseInput(x))
    (sparse * g).sum().backward()

    assert torch.equal(sparse, dense)
    assert torch.equal(lin.weight.grad, dw)
    assert torch.equal(lin.bias.grad, db)
    assert dense[0].tolist() == (x[0] @ lin.weight.t() + lin.bias).tolist()


def test_cache_decides_by_mode_density_gradient_and_version() -> None:
    sparse_x = _int_features(n=10, f=40, nonzero=2)  # 5% non-zero
    dense_x = torch.ones(10, 40)
    auto = SparseInputCache("auto")
    got = auto.get(sparse_x)
    assert isinstance(got, SparseInput)
    assert auto.get(sparse_x) is got  # the same tensor, unmodified: cached
    sparse_x[0, 0] += 1.0  # modified in place: built again
    again = auto.get(sparse_x)
    assert isinstance(again, SparseInput) and again is not got
    assert auto.get(dense_x) is None  # 100% non-zero
    at_limit = torch.zeros(10, 10)
    at_limit[torch.arange(10), torch.arange(10)] = 1.0  # exactly 10%
    assert isinstance(auto.get(at_limit), SparseInput)
    at_limit[0, 1] = 1.0  # 11%
    assert auto.get(at_limit) is None
    assert auto.get(sparse_x.clone().requires_grad_()) is None  # learnable input
    assert SparseInputCache("dense").get(sparse_x) is None
    assert isinstance(SparseInputCache("sparse").get(dense_x), SparseInput)
    with pytest.raises(ValueError, match="auto, dense, sparse"):
        SparseInputCache("csr")


@pytest.mark.parametrize("cls", [GCNEncoder, LinearEncoder, MLPEncoder])
def test_encoders_read_the_csr_copy_of_an_unmodified_input(
    cls: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    x, ei = _int_features(n=12, f=30), _ring(12)
    torch.manual_seed(0)
    enc = cls(30, out_channels=4) if cls is LinearEncoder else cls(30, 8, 4)
    ref = enc(x, ei)
    counting = _Counting(monkeypatch)
    enc.input_cache = SparseInputCache("auto")
    out = enc(x, ei)
    assert counting.calls == 1
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-6)
    out.sum().backward()  # the weight gradient flows through the sparse product
    assert enc.lins[0].weight.grad is not None and enc.lins[0].weight.grad.abs().sum() > 0


def test_dropout_on_the_input_keeps_training_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    x, ei = _int_features(), _ring(12)
    enc = GCNEncoder(30, 8, 4, dropout=0.5)
    enc.input_cache = SparseInputCache("auto")
    counting = _Counting(monkeypatch)
    enc.train()
    enc(x, ei)
    assert counting.calls == 0  # the dropped-out input is a new tensor each step
    enc.eval()
    enc(x, ei)
    assert counting.calls == 1


def test_graph_layers_without_a_first_linear_stay_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    enc = SAGEEncoder(30, 8, 4)
    enc.input_cache = SparseInputCache("sparse")
    counting = _Counting(monkeypatch)
    enc(_int_features(), _ring(12))
    assert counting.calls == 0


def _modes(model: torch.nn.Module) -> set[str]:
    return {m.input_cache.mode for m in model.modules() if hasattr(m, "input_cache")}


def test_build_model_sets_the_mode_and_keeps_rewritten_features_dense() -> None:
    base = RunConfig(dataset="Cora")
    assert _modes(build_model(base, 30, 12)) == {"auto"}
    assert _modes(build_model(base.replace(feature_matmul="dense"), 30, 12)) == {"dense"}
    assert _modes(build_model(base.replace(variational=True), 30, 12)) == {"auto"}
    # corruptions that give the encoder new features every step: a CSR copy per step
    # would cost more than it saves
    assert _modes(build_model(base.replace(feature_mask=0.5), 30, 12)) == {"dense"}
    assert _modes(build_model(base.replace(feature_noise=0.1), 30, 12)) == {"dense"}
    forced = base.replace(feature_mask=0.5, feature_matmul="sparse")
    assert _modes(build_model(forced, 30, 12)) == {"sparse"}


def test_configs_saved_before_the_field_replay_the_dense_product() -> None:
    saved = RunConfig(dataset="Cora", epochs=3).to_dict()
    assert RunConfig.from_record(saved).feature_matmul == "auto"
    del saved["feature_matmul"]
    old = RunConfig.from_record(saved)
    assert old.feature_matmul == "dense"
    assert RunConfig(dataset="Cora", epochs=3).identity() == {
        k: v for k, v in old.replace(feature_matmul="auto").identity().items()
    }
    assert "feature_matmul" in old.identity()  # "dense" is not the neutral value


def test_a_checkpoint_without_the_field_resumes_dense(tmp_path, cora) -> None:
    """A checkpoint written before the field existed continues with the dense product."""
    from graphae.errors import TrainingInterrupted
    from graphae.pipeline import fit
    from graphae.rundir import load_training_state, save_training_state
    from graphae.training.callbacks import TrainingControl

    cfg = RunConfig(dataset="Cora", epochs=4, device="cpu")
    dense_cfg = cfg.replace(feature_matmul="dense")  # what the code before the field ran
    ckpt = tmp_path / "ck"
    with pytest.raises(TrainingInterrupted):
        fit(dense_cfg, graph=cora, checkpoint_dir=ckpt, control=TrainingControl(stop_after=2))
    state = load_training_state(ckpt)
    del state.config["feature_matmul"]  # as that code wrote it
    save_training_state(ckpt, state)
    resumed = fit(cfg, graph=cora, resume_from=ckpt)
    assert resumed.config.feature_matmul == "dense"
    dense = fit(dense_cfg, graph=cora)
    assert torch.equal(resumed.z, dense.z)
    auto = fit(cfg, graph=cora)
    assert not torch.equal(auto.z, dense.z)  # the sparse product rounds differently
    torch.testing.assert_close(auto.z, dense.z, rtol=0, atol=1e-4)


def test_cli_records_the_mode_and_rejects_a_bad_value(tmp_path, data_root, capsys) -> None:
    from clihelp import run_cli

    out = tmp_path / "run"
    base = ["train", "--dataset", "Cora", "--epochs", "2", "--data-root", data_root]
    code, _, err = run_cli(
        [*base, "--device", "cpu", "--out", out, "--feature-matmul", "sparse"], capsys
    )
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["feature_matmul"] == "sparse"
    code, out_text, err = run_cli([*base, "--feature-matmul", "csr"], capsys)
    assert code == 2
    assert "--feature-matmul" in err and "Traceback" not in err + out_text
