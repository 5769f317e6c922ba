"""GPU checks (issue 17): every encoder x decoder and each variant trains a few steps on
CUDA and matches the same run on the CPU; bf16 autocast and compile run.

Marked ``gpu`` and skipped without CUDA. ``GRAPHAE_GPU_TESTS_ON_CPU=1`` runs the same
harness CPU against CPU (the runs must then be bit-identical), to check it where there
is no GPU.

Random draws (negatives, masks, VGAE noise, views) are routed through the CPU for both
runs (:func:`cpu_random`), so the CUDA run sees exactly the CPU run's random numbers and
only the arithmetic differs. Tolerance (fp32, after 3 Adam steps): ``rtol=1e-3,
atol=1e-4`` on the embeddings, ``1e-4`` absolute on the first epoch's loss.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import torch
from test_train import quick, two_communities

from graphae.config import RunConfig
from graphae.errors import GraphaeError
from graphae.nn.decoders import decoders
from graphae.nn.encoders import encoders
from graphae.pipeline import fit

ON_CPU = os.environ.get("GRAPHAE_GPU_TESTS_ON_CPU") == "1"
DEVICE = "cpu" if ON_CPU else "cuda"
RTOL, ATOL, LOSS_ATOL = 1e-3, 1e-4, 1e-4

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not ON_CPU and not torch.cuda.is_available(),
        reason="needs CUDA (or GRAPHAE_GPU_TESTS_ON_CPU=1 to check the harness on CPU)",
    ),
]


@pytest.fixture(autouse=True)
def cpu_random(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Draw every random tensor on the CPU (a CUDA generator maps to a CPU one with its
    seed), then move it to the device asked for."""
    gens: dict[int, torch.Generator] = {}

    def cpu_gen(g: torch.Generator | None) -> torch.Generator | None:
        if g is None or g.device.type == "cpu":
            return g
        if id(g) not in gens:
            gens[id(g)] = torch.Generator().manual_seed(g.initial_seed())
        return gens[id(g)]

    def factory(orig):  # type: ignore[no-untyped-def]
        def f(*args, generator=None, device=None, **kw):  # type: ignore[no-untyped-def]
            out = orig(*args, generator=cpu_gen(generator), device="cpu", **kw)
            return out.to(device) if device is not None else out

        return f

    def like(orig):  # type: ignore[no-untyped-def]
        def f(x, *args, **kw):  # type: ignore[no-untyped-def]
            return orig(x.cpu(), *args, **kw).to(x.device)

        return f

    for name in ("rand", "randn", "randint", "randperm"):
        monkeypatch.setattr(torch, name, factory(getattr(torch, name)))
    for name in ("rand_like", "randn_like"):
        monkeypatch.setattr(torch, name, like(getattr(torch, name)))
    yield


def _pair(cfg: RunConfig, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("graphae.pipeline.measure", lambda *a, **k: {})
    g = two_communities()
    ref = fit(cfg.replace(device="cpu"), graph=g)
    torch.manual_seed(0)
    got = fit(cfg.replace(device=DEVICE), graph=g)
    return ref, got


def _close(ref, got) -> None:  # type: ignore[no-untyped-def]
    assert got.result.device.startswith(DEVICE)
    l_ref, l_got = ref.result.history[0]["loss"], got.result.history[0]["loss"]
    if ON_CPU:
        assert torch.equal(ref.z, got.z) and l_ref == l_got
        return
    assert abs(l_ref - l_got) <= LOSS_ATOL
    torch.testing.assert_close(got.z, ref.z, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("decoder", list(decoders))
@pytest.mark.parametrize("encoder", list(encoders))
def test_encoder_x_decoder_matches_cpu(
    encoder: str, decoder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        cfg = quick(encoder=encoder, decoder=decoder, epochs=3)
        ref, got = _pair(cfg, monkeypatch)
    except GraphaeError as e:  # a combination the library refuses (on CPU as well)
        pytest.skip(f"{encoder} x {decoder}: {e}")
    _close(ref, got)


VARIANTS = {
    "vgae": {"variational": True},
    "arga": {"adversarial": True},
    "edge_mask": {"edge_mask": 0.3},
    "feature_mask": {"feature_mask": 0.3, "feature_decoder": "mirror"},
    "autodecoder_joint": {"encoder": "embedding", "optimization": "joint"},
    "autodecoder_alternating": {"encoder": "embedding", "optimization": "alternating"},
    "dgi": {"objective": "dgi"},
    "grace": {"objective": "grace"},
    "bgrl": {"objective": "bgrl"},
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variant_matches_cpu(variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kw = dict(VARIANTS[variant])
    if kw.get("objective"):
        kw.update(select="loss")
    ref, got = _pair(quick(epochs=3, **kw), monkeypatch)
    _close(ref, got)


#: A feature decoder whose last layer widens (4 -> 8 features): the factored feature loss.
FACTORED = {"feature_loss": "sce", "hidden_channels": 4, "out_channels": 2}


@pytest.mark.parametrize("decoder", ["linear", "mirror", "tied", "pinv"])
def test_factored_feature_loss_matches_cpu(decoder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``feature_loss_form="auto"`` on the device (a dense ``x wᵀ`` there, the CSR
    product on the CPU) matches the CPU run."""
    _close(*_pair(quick(epochs=3, decoder=decoder, **FACTORED), monkeypatch))


@pytest.mark.parametrize(
    "extra",
    [
        {"precision": "bf16"},
        {"compile": True},
        {"precision": "bf16", "decoder": "mirror", **FACTORED},
        {"compile": True, "decoder": "mirror", **FACTORED},
    ],
)
def test_bf16_and_compile_train(extra: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    if ON_CPU and "compile" in extra:
        pytest.skip("compile is checked on CUDA only (its compilation is slow on this CPU)")
    monkeypatch.setattr("graphae.pipeline.measure", lambda *a, **k: {})
    run = fit(quick(epochs=3, device=DEVICE, **extra), graph=two_communities())
    assert torch.isfinite(run.z).all() and run.result.epochs_run == 3


@pytest.mark.parametrize("layout", ["sparse", "dense"])
def test_propagation_layout_under_target_edge_masking_matches_cpu(
    layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each layout of ``Â``, rebuilt every step on the device (target-edge masking),
    matches the CPU run (the small graphs of these tests are dense: on CUDA the
    default ``auto`` already stores them densely, the CPU keeps CSR)."""
    cfg = quick(epochs=3, batch_size=16, mask_target_edges=True, propagation_layout=layout)
    _close(*_pair(cfg, monkeypatch))
