"""Models: the graph autoencoder, its variants, the contrastive objectives, their losses.

* :mod:`.autoencoder` — :class:`GraphAutoEncoder`: encoder + structure decoder
  and/or feature decoder + loss terms + corruptions.
* :mod:`.variants` — the terms and corruptions: KL (VGAE), structure and
  feature reconstruction, degree regression and edge masking (MaskGAE), the
  adversarial term (ARGA), feature masking (GraphMAE), edge dropout and noise.
* :mod:`.losses` — the loss functions (pair BCE, dense BCE, MSE / SCE, KL).
* :mod:`.contrastive` — DGI, GRACE, BGRL behind the same protocol.
* :mod:`.protocol` — :class:`GraphModel`, what training and evaluation use of a model.
* :mod:`.build` — :func:`build_model` from a ``RunConfig``.
"""

from __future__ import annotations

from graphae.models.autoencoder import GraphAutoEncoder, count_parameters, pairwise_decoder
from graphae.models.build import build_model, resolve_decoders
from graphae.models.protocol import Adversary, GraphModel
from graphae.models.variants import VARIANT_OPTIONS

__all__ = [
    "VARIANT_OPTIONS",
    "Adversary",
    "GraphAutoEncoder",
    "GraphModel",
    "build_model",
    "count_parameters",
    "pairwise_decoder",
    "resolve_decoders",
]
