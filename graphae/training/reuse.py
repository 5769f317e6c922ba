"""Score epoch ``e`` from epoch ``e + 1``'s first training forward instead of encoding twice.

Where the encoder's training-mode forward is the same function as its
eval-mode forward (no dropout, batch statistics, input masking or noise,
autocast, compile or sharding), the embeddings of the model after epoch ``e``
are exactly what epoch ``e + 1``'s first training step computes before its
optimiser step. :class:`ForwardReuse` lets the training loop postpone epoch
``e``'s evaluation to that forward; the first such evaluation is checked bit
for bit against a plain eval-mode encode and the reuse is switched off if
they differ. The loop calls it at two points: :meth:`ForwardReuse.postpone`
when an epoch is due for evaluation, :meth:`ForwardReuse.forward` around each
training forward (which hands back the evaluation that waited for it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import Tensor, nn

__all__ = ["ForwardCapture", "ForwardReuse", "forward_reusable"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: An evaluation waiting for the next forward: ``(epoch, record)``.
Pending = tuple[int, dict[str, float]]


def _has_train_only_behaviour(module: nn.Module) -> bool:
    """Whether some submodule computes differently in training mode (dropout, batch stats)."""
    for m in module.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0:
            return True
        if isinstance(m, nn.modules.batchnorm._NormBase) and m.track_running_stats:
            return True
        for attr in ("dropout", "edge_dropout", "input_dropout", "drop_edge"):
            value = getattr(m, attr, 0)
            if isinstance(value, float | int) and not isinstance(value, bool) and value > 0:
                return True
    return False


def forward_reusable(model: nn.Module, config: Any, sharded: bool) -> bool:
    """Whether a training step's encoder forward can stand in for the eval-mode encode.

    Args:
        model: The :class:`~graphae.models.GraphAutoEncoder`.
        config: Its :class:`~graphae.config.RunConfig` (or anything with its fields).
        sharded: Whether training is distributed.

    Returns:
        False for anything that makes the training forward differ from
        ``model.eval(); model.encode(x, ...)``: compile, autocast (bf16),
        distributed training, variational encoders, input/edge masking or
        noise, dropout and batch statistics anywhere in the encoder.
    """
    if sharded or config.compile or config.precision not in ("fp32", "tf32"):
        return False
    if config.variational or config.objective != "reconstruction":
        return False
    noisy = (config.edge_mask, config.edge_dropout, config.feature_mask, config.feature_noise)
    if any(v > 0 for v in noisy) or config.dropout > 0 or config.mask_target_edges:
        return False
    encoder = getattr(model, "encoder", None)
    return isinstance(encoder, nn.Module) and not _has_train_only_behaviour(encoder)


class ForwardCapture:
    """Keeps the encoder's output of the next call on exactly ``(x, edge_index, edge_weight)``.

    A forward hook on ``encoder``; only while armed, and only for a call whose
    inputs ARE the given tensors (so a masked or noisy view never counts).

    Args:
        encoder: The encoder module.
        x: ``(N, F)`` the features training passes in.
        edge_index: ``(2, E)`` the message-passing graph.
        edge_weight: ``(E,)`` or ``None``.
    """

    def __init__(
        self, encoder: nn.Module, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None
    ) -> None:
        self._inputs = (x, edge_index, edge_weight)
        self._armed = False
        self._out: Tensor | None = None
        self._handle = encoder.register_forward_hook(self._hook, with_kwargs=True)

    def _hook(self, module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        if not self._armed or self._out is not None or not isinstance(output, Tensor):
            return
        given = (
            list(args) + [kwargs.get(k) for k in ("x", "edge_index", "edge_weight")][len(args) :]
        )
        given += [None] * (3 - len(given))
        if all(a is b for a, b in zip(given[:3], self._inputs, strict=True)):
            self._out = output.detach()

    def arm(self) -> None:
        """Capture the next matching call."""
        self._armed, self._out = True, None

    def take(self) -> Tensor | None:
        """The captured ``(N, d)`` embeddings (``None`` if no matching call); disarms."""
        out, self._out, self._armed = self._out, None, False
        return out

    def remove(self) -> None:
        """Remove the hook."""
        self._handle.remove()


class ForwardReuse:
    """Postpones an epoch's evaluation to the next training forward and hands it back there.

    Args:
        model: The model; ``model.encoder`` is watched and ``model.encode``
            gives the reference embeddings of the bit-for-bit check.
        x: ``(N, F)`` the features training passes in.
        edge_index: ``(2, E)`` the message-passing graph.
        edge_weight: ``(E,)`` or ``None``.
        enabled: Whether to reuse at all (:func:`forward_reusable`); when
            False, :meth:`postpone` always declines and :meth:`forward` just
            runs the forward.
    """

    def __init__(
        self,
        model: nn.Module,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None,
        enabled: bool = True,
    ) -> None:
        self.model = model
        self._inputs = (x, edge_index, edge_weight)
        self._capture = (
            ForwardCapture(model.encoder, x, edge_index, edge_weight)  # type: ignore[arg-type]
            if enabled
            else None
        )
        self._pending: Pending | None = None
        self._verified = False

    def postpone(self, epoch: int, record: dict[str, float]) -> bool:
        """Leave the evaluation of ``epoch`` (into ``record``) to the next training forward.

        Returns:
            True when postponed; False when reuse is off (evaluate now).
        """
        if self._capture is None:
            return False
        self._pending = (epoch, record)
        return True

    def waits_for(self, record: dict[str, float]) -> bool:
        """Whether ``record``'s evaluation is postponed (so its record is not complete yet)."""
        return self._pending is not None and self._pending[1] is record

    def forward(
        self, compute: Callable[[], T]
    ) -> tuple[T, tuple[int, dict[str, float], Tensor] | None]:
        """Run a training forward ``compute()``; capture the embeddings a postponed evaluation needs.

        Call it before the step's optimiser update: the parameters are still
        those of the postponed epoch.

        Returns:
            ``(compute(), waiting)`` where ``waiting`` is ``(epoch, record, z)``
            of the evaluation postponed to this forward, ``z`` ``(N, d)`` the
            model's eval-mode embeddings after that epoch; ``None`` when none waits.
        """
        if self._pending is None:
            return compute(), None
        self._capture.arm()  # type: ignore[union-attr]
        out = compute()
        z = self._capture.take()  # type: ignore[union-attr]
        if z is None or not self._verified:
            z = self._checked(z)
        (epoch, record), self._pending = self._pending, None
        return out, (epoch, record, z)

    def _checked(self, captured: Tensor | None) -> Tensor:
        """The eval-mode encode; reuse is switched off when ``captured`` differs from it."""
        self.model.eval()
        with torch.no_grad():
            z = self.model.encode(*self._inputs)  # type: ignore[operator]
        if captured is None or not torch.equal(captured, z):
            log.info("training forward differs from the eval encode; not reused")
            self._capture.remove()  # type: ignore[union-attr]
            self._capture = None
        self._verified = True
        return z

    def close(self) -> None:
        """Remove the hook from the encoder."""
        if self._capture is not None:
            self._capture.remove()
            self._capture = None
