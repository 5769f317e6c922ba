"""The fields of :class:`~graphae.train.RunConfig`, read without importing torch.

The command line needs every ``RunConfig`` field -- its name, type, default,
one-line help and, for enumerated fields, the valid values -- to build
``graphae train``'s options and ``--help``. Importing :mod:`graphae.train` for
that would load torch (seconds) on every ``graphae --help``, so this module reads
the same facts from the source of ``graphae/train.py`` with :mod:`ast`:

* fields, annotations and defaults from the ``RunConfig`` class body
  (``field(default_factory=dict)`` reads as ``{}``);
* help from the ``Attributes:`` section of its docstring;
* choices from the validation in ``__post_init__``: an entry
  ``"name": self.name in (...)`` of its ``checks`` dict, where ``(...)`` is a
  literal tuple or a constant imported from another graphae module.

A field added to ``RunConfig`` therefore gets its ``graphae train`` flag with no
other change. When the source cannot be read (a frozen install), the facts come
from the imported class instead (:func:`_from_class`); ``tests/test_config.py``
checks that both agree.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FieldSpec", "run_config_fields"]

_PKG = Path(__file__).resolve().parent


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


def _module_tree(module: str) -> ast.Module | None:
    rel = module.removeprefix("graphae").lstrip(".").replace(".", "/")
    for path in (_PKG / f"{rel}.py", _PKG / rel / "__init__.py"):
        if rel and path.is_file():
            return ast.parse(path.read_text(encoding="utf-8"))
    return None


def _resolve_name(tree: ast.Module, name: str, depth: int = 0) -> Any:
    """A module-level constant ``name`` of ``tree``, following ``from graphae.x import name``."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == name:
            return ast.literal_eval(node.value) if node.value is not None else None
        if (
            isinstance(node, ast.ImportFrom)
            and depth < 3
            and (node.module or "").startswith("graphae")
            and any((a.asname or a.name) == name for a in node.names)
        ):
            real = next(a.name for a in node.names if (a.asname or a.name) == name)
            other = _module_tree(node.module or "")
            if other is not None:
                return _resolve_name(other, real, depth + 1)
    raise LookupError(name)


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


def _choices(tree: ast.Module, post_init: ast.FunctionDef) -> dict[str, tuple[str, ...]]:
    """``{"field": choices}`` from ``"field": self.field in (...)`` entries of ``checks``."""
    out: dict[str, tuple[str, ...]] = {}
    for node in ast.walk(post_init):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            if not (
                isinstance(value, ast.Compare)
                and len(value.ops) == 1
                and isinstance(value.ops[0], ast.In)
                and isinstance(value.left, ast.Attribute)
                and value.left.attr == key.value
            ):
                continue
            target = value.comparators[0]
            try:
                if isinstance(target, ast.Name):
                    vals = _resolve_name(tree, target.id)
                else:
                    vals = ast.literal_eval(target)
            except (LookupError, ValueError, SyntaxError):
                continue
            if isinstance(vals, tuple | list | set | frozenset) and all(
                isinstance(v, str) for v in vals
            ):
                out[key.value] = tuple(vals)
    return out


def _default(node: ast.expr | None) -> Any:
    if node is None:
        raise ValueError("RunConfig field without a default")
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "field":
        for kw in node.keywords:
            if kw.arg == "default_factory":
                factory = getattr(kw.value, "id", None)
                return {"dict": {}, "list": [], "tuple": ()}[factory]  # type: ignore[index]
            if kw.arg == "default":
                return ast.literal_eval(kw.value)
        raise ValueError("field() without a default")
    return ast.literal_eval(node)


def _from_source() -> list[FieldSpec]:
    tree = _module_tree("graphae.train")
    if tree is None:
        raise FileNotFoundError("graphae/train.py")
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "RunConfig")
    helps = _attribute_help(ast.get_docstring(cls) or "")
    post = next(
        (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__post_init__"),
        None,
    )
    choices = _choices(tree, post) if post is not None else {}
    out = []
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
            out.append(
                FieldSpec(
                    name=name,
                    annotation=ast.unparse(node.annotation),
                    default=_default(node.value),
                    help=helps.get(name, ""),
                    choices=choices.get(name),
                )
            )
    return out


def _from_class() -> list[FieldSpec]:
    """The same facts from the imported class (imports torch); choices are not known."""
    import dataclasses

    from graphae.train import RunConfig

    helps = _attribute_help(RunConfig.__doc__ or "")
    out = []
    for f in dataclasses.fields(RunConfig):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        out.append(FieldSpec(f.name, str(f.type), default, helps.get(f.name, "")))
    return out


@functools.cache
def run_config_fields() -> tuple[FieldSpec, ...]:
    """Every ``RunConfig`` field, in declaration order."""
    try:
        return tuple(_from_source())
    except (OSError, SyntaxError, ValueError, StopIteration, KeyError):
        return tuple(_from_class())
