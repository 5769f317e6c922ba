"""A small name -> factory registry used for encoders, decoders and datasets.

Names are lower snake case. ``make`` with an unknown name raises ``ValueError``
(a :class:`~graphae.errors.GraphaeError`) that lists the valid names.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from graphae.errors import GraphaeError

T = TypeVar("T")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def did_you_mean(word: str, valid: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest valid name to a misspelt ``word``, else ``""``.

    Args:
        word: What the user wrote.
        valid: The names it should have been one of.
    """
    close = difflib.get_close_matches(word, list(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


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
                f"unknown {self.kind} {name!r}{did_you_mean(key, self.names())}; "
                f"valid {self.kind}s: {', '.join(self.names())}"
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


#: What an option's annotation (a string under ``from __future__ import annotations``)
#: accepts, per plain type name; an annotation naming anything else is not checked.
_ACCEPTS: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
    "None": (type(None),),
}
_WORDS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false"}


def check_option_types(
    kind: str, name: str, params: Mapping[str, inspect.Parameter], options: Mapping[str, Any]
) -> None:
    """:func:`check_option_type` for every option ``params`` (a factory's signature
    parameters) declares; options it does not declare are the caller's to refuse."""
    for key, value in options.items():
        if key in params:
            check_option_type(kind, name, key, value, params[key])


def check_option_type(kind: str, name: str, key: str, value: Any, param: inspect.Parameter) -> None:
    """Refuse an option value of the wrong type before the factory trips over it.

    ``depth=three`` would otherwise fail deep inside a constructor with a
    ``TypeError`` (``'<' not supported between 'str' and 'int'``).

    Raises:
        GraphaeError: Naming the option, the expected type and the value given.
    """
    ann = param.annotation
    if isinstance(ann, type):
        names = [ann.__name__]
    elif isinstance(ann, str):
        names = [part.strip() for part in ann.split("|")]
    elif param.default is not inspect.Parameter.empty and param.default is not None:
        names = [type(param.default).__name__]
    else:
        return
    if not names or any(n not in _ACCEPTS for n in names):
        return  # a richer annotation (a list, a callable): the factory checks it
    allowed = tuple(t for n in names for t in _ACCEPTS[n])
    is_bool = isinstance(value, bool)
    if isinstance(value, allowed) and (not is_bool or bool in allowed):
        return
    want = " or ".join(_WORDS.get(n, "null") for n in names)
    raise GraphaeError(f"{kind} {name!r}: option {key!r} must be {want}, got {value!r}")
