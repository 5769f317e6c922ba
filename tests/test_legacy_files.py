"""Files written by an older graphae still load and still resume to the same bytes.

``tests/legacy/`` holds a run folder (``model.pt``, ``model.json``, ...) and
three training checkpoints (plain GAE, ARGA with its discriminator's optimiser,
the auto-decoder's alternating strategy) written by commit ``d4210e3``, before
the modules were reorganised (``tests/legacy/make_fixtures.py``).
``expected.json`` holds the sha256 of the embeddings the old code got when it
resumed each checkpoint and trained to the end.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

LEGACY = Path(__file__).parent / "legacy"


@pytest.fixture
def legacy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixtures as the working directory (their graph path is relative)."""
    copy = tmp_path / "legacy"
    shutil.copytree(LEGACY, copy)
    monkeypatch.chdir(copy)
    return copy


def test_an_old_run_folder_loads_and_reproduces_its_embeddings(legacy: Path) -> None:
    from graphae.inference import embed_graph, load_model

    _model, config, nodes = load_model(legacy / "run")
    assert config.graph == "ring.csv" and config.epochs == 20
    assert len(nodes) == 12
    emb = embed_graph(legacy / "run")
    stored = np.load(legacy / "run" / "embeddings.npy")
    assert emb.vectors.shape == stored.shape == (12, 16)
    assert emb.vectors.tobytes() == stored.tobytes()


@pytest.mark.parametrize("name", ["checkpoint-plain", "checkpoint-arga", "checkpoint-alternating"])
def test_an_old_checkpoint_resumes_to_the_old_codes_bytes(legacy: Path, name: str) -> None:
    import graphae

    expected = json.loads((legacy / "expected.json").read_text())
    config = graphae.RunConfig.from_dict(expected[f"{name}:config"])
    run = graphae.fit(config, resume_from=legacy / name)
    assert run.result.reproducibility["resumed_after_epoch"] is not None
    digest = hashlib.sha256(run.z.contiguous().numpy().tobytes()).hexdigest()
    assert digest == expected[name]
