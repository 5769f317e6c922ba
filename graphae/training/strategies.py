"""Training strategies: the optimisers of a run and the loss hook of a step.

:func:`make_strategy` picks one for a model; the training loop calls, every
epoch, :meth:`~PlainStrategy.begin_epoch` and :meth:`~PlainStrategy.scale_lr`
(:mod:`graphae.training.schedules`), and every step
:meth:`~PlainStrategy.zero_grad`, :meth:`~PlainStrategy.loss`, ``backward``
and :meth:`~PlainStrategy.step`. A strategy owns every optimiser of the run:
the main one(s) over the model's ``main_parameters()``, and one Adam per
:class:`~graphae.models.protocol.Adversary` of the model (ARGA's
discriminator), stepped after the main step and saved beside the main state
(:meth:`~PlainStrategy.extra_state_dict`).

* :class:`PlainStrategy` — one Adam over the main parameters (every model
  without latent tables).
* :class:`LatentStrategy` — the auto-decoder. Node ``i`` has a free latent
  code ``z_i`` (a row of the ``embedding`` encoder's table,
  :class:`~graphae.nn.latent.EmbeddingEncoder`), and the codes and the decoder
  parameters ``θ`` minimise (DeepSDF-style)

  ``L = L_rec(f_θ, Z) + (1/σ²) · mean_{i ∈ B} ‖z_i‖²``

  where ``L_rec`` is the usual reconstruction loss of the batch (BCE on sampled
  pairs, and/or the feature loss) and ``B`` is the set of nodes the batch
  touches (the distinct endpoints of its positive and negative pairs; every
  node when the decoder needs the whole graph). Averaging over the batch's
  nodes keeps the prior on the scale of the per-pair BCE whatever the batch
  size; ``σ`` is ``RunConfig.prior_sigma`` (``None``: no prior, ``σ = ∞``).
  The same prior applies to the learnable tables of a hybrid encoder
  (:class:`~graphae.nn.latent.HybridEncoder`), averaged over all rows.

  ``joint`` — codes and ``θ`` step together every batch; ``alternating`` —
  ``alternate_every = k`` epochs updating only the codes (``θ`` frozen), then
  ``k`` epochs updating only ``θ`` (codes frozen), repeated.

  The codes of the ``embedding`` encoder are an ``nn.Embedding(sparse=True)``
  trained by ``torch.optim.SparseAdam`` (learning rate ``RunConfig.code_lr``,
  default ``lr``); ``θ`` by Adam. With a pairwise structure decoder (inner
  product, distance, bilinear, MLP) a step looks up only the batch's rows
  (:func:`sparse_path`), so its gradient, its optimiser update and its prior
  touch only those rows: the table scales to millions of nodes. Decoders that
  need the whole graph (``gnn``, feature decoders) look up every row.

New nodes' codes are inferred with ``θ`` frozen by
:func:`graphae.inference.latent.infer_codes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from graphae.errors import GraphaeError
from graphae.nn.latent import EmbeddingEncoder, latent_tables

if TYPE_CHECKING:
    from graphae.config import RunConfig
    from graphae.models.protocol import Adversary, GraphModel

OPTIMIZATIONS = ("joint", "alternating")

__all__ = [
    "OPTIMIZATIONS",
    "LatentStrategy",
    "PlainStrategy",
    "latent_prior",
    "make_strategy",
    "sparse_path",
]


def latent_prior(codes: Tensor, sigma: float | None) -> Tensor:
    """``(1/σ²) · mean_i ‖z_i‖²`` of ``codes`` ``(R, d)``; 0 when ``sigma`` is ``None``."""
    if sigma is None or codes.numel() == 0:
        return codes.new_zeros(())
    return codes.pow(2).sum(dim=-1).mean() / (sigma * sigma)


def sparse_path(model: GraphModel) -> bool:
    """Whether a training step can look up only the batch's codes.

    True for the plain auto-decoder: the ``embedding`` encoder and a loss that
    reads only the batch's pairs (``model.pair_local``: a pairwise structure
    decoder, the sampled-pairs loss, no feature decoder, no variant that reads
    every node or replaces the positives).
    """
    return isinstance(model.encoder, EmbeddingEncoder) and model.pair_local


def _adversary_optimizers(
    model: GraphModel,
) -> dict[str, tuple[Adversary, torch.optim.Optimizer]]:
    """An Adam for each of the model's adversaries, by checkpoint key."""
    return {
        key: (adv, torch.optim.Adam(adv.parameters(), lr=adv.lr))
        for key, adv in model.adversaries().items()
    }


class PlainStrategy:
    """One Adam over ``model.main_parameters()`` and ``model.loss`` (every non-latent model).

    Quacks like the optimiser the training loop used before strategies existed
    (``zero_grad``, ``step``, ``state_dict``, ``load_state_dict``), so
    checkpoints keep their format. Also owns the optimisers of the model's
    adversaries (ARGA's discriminator: Adam at its own learning rate, not
    scaled by the schedule), stepped by :meth:`step` after the main step.
    """

    def __init__(self, model: GraphModel, lr: float, weight_decay: float = 0.0) -> None:
        self.model = model
        self.optimizer = torch.optim.Adam(model.main_parameters(), lr=lr, weight_decay=weight_decay)
        self.adversaries = _adversary_optimizers(model)

    def begin_epoch(self, epoch: int) -> None:
        """Called at the start of every epoch (1-based)."""

    def all_optimizers(self) -> list[torch.optim.Optimizer]:
        """The main optimiser(s): those the learning-rate schedule scales."""
        return [self.optimizer]

    def scale_lr(self, factor: float) -> None:
        """Set every parameter group's learning rate to ``factor`` × its base rate.

        The base rate is kept in the group (``"base_lr"``), so it travels with
        the optimiser's state into checkpoints and a resumed run scales the
        same base.
        """
        for opt in self.all_optimizers():
            for group in opt.param_groups:
                group["lr"] = group.setdefault("base_lr", group["lr"]) * factor

    def loss(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        pos: Tensor,
        neg: Tensor,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, float]]:
        """The step's loss: the model's ``loss``."""
        if pos_target is None:
            return self.model.loss(x, edge_index, edge_weight, pos, neg)
        return self.model.loss(x, edge_index, edge_weight, pos, neg, pos_target=pos_target)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the main parameters' gradients."""
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> dict[str, float]:
        """The optimiser step, then the updates that follow it (:meth:`after_step`).

        Returns:
            Named floats of those updates, for logs (``{}`` for most models).
        """
        self.optimizer.step()
        return self.after_step()

    def after_step(self) -> dict[str, float]:
        """Each adversary's own training with its optimiser, then the model's ``post_step``.

        Returns:
            Their named floats (``loss/discriminator``, BGRL's ``momentum``...).
        """
        named: dict[str, float] = {}
        for adversary, optimizer in self.adversaries.values():
            named.update(adversary.update(optimizer))
        named.update(self.model.post_step())
        return named

    def state_dict(self) -> dict[str, Any]:
        """The main optimiser's state (``TrainingState.optimizer``)."""
        return self.optimizer.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self.optimizer.load_state_dict(state)

    def extra_state_dict(self) -> dict[str, dict[str, Any]]:
        """The adversaries' optimiser states by key (``TrainingState.extra_optimizers``)."""
        return {key: opt.state_dict() for key, (_, opt) in self.adversaries.items()}

    def load_extra_state_dict(self, states: dict[str, dict[str, Any]]) -> None:
        """Restore :meth:`extra_state_dict` (keys this model has no adversary for are ignored)."""
        for key, (_, opt) in self.adversaries.items():
            if key in states:
                opt.load_state_dict(states[key])


class LatentStrategy(PlainStrategy):
    """Training of a model with latent tables: joint or alternating, sparse codes, L2 prior.

    Parameter groups: the sparse code tables (SparseAdam, ``code_lr``), dense
    tables of hybrid encoders (Adam, ``code_lr``, no weight decay: the prior
    regularises them) and ``θ`` = every other main parameter (Adam, ``lr``,
    ``weight_decay``).

    Args:
        model: A model with at least one :class:`~graphae.nn.latent.LatentTable`.
        lr: ``θ``'s learning rate.
        code_lr: The codes' learning rate (default ``lr``).
        weight_decay: ``θ``'s Adam weight decay.
        prior_sigma: ``σ`` of the L2 prior (``None``: no prior).
        optimization: ``"joint"`` or ``"alternating"``.
        alternate_every: ``k``: epochs per phase of the alternating strategy.
    """

    def __init__(
        self,
        model: GraphModel,
        lr: float,
        code_lr: float | None = None,
        weight_decay: float = 0.0,
        prior_sigma: float | None = None,
        optimization: str = "joint",
        alternate_every: int = 1,
    ) -> None:
        if optimization not in OPTIMIZATIONS:
            raise GraphaeError(
                f"unknown optimization {optimization!r}; use {' or '.join(OPTIMIZATIONS)}"
            )
        self.model = model
        self.tables = latent_tables(model)
        if not self.tables:
            raise GraphaeError(
                "the model has no latent table (use --encoder embedding or a hybrid)"
            )
        self.prior_sigma = prior_sigma
        self.optimization = optimization
        self.alternate_every = max(1, int(alternate_every))
        self.sparse = sparse_path(model)
        code_lr = lr if code_lr is None else code_lr
        sparse = [t.weight for t in self.tables if t.sparse]
        dense = [t.weight for t in self.tables if not t.sparse]
        codes = {id(p) for p in sparse + dense}
        theta = [p for p in model.main_parameters() if id(p) not in codes and p.requires_grad]
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        if theta:
            self.optimizers["theta"] = torch.optim.Adam(theta, lr=lr, weight_decay=weight_decay)
        if sparse:
            self.optimizers["codes_sparse"] = torch.optim.SparseAdam(sparse, lr=code_lr)
        if dense:
            self.optimizers["codes_dense"] = torch.optim.Adam(dense, lr=code_lr)
        self.phase = "both"
        self.adversaries = _adversary_optimizers(model)

    # -------------------------------------------------------------- schedule

    def phase_of(self, epoch: int) -> str:
        """``"both"`` (joint), or ``"codes"`` / ``"theta"`` in alternating epoch ``epoch``."""
        if self.optimization == "joint" or "theta" not in self.optimizers:
            return "both"
        return "codes" if ((epoch - 1) // self.alternate_every) % 2 == 0 else "theta"

    def begin_epoch(self, epoch: int) -> None:
        self.phase = self.phase_of(epoch)

    def _active(self) -> Iterator[torch.optim.Optimizer]:
        for name, opt in self.optimizers.items():
            if self.phase == "both" or (name == "theta") == (self.phase == "theta"):
                yield opt

    def all_optimizers(self) -> list[torch.optim.Optimizer]:
        return list(self.optimizers.values())

    def zero_grad(self, set_to_none: bool = True) -> None:
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none=set_to_none)

    def step(self) -> dict[str, float]:
        """The active optimisers' steps, then :meth:`~PlainStrategy.after_step`."""
        for opt in self._active():
            opt.step()
        return self.after_step()

    def state_dict(self) -> dict[str, Any]:
        return {name: opt.state_dict() for name, opt in self.optimizers.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if set(state) != set(self.optimizers):
            raise GraphaeError(
                f"optimiser state has groups {sorted(state)}, expected {sorted(self.optimizers)}"
            )
        for name, opt in self.optimizers.items():
            opt.load_state_dict(state[name])

    # ------------------------------------------------------------------ loss

    def loss(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        pos: Tensor,
        neg: Tensor,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, float]]:
        """Reconstruction loss plus the prior.

        On the sparse path only the batch's codes are looked up (and get
        gradients); otherwise the model's ``loss`` runs on the whole table and
        the prior averages over every row.
        """
        if self.sparse:
            return self._batch_loss(pos, neg, pos_target)
        total, named = super().loss(x, edge_index, edge_weight, pos, neg, pos_target)
        if self.prior_sigma is not None:
            prior = sum(latent_prior(t(), self.prior_sigma) for t in self.tables)
            named["prior"] = float(prior.detach())
            total = total + prior
        return total, named

    def _batch_loss(
        self, pos: Tensor, neg: Tensor, pos_target: Tensor | None
    ) -> tuple[Tensor, dict[str, float]]:
        model = self.model
        enc: EmbeddingEncoder = model.encoder  # type: ignore[assignment]
        nodes, inv = torch.unique(
            torch.cat([pos.reshape(-1), neg.reshape(-1)]), return_inverse=True
        )
        z = enc.rows(nodes)
        lpos = inv[: pos.numel()].view(2, -1)
        lneg = inv[pos.numel() :].view(2, -1)
        total, rec = model.pair_loss(z, lpos, lneg, pos_target=pos_target)
        named = {"structure": float(rec.detach())}
        if self.prior_sigma is not None:
            prior = latent_prior(z, self.prior_sigma)
            total = total + prior
            named["prior"] = float(prior.detach())
        return total, named


def make_strategy(model: GraphModel, config: RunConfig) -> PlainStrategy:
    """The training strategy of a run: :class:`LatentStrategy` for models with latent
    tables, else :class:`PlainStrategy` (plain Adam, as before).

    Raises:
        GraphaeError: When ``alternating`` or ``prior_sigma`` is asked of a model
            without latent tables.
    """
    optimization = getattr(config, "optimization", "joint")
    sigma = getattr(config, "prior_sigma", None)
    if not latent_tables(model):
        if optimization != "joint" or sigma is not None:
            raise GraphaeError(
                "optimization='alternating' and prior_sigma apply to latent codes; use "
                "--encoder embedding or an encoder option learnable_input=true / hybrid=add"
            )
        return PlainStrategy(model, config.lr, config.weight_decay)
    return LatentStrategy(
        model,
        lr=config.lr,
        code_lr=getattr(config, "code_lr", None),
        weight_decay=config.weight_decay,
        prior_sigma=sigma,
        optimization=optimization,
        alternate_every=getattr(config, "alternate_every", 1),
    )
