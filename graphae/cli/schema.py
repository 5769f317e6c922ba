"""The fields of :class:`~graphae.config.RunConfig`, as the command line needs them.

The command line builds ``graphae train``'s options and ``--help`` from every
``RunConfig`` field: its name, type, default, one-line help (the class
docstring's ``Attributes:`` entry) and, for enumerated fields, the valid values
(:data:`graphae.config.CHOICES`). :mod:`graphae.config` needs no torch, so this
costs nothing on ``graphae --help``. A field added to ``RunConfig`` gets its
``graphae train`` flag with no other change.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["FieldSpec", "default_of", "run_config_fields"]


@dataclass(frozen=True)
class FieldSpec:
    """One ``RunConfig`` field.

    Attributes:
        name: Field name.
        annotation: Its annotation as written, e.g. ``"int | None"``.
        default: Default value (``{}`` for ``default_factory=dict``).
        help: The field's docstring entry, on one line.
        choices: Valid values of an enumerated field, else ``None``.
    """

    name: str
    annotation: str
    default: Any
    help: str
    choices: tuple[str, ...] | None = None


def _attribute_help(doc: str) -> dict[str, str]:
    """``Attributes:`` entries of a Google-style docstring, each joined onto one line."""
    out: dict[str, str] = {}
    lines = doc.split("\n")
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Attributes:")
    except StopIteration:
        return out
    indent = None
    current = None
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        width = len(line) - len(line.lstrip())
        if indent is None:
            indent = width
        if width < indent:
            break
        m = re.match(r"(\w+(?:, \w+)*):\s*(.*)", line.strip())
        if width == indent and m:
            current = m.group(1).split(", ")
            for name in current:
                out[name] = m.group(2)
        elif current:
            for name in current:
                out[name] += " " + line.strip()
    return {k: _plain(v) for k, v in out.items()}


def _plain(text: str) -> str:
    """Docstring markup to plain help text."""
    text = re.sub(r":\w+:`~?([^`]+)`", lambda m: m.group(1).split(".")[-1], text)
    return text.replace("``", "").strip()


@functools.cache
def run_config_fields() -> tuple[FieldSpec, ...]:
    """Every ``RunConfig`` field, in declaration order."""
    from graphae.config import CHOICES, RunConfig

    helps = _attribute_help(RunConfig.__doc__ or "")
    out = []
    for f in dataclasses.fields(RunConfig):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        out.append(
            FieldSpec(f.name, annotation, default, helps.get(f.name, ""), CHOICES.get(f.name))
        )
    return tuple(out)


def default_of(name: str) -> Any:
    """``RunConfig``'s default of field ``name`` (for a command's option that sets that field).

    Raises:
        KeyError: When ``RunConfig`` has no such field.
    """
    for spec in run_config_fields():
        if spec.name == name:
            return spec.default
    raise KeyError(name)
