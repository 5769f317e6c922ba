"""``GraphAutoEncoder``: an encoder, a structure decoder and/or a feature decoder,
and the loss terms and corruptions (:mod:`graphae.models.variants`) that combine
with any of them, in the spirit of PyG's ``GAE(encoder, decoder)``.

One training step (:meth:`GraphAutoEncoder.loss`):

1. **Corrupt** the step's input (training only), each
   :class:`~graphae.models.variants.Corruption` in turn: edge masking
   (MaskGAE), edge dropout, feature masking (GraphMAE), feature noise.
2. **Encode**: ``z = encoder(x̃, Ẽ)``; a :class:`~graphae.nn.encoders.VariationalEncoder`
   gives ``μ, log σ`` and ``z = μ + σ ⊙ ε`` (VGAE).
3. **Sum the terms**: ``Σ weight · value`` over the
   :class:`~graphae.models.variants.LossTerm` s in their order — KL (VGAE),
   structure reconstruction (sampled pairs or dense), feature reconstruction
   (MSE or SCE; on the masked nodes after re-masking under feature masking),
   degree regression (MaskGAE), the generator loss (ARGA).

The ARGA discriminator trains itself after each optimiser step: it is an
:class:`~graphae.models.protocol.Adversary` (:meth:`GraphAutoEncoder.adversaries`)
whose optimiser the training strategy owns; its parameters are not in
:meth:`GraphAutoEncoder.main_parameters`.

Without a structure decoder, :meth:`GraphAutoEncoder.score` falls back to the
parameter-free inner product on ``z`` (``has_structure_decoder`` says which), so
validation selection and link metrics still exist; the training harness reports
them under ``link_ip/*``, never ``link/*``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from graphae.errors import GraphaeError
from graphae.models.losses import pair_bce
from graphae.models.protocol import Adversary
from graphae.models.variants import (
    Adversarial,
    Corruption,
    FeatureReconstruction,
    KLDivergence,
    LossTerm,
    Step,
    StructureReconstruction,
)
from graphae.nn.decoders import Decoder, InnerProductDecoder
from graphae.nn.encoders import Encoder, VariationalEncoder

__all__ = ["GraphAutoEncoder", "count_parameters", "pairwise_decoder"]


def count_parameters(module: nn.Module | Tensor | None) -> int:
    """Trainable parameters of ``module`` (0 for ``None``; a tensor counts its elements)."""
    if module is None:
        return 0
    if isinstance(module, Tensor):
        return module.numel()
    if isinstance(module, Decoder):
        return module.num_parameters()
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def pairwise_decoder(decoder: nn.Module | None) -> bool:
    """Whether a structure decoder scores a pair from ``z_u, z_v`` alone (no graph).

    A decoder says so with a ``pairwise`` attribute; otherwise the inner
    product, distance, bilinear and MLP decoders are pairwise.
    """
    if decoder is None:
        return False
    flag = getattr(decoder, "pairwise", None)
    if flag is not None:
        return bool(flag)
    from graphae.nn.decoders import (
        BilinearDecoder,
        DistanceDecoder,
        InnerProductDecoder,
        MLPDecoder,
    )

    return type(decoder) in (InnerProductDecoder, DistanceDecoder, BilinearDecoder, MLPDecoder)


def default_terms(
    encoder: nn.Module, decoder: nn.Module | None, feature_decoder: nn.Module | None
) -> list[LossTerm]:
    """The plain autoencoder's terms: KL for a variational encoder, then the reconstructions."""
    terms: list[LossTerm] = []
    if isinstance(encoder, VariationalEncoder):
        terms.append(KLDivergence())
    if decoder is not None:
        terms.append(StructureReconstruction())
    if feature_decoder is not None:
        terms.append(FeatureReconstruction())
    return terms


class GraphAutoEncoder(nn.Module):
    """Encoder + structure decoder and/or feature decoder, loss terms and corruptions.

    Args:
        encoder: Maps ``(x, edge_index, edge_weight)`` to ``z`` ``(N, d)``; a
            :class:`~graphae.nn.encoders.VariationalEncoder` makes the model a VGAE.
        decoder: Structure decoder scoring pairs, or ``None``.
        feature_decoder: Feature decoder ``(z, edge_index) -> x̂``, or ``None``.
        terms: The loss terms, summed in this order; default
            :func:`default_terms` (KL for a variational encoder, the structure
            loss on sampled pairs, the MSE feature loss, each of weight 1).
        corruptions: Rewrites of a training step's input, applied in this order.

    Raises:
        GraphaeError: On a decoder of the wrong kind, a term the model lacks
            the parts for, or two parts registering the same name.
    """

    def __init__(
        self,
        encoder: Encoder,
        decoder: Decoder | None = None,
        feature_decoder: Decoder | None = None,
        *,
        terms: Sequence[LossTerm] | None = None,
        corruptions: Sequence[Corruption] = (),
    ) -> None:
        super().__init__()
        if decoder is not None and decoder.kind != "structure":
            raise GraphaeError(
                "decoder must be a structure decoder (feature decoders go in feature_decoder)"
            )
        if feature_decoder is not None and feature_decoder.kind != "feature":
            raise GraphaeError("feature_decoder must be a feature decoder")
        self.encoder = encoder
        self.decoder = decoder
        self.feature_decoder = feature_decoder
        self.terms: list[LossTerm] = list(
            default_terms(encoder, decoder, feature_decoder) if terms is None else terms
        )
        self.corruptions: list[Corruption] = list(corruptions)
        # a part's modules are the model's own, under the part's names (stable state_dict keys)
        for part in (*self.terms, *self.corruptions):
            part.check(self)
            for name, module in part.modules().items():
                if hasattr(self, name):
                    raise GraphaeError(f"two parts of the model are called {name!r}")
                if isinstance(module, nn.Parameter):
                    self.register_parameter(name, module)
                else:
                    self.add_module(name, module)
        self._fallback = InnerProductDecoder(encoder.out_channels)

    # ------------------------------------------------------------- basics

    @property
    def variational(self) -> bool:
        """Whether the encoder has VGAE heads."""
        return isinstance(self.encoder, VariationalEncoder)

    @property
    def has_structure_decoder(self) -> bool:
        """Whether link scores come from a structure decoder (else the inner-product fallback)."""
        return self.decoder is not None

    def term(self, kind: type[LossTerm]) -> LossTerm | None:
        """The model's loss term of class ``kind``, or ``None``."""
        return next((t for t in self.terms if isinstance(t, kind)), None)

    def reset_parameters(self) -> None:
        """Re-initialise every module (encoder, decoders, then each part's)."""
        self.encoder.reset_parameters()
        for m in (self.decoder, self.feature_decoder):
            if m is not None:
                m.reset_parameters()
        for part in (*self.terms, *self.corruptions):
            part.reset_parameters()

    def encode(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """``(N, d)`` embeddings of every node (μ for a variational encoder)."""
        return self.encoder(x, edge_index, edge_weight)

    def score(self, z: Tensor, pairs: Tensor, edge_index: Tensor | None = None) -> Tensor:
        """``(P,)`` link logits of ``pairs`` ``(2, P)``.

        From the structure decoder; a model without one scores with the
        parameter-free inner product ``z_uᵀ z_v`` (see :attr:`has_structure_decoder`).
        """
        dec = self.decoder if self.decoder is not None else self._fallback
        return dec(z, pairs, edge_index)

    def feature_input(self, z: Tensor, step: Step | None = None) -> Tensor:
        """What the feature decoder reads of ``z`` ``(N, d)``: ``z`` as the corruptions
        hand it over (GraphMAE's re-mask projection; in a training step also the
        zeroed rows of the masked nodes)."""
        for c in self.corruptions:
            z = c.feature_input(self, z, step)
        return z

    def reconstruct_features(
        self, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> Tensor:
        """``(N, F)`` features decoded from ``z`` (no masking)."""
        if self.feature_decoder is None:
            raise GraphaeError("this model has no feature decoder")
        return self.feature_decoder(self.feature_input(z), edge_index, edge_weight)

    def _feature_term(self) -> FeatureReconstruction:
        term = self.term(FeatureReconstruction)
        if term is None:
            raise GraphaeError("this model has no feature reconstruction term")
        return term  # type: ignore[return-value]

    def feature_loss(self, x_hat: Tensor, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(feature_weight · L_X, L_X)`` of ``x_hat`` against ``x`` (both ``(M, F)``)."""
        term = self._feature_term()
        value = term.of(x_hat, x)
        return term.weight * value, value

    def feature_recon_loss(
        self, x: Tensor, z: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> Tensor:
        """The configured (unweighted) feature loss of reconstructing every node from ``z``
        (in the term's ``feature_loss_form``: from the decoder's last linear map where
        it has one, without the ``(N, F)`` reconstruction)."""
        if self.feature_decoder is None:
            raise GraphaeError("this model has no feature decoder")
        term = self._feature_term()
        z_in = self.feature_input(z)
        return term.decoded(self.feature_decoder, z_in, edge_index, edge_weight, x, slice(None))

    def pair_loss(
        self,
        z: Tensor,
        pos: Tensor,
        neg: Tensor,
        edge_index: Tensor | None = None,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """``(structure_weight · L_A, L_A)``: the sampled-pairs structure loss of ``pos``
        ``(2, P)`` vs ``neg`` ``(2, Q)`` from the rows of ``z`` they index.

        Args:
            z: ``(R, d)`` embeddings (all nodes, or only the rows ``pos``/``neg`` index).
            pos: ``(2, P)`` positive pairs.
            neg: ``(2, Q)`` negative pairs.
            edge_index: The graph, for decoders that propagate.
            pos_target: ``(P,)`` soft targets, or ``None`` for 1.
        """
        term = self.term(StructureReconstruction)
        if term is None or self.decoder is None:
            raise GraphaeError("this model has no structure reconstruction term")
        dec = self.decoder
        rec = pair_bce(dec(z, pos, edge_index), dec(z, neg, edge_index), pos_target)
        return term.weight * rec, rec

    def main_parameters(self) -> list[nn.Parameter]:
        """Parameters the main optimiser updates (all but the adversaries')."""
        skip = {id(p) for adv in self.adversaries().values() for p in adv.parameters()}
        return [p for p in self.parameters() if id(p) not in skip]

    def adversaries(self) -> dict[str, Adversary]:
        """Parts that train themselves after each main step (ARGA's discriminator)."""
        return {t.state_key: t for t in self.terms if isinstance(t, Adversarial)}

    def post_step(self) -> dict[str, float]:
        """Nothing besides the adversaries' updates after an optimiser step."""
        return {}

    def parameter_counts(self) -> dict[str, int]:
        """Own trainable parameters per part.

        ``encoder``; ``decoder`` = everything that decodes (structure and
        feature decoders, degree decoder, GraphMAE re-mask projection); and,
        where present, ``structure_decoder``, ``feature_decoder``,
        ``degree_decoder``, ``remask``, ``discriminator``, ``mask_token``.
        """
        decoding: dict[str, nn.Module | Tensor | None] = {
            "structure_decoder": self.decoder,
            "feature_decoder": self.feature_decoder,
        }
        others: dict[str, nn.Module | Tensor] = {}
        for part in (*self.terms, *self.corruptions):
            for name, module in part.modules().items():
                (decoding if name in part.decoder_parts else others)[name] = module
        out = {
            "encoder": count_parameters(self.encoder),
            "decoder": sum(count_parameters(m) for m in decoding.values()),
        }
        out.update({k: count_parameters(m) for k, m in decoding.items() if m is not None})
        out.update({k: count_parameters(m) for k, m in others.items()})
        return out

    # ---------------------------------------------------------------- loss

    @property
    def pair_local(self) -> bool:
        """Whether a step's loss reads only the embeddings of its pairs' end nodes.

        True with a pairwise structure decoder (:func:`pairwise_decoder`), no
        term that reads every node's embedding (feature, degree, adversarial,
        KL, the dense loss) and no corruption that replaces the positives
        (edge masking): the loss is then :meth:`pair_loss` of the step's pairs.
        """
        return (
            pairwise_decoder(self.decoder)
            and not any(t.needs_all_nodes for t in self.terms)
            and not any(c.replaces_positives for c in self.corruptions)
        )

    def loss(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        pos: Tensor,
        neg: Tensor,
        pos_target: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, float]]:
        """The training objective of one step.

        Args:
            x: ``(N, F)`` features.
            edge_index: ``(2, E)`` message-passing graph.
            edge_weight: ``(E,)`` or ``None``.
            pos: ``(2, P)`` positive pairs (replaced by the masked pairs under edge masking).
            neg: ``(2, Q)`` negative pairs.
            pos_target: ``(P,)`` soft targets of ``pos`` (normalised edge weights,
                ``reconstruct_weights``; pairs loss only), or ``None`` for 1.

        Returns:
            The scalar loss and its named parts (floats, for logs).
        """
        step = Step(
            x=x,
            graph=edge_index,
            x_in=x,
            edge_index=edge_index,
            edge_weight=edge_weight,
            pos=pos,
            neg=neg,
            pos_target=pos_target,
        )
        train = self.training
        if train:
            self._corrupt(step)
        if self.variational:
            mu, logstd = self.encoder.stats(step.x_in, step.edge_index, step.edge_weight)  # type: ignore[operator]
            z = mu + torch.randn_like(mu) * logstd.exp() if train else mu
            step.mu, step.logstd = mu, logstd
        elif self._scores_node_subsets(step.pos):
            return self._subset_loss(step)
        else:
            z = self.encoder(step.x_in, step.edge_index, step.edge_weight)

        total, parts = self._sum_terms(z, step)
        return total, {k: float(v.detach()) for k, v in parts.items()}

    # The loops over the parts live in methods of their own: torch.compile runs a frame
    # eagerly when one of its loops holds a graph break (masking does), and ``loss``
    # should stay compiled.

    def _corrupt(self, step: Step) -> None:
        """Each corruption in turn rewrites ``step``."""
        for c in self.corruptions:
            c.corrupt(self, step)

    def _sum_terms(self, z: Tensor, step: Step) -> tuple[Tensor, dict[str, Tensor]]:
        """``(Σ weight · value, {name: value})`` over the terms, in their order."""
        parts: dict[str, Tensor] = {}
        total = step.x.new_zeros(())
        for term in self.terms:
            value = term.value(self, z, step)
            if value is None:
                continue
            parts[term.name] = value
            total = total + term.weight_of(step) * value
        return total, parts

    def _scores_node_subsets(self, pos: Tensor) -> bool:
        """Whether this step can embed just the nodes of its pairs.

        True for an encoder that embeds node subsets on its own (``encode_nodes``)
        with a pair decoder that does not propagate, and no term that needs every
        node's embedding (feature, degree or adversarial terms, the dense loss).
        """
        return (
            getattr(self.encoder, "encodes_subsets", False)
            and self.decoder is not None
            and not getattr(self.decoder, "needs_graph", False)
            and not any(t.needs_all_nodes for t in self.terms)
            and pos.size(1) > 0
        )

    def _subset_loss(self, step: Step) -> tuple[Tensor, dict[str, float]]:
        """Precomputed-propagation encoders (SIGN): embed only the batch's nodes."""
        pos, neg = step.pos, step.neg
        nodes, inv = torch.unique(torch.cat([pos, neg], 1), return_inverse=True)
        z_sub = self.encoder.encode_nodes(step.x_in, step.edge_index, step.edge_weight, nodes)  # type: ignore[operator]
        p = pos.size(1)
        total, rec = self.pair_loss(z_sub, inv[:, :p], inv[:, p:], pos_target=step.pos_target)
        return total, {"structure": float(rec.detach())}
