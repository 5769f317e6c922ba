"""A small name -> factory registry used for encoders, decoders and datasets.

Names are lower snake case. ``make`` with an unknown name raises ``ValueError``
(a :class:`~graphae.errors.GraphaeError`) that lists the valid names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from graphae.errors import GraphaeError

T = TypeVar("T")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Registry(Generic[T]):
    """Maps lower snake case names to factories returning ``T``.

    Args:
        kind: What is registered (``"encoder"``, ``"decoder"``...), used in errors.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}
        self._docs: dict[str, str] = {}

    def register(
        self, name: str, doc: str | None = None
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering ``factory`` under ``name``.

        Args:
            name: Lower snake case key.
            doc: One-line description for ``graphae ls``; defaults to the
                factory's first docstring line.
        """
        if not _NAME.match(name):
            raise ValueError(f"{self.kind} name {name!r} must be lower snake case")

        def deco(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._factories[name] = factory
            text = doc or (factory.__doc__ or "").strip().splitlines()[0:1]
            self._docs[name] = text if isinstance(text, str) else (text[0] if text else "")
            return factory

        return deco

    def get(self, name: str) -> Callable[..., T]:
        """Return the factory registered under ``name``.

        Raises:
            GraphaeError: (a ``ValueError``) when ``name`` is unknown, listing valid names.
        """
        key = name.strip().lower().replace("-", "_")
        if key not in self._factories:
            raise GraphaeError(
                f"unknown {self.kind} {name!r}; valid {self.kind}s: {', '.join(self.names())}"
            )
        return self._factories[key]

    def make(self, name: str, *args: object, **kwargs: object) -> T:
        """Build the object registered under ``name``."""
        return self.get(name)(*args, **kwargs)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def describe(self, name: str) -> str:
        """One-line description of ``name``."""
        self.get(name)
        return self._docs[name.strip().lower().replace("-", "_")]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().lower().replace("-", "_") in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
