"""Values derived from tensors, kept while the same tensors are passed again.

A model trained for hundreds of epochs on one graph sees the *same*
``edge_index`` and feature tensors every step; what is derived from them once
(the normalised adjacency, a CSR copy of the features) is kept in a
:class:`TensorCache` and recognised by the tensor objects themselves,
unmodified since (their version counters), never by comparing contents.

A copy or pickle of a cache is empty: its entries name the original tensor
objects, which the copy's users never pass, so they could only pin memory.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from torch import Tensor

__all__ = ["TensorCache"]

V = TypeVar("V")


class TensorCache(Generic[V]):
    """The values built for the last ``size`` distinct keys.

    A key is a tuple of tensors (``None`` allowed) and a hashable ``extra``.

    Args:
        size: How many keys to remember (the oldest is forgotten first).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: list[tuple[tuple[Tensor | None, ...], tuple[int, ...], Hashable, V]] = []

    def lookup(
        self, tensors: tuple[Tensor | None, ...], extra: Hashable, build: Callable[[], V]
    ) -> V:
        """The value kept for these tensor objects (unmodified) and ``extra``, else ``build()``."""
        versions = tuple(-1 if t is None else t._version for t in tensors)
        for ts, vs, ex, value in self._entries:
            if (
                len(ts) == len(tensors)
                and all(a is b for a, b in zip(ts, tensors, strict=True))
                and vs == versions
                and ex == extra
            ):
                return value
        value = build()
        self._entries.insert(0, (tensors, versions, extra, value))
        del self._entries[self.size :]
        return value

    def clear(self) -> None:
        """Forget every kept value (and the tensors it names)."""
        self._entries.clear()

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_entries"] = []
        return state
