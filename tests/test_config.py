"""RunConfig: torch-free, its choices agree with the modules that implement them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from graphae.config import CHOICES, RunConfig
from graphae.errors import GraphaeError


def test_reading_the_config_module_loads_no_torch() -> None:
    code = (
        "import sys; import graphae.config as c; from graphae.cli.schema import run_config_fields;"
        " run_config_fields(); print(sorted(m for m in ('torch', 'torch_geometric', 'sklearn')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_choices_agree_with_the_modules_that_implement_them() -> None:
    from graphae.models.contrastive import OBJECTIVES
    from graphae.models.losses import FEATURE_LOSSES
    from graphae.models.variants import FEATURE_LOSS_FORMS
    from graphae.nn.decoders import PROPAGATION_ORDERS
    from graphae.nn.propagation import LAYOUTS
    from graphae.nn.sparse_input import MODES
    from graphae.training.schedules import LR_SCHEDULES
    from graphae.training.selection import SELECTORS
    from graphae.training.steps import CLIP_SCOPES
    from graphae.training.strategies import OPTIMIZATIONS

    assert CHOICES["lr_schedule"] == LR_SCHEDULES
    assert CHOICES["optimization"] == OPTIMIZATIONS
    assert CHOICES["objective"] == OBJECTIVES
    assert CHOICES["feature_loss"] == FEATURE_LOSSES
    assert CHOICES["grad_clip_scope"] == CLIP_SCOPES
    assert CHOICES["feature_matmul"] == MODES
    assert CHOICES["propagation_order"] == PROPAGATION_ORDERS
    assert CHOICES["feature_loss_form"] == FEATURE_LOSS_FORMS
    assert CHOICES["propagation_layout"] == LAYOUTS
    assert sorted(CHOICES["select"]) == sorted(SELECTORS)


def test_every_feature_norm_choice_resolves_to_a_normalisation() -> None:
    """``graphae.data.features`` takes its names from CHOICES: check it implements each."""
    import torch
    from torch_geometric.data import Data

    from graphae.data.features import resolve_feature_norm
    from graphae.data.graph import Graph, NodeIndex

    data = Data(x=torch.tensor([[1.0, 3.0], [0.0, 0.0]]), edge_index=torch.tensor([[0], [1]]))
    bag = Graph(data, NodeIndex.range(2), meta={"features": "bag_of_words"})
    plain = Graph(data, NodeIndex.range(2))
    resolved = {
        norm: (resolve_feature_norm(bag, norm), resolve_feature_norm(plain, norm))
        for norm in CHOICES["feature_norm"]
    }
    assert resolved == {"auto": ("row", "none"), "row": ("row", "row"), "none": ("none", "none")}


def test_every_feature_fallback_choice_is_implemented_under_its_own_name() -> None:
    """``graphae.data.io`` takes its names from CHOICES: each must build what it names."""
    import torch

    from graphae.data.io.fallback import _fallback_features

    edges = torch.tensor([[0, 1, 2], [1, 2, 0]])
    built = {
        mode: _fallback_features(mode, edges, 3, False, "g") for mode in CHOICES["feature_fallback"]
    }
    assert {mode: kind for mode, (_, kind) in built.items()} == {
        "auto": "identity",  # 3 nodes: small enough for one-hot
        "identity": "identity",
        "degree": "degree",
        "random": "random",
        "learnable": "learnable",
        "degree_learnable": "degree_learnable",
        "none": "none",
    }
    assert built["identity"][0].tolist() == torch.eye(3).tolist()
    assert built["learnable"][0] is None and built["none"][0] is None
    assert torch.equal(built["degree"][0], built["degree_learnable"][0])


@pytest.mark.parametrize("name", sorted(CHOICES))
def test_every_choice_is_accepted_and_anything_else_refused(name: str) -> None:
    base = {"dataset": "Cora"}
    for value in CHOICES[name]:
        extra = {"lr_schedule": "linear"} if name == "lr_decay_every" else {}
        RunConfig(**base, **extra, **{name: value})
    with pytest.raises(GraphaeError, match=rf"{name}='bogus' \(must be"):
        RunConfig(**base, **{name: "bogus"})


def test_names_are_checked_against_the_registries() -> None:
    with pytest.raises(GraphaeError, match="gcn"):
        RunConfig(dataset="Cora", encoder="no_such_encoder")
    with pytest.raises(GraphaeError, match="inner_product"):
        RunConfig(dataset="Cora", decoder="no_such_decoder")


def test_identity_leaves_out_where_and_later_fields_at_their_old_value() -> None:
    a = RunConfig(dataset="Cora", device="cpu", data_root="/x")
    b = RunConfig(dataset="Cora", device="cuda", data_root="/y")
    assert a.identity() == b.identity()
    assert "lr_schedule" not in a.identity()
    assert a.replace(lr_schedule="cosine").identity()["lr_schedule"] == "cosine"
