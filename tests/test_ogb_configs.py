"""The OGB / node-dataset protocol sweeps in benchmarks/configs: they parse, give the
run ids the runner and the GPU driver expect, and the Refined GAE spec runs end to
end (shrunk) through the bench runner into the per-seed records of ogb_ddi_gpu.py."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from clihelp import load_script
from ogb_replicas import write_replica

from graphae.bench.runner import run_sweep
from graphae.bench.spec import parse_spec
from graphae.nn.latent import HYBRID_OPTIONS

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "benchmarks" / "configs"


def spec_obj(name: str) -> dict[str, Any]:
    """The YAML of a config, without the orthogonal table init where this checkout
    lacks it (``table_init`` is another branch's encoder option)."""
    obj = yaml.safe_load((CONFIGS / name).read_text())
    if "table_init" not in HYBRID_OPTIONS:
        for enc in obj.get("encoders", []):
            if isinstance(enc, dict):
                enc.get("options", {}).pop("table_init", None)
    return obj


@pytest.mark.parametrize(
    ("name", "runs"),
    [
        ("refined-gae-ddi.yaml", 10),
        ("refined-gae-ppa.yaml", 10),
        ("refined-gae-collab.yaml", 10),
        ("refined-gae-citation2.yaml", 10),
        ("capacity-ogb.yaml", 290),  # 230 + the ncn rung (10) + 5 heuristics x 10 seeds
        ("capacity-amazon-coauthor.yaml", 640),
    ],
)
def test_protocol_configs_parse(name: str, runs: int) -> None:
    spec = parse_spec(spec_obj(name), source=name)
    all_runs = spec.runs(skip_missing_optional=False)
    assert len(all_runs) == runs
    assert spec.seeds == list(range(10))
    ids = [r.run_id for r in all_runs]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9-]+-s\d+-[0-9a-f]{10}", i) for i in ids)


def test_refined_ddi_is_the_published_setting() -> None:
    (run, *_) = parse_spec(spec_obj("refined-gae-ddi.yaml")).runs()
    c = run.config
    assert (c.dataset, c.encoder, c.decoder, c.select) == ("ogbl-ddi", "gcn", "mlp", "ogb")
    assert c.encoder_options["activation"] == "identity" and c.encoder_options["residual"] == 0.1
    assert c.encoder_options["input_channels"] == 1024 and c.num_layers == 2
    assert c.hidden_channels == c.out_channels == 1024 and c.dropout == 0.0
    assert c.decoder_options == {
        "depth": 7, "width": 1024, "residual": True, "dropout": 0.6, "dropout_at": "hidden"
    }  # fmt: skip
    assert (c.lr, c.lr_schedule, c.lr_decay_every) == (0.001, "linear", 100)
    assert (c.grad_clip, c.grad_clip_scope) == (1.0, "parts")
    assert (c.batch_size, c.neg_ratio, c.epochs, c.patience) == (8192, 1.0, 500, 0)
    assert c.mask_target_edges
    raw = yaml.safe_load((CONFIGS / "refined-gae-ddi.yaml").read_text())
    assert raw["encoders"][0]["options"]["table_init"] == "orthogonal"


def test_capacity_ogb_rows_and_seed_selection() -> None:
    spec = parse_spec(spec_obj("capacity-ogb.yaml"))
    runs = spec.runs()
    rows = {(r.encoder, r.decoder, r.variant) for r in runs if r.kind == "model"}
    ladder = {"inner_product", "bilinear", "mlp-d1", "mlp-d2", "mlp-d4", "mlp-d8", "gnn"}
    ladder |= {"ncn-d2-w256"}  # the common-neighbour-aware rung (issue 20)
    assert {d for e, d, _ in rows if e == "gcn-codes"} == ladder
    assert {(d, v) for e, d, v in rows if e == "codes"} == {("inner_product", "joint")} | {
        (f"mlp-d{k}", v) for k in (1, 2, 4, 8) for v in ("joint", "alternating")
    }
    assert {(e, d) for e, d, _ in rows if e.startswith("ogb-")} == {
        ("ogb-sage", "ogb-linkpredictor"),
        ("ogb-gcn", "ogb-linkpredictor"),
    }
    heuristics = {"common_neighbors", "adamic_adar", "resource_allocation"}
    heuristics |= {"preferential_attachment", "katz"}
    assert {r.baseline for r in runs if r.kind == "baseline"} == {
        "untrained",
        "spectral",
    } | heuristics
    by_label = {(r.encoder, r.decoder): r.config for r in runs if r.seed == 0 and r.kind == "model"}
    sage = by_label[("ogb-sage", "ogb-linkpredictor")]
    assert (sage.hidden_channels, sage.dropout, sage.lr, sage.epochs) == (256, 0.5, 0.005, 200)
    assert not sage.mask_target_edges and sage.grad_clip is None
    d8 = by_label[("gcn-codes", "mlp-d8")]
    assert d8.decoder_options["depth"] == 8 and d8.decoder_options["width"] >= 512
    # gpu_ogb.sh runs each seed as `--only -s<seed>-`: exactly that seed's runs
    for seed in (0, 3, 9):
        picked = [r for r in runs if f"-s{seed}-" in r.run_id]
        assert {r.seed for r in picked} == {seed} and len(picked) == len(runs) // 10


def _shrink(obj: dict[str, Any], seeds: list[int]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["encoders"][0]["options"]["input_channels"] = 8
    obj["decoders"][0]["options"]["width"] = 8
    obj["seeds"] = seeds
    obj["train"].update(
        hidden_channels=8, out_channels=8, batch_size=32, epochs=2, device="cpu", precision="fp32"
    )
    return obj


def test_refined_spec_runs_end_to_end_into_per_seed_records(tmp_path: Path) -> None:
    write_replica(tmp_path / "data/ogb", "ogbl-ddi")
    tool = load_script("ogb_ddi_gpu")
    into = tmp_path / "ogb-ddi-gpu.json"
    folders = []
    for seed in (0, 1):  # one sweep folder per seed, as the GPU driver runs them
        spec = parse_spec(_shrink(spec_obj("refined-gae-ddi.yaml"), [0, 1]))
        folder = tmp_path / f"sweep-s{seed}"
        out = run_sweep(
            spec, folder, only=f"-s{seed}-", data_root=str(tmp_path / "data"), progress=False
        )
        assert out.complete and len(out.ran) == 1
        folders.append(folder)
        assert tool.main(["export", str(folder), "--into", str(into)]) == 0
    records = json.loads(into.read_text())
    assert [r["seed"] for r in records] == [0, 1]
    for r in records:
        assert set(tool.KEYS) <= set(r)
        assert r["row"] == "refined-gcn-codes / refined-mlp8-res / refined"
        assert r["epochs"] == 2 and r["device"] == "cpu"
        assert 0 <= r["val_hits20"] <= 1 and 0 <= r["test_hits20"] <= 1
        res = json.loads(
            (tmp_path / f"sweep-s{r['seed']}/runs/{r['run_id']}/result.json").read_text()
        )
        assert r["test_hits20"] == res["metrics"]["link/hits@20"]
    # exporting again (a later session) adds nothing twice; merging is idempotent
    curves = tmp_path / "curves.jsonl"
    assert (
        tool.main(["export", *map(str, folders), "--into", str(into), "--curves", str(curves)]) == 0
    )
    assert json.loads(into.read_text()) == records
    lines = [json.loads(x) for x in curves.read_text().splitlines()]
    assert [len(c["val_hits20"]) for c in lines] == [2, 2]
    merged = tmp_path / "all.json"
    assert tool.main(["merge", str(into), str(into), "--into", str(merged)]) == 0
    assert json.loads(merged.read_text()) == records
    md = merged.with_suffix(".md").read_text()
    assert (
        "| refined-gae-ddi | refined-gcn-codes / refined-mlp8-res / refined | 2 | 0,1 | cpu |" in md
    )
    assert "94.43 ± 0.57" in md


def test_timing_script_times_real_steps(tmp_path: Path) -> None:
    write_replica(tmp_path / "ogb", "ogbl-ddi")
    timing = load_script("refined_ddi_timing")
    cfg, dropped = timing.refined_config(device="cpu")
    assert dropped == ([] if "table_init" in HYBRID_OPTIONS else ["table_init"])
    cfg = cfg.replace(
        encoder_options={**cfg.encoder_options, "input_channels": 8},
        decoder_options={**cfg.decoder_options, "width": 8},
        hidden_channels=8,
        out_channels=8,
        batch_size=32,
        precision="fp32",
    )
    res = timing.time_steps(cfg, 2, str(tmp_path))
    assert res["steps_timed"] == 2 and res["steps_per_epoch"] == 5  # 140 training edges / 32
    assert res["seconds_per_step"] > 0 and len(res["step_process_cpu_seconds"]) == 2
    assert res["epoch_train_seconds_at_measured_rate"] == pytest.approx(5 * res["seconds_per_step"])
