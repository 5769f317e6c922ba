"""The package's import graph: no cycles, data flowing one way.

Every ``import`` statement in ``graphae/`` counts, at module level or inside a
function; an import under ``if TYPE_CHECKING:`` does not (it never runs). The
graph is read from the source with :mod:`ast`, so the test imports nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "graphae"


def module_name(path: Path) -> str:
    """``graphae/data/io/csv.py`` -> ``graphae.data.io.csv`` (packages name their ``__init__``)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The graphae modules ``path`` imports (resolved to the most specific module)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def resolve(target: str) -> str | None:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking_only(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("graphae"):
                        hit = resolve(alias.name)
                        if hit:
                            found.add(hit)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    source = ".".join(base + ([child.module] if child.module else []))
                else:
                    source = child.module or ""
                if not source.startswith("graphae"):
                    continue
                for alias in child.names:
                    hit = resolve(f"{source}.{alias.name}")
                    if hit:
                        found.add(hit)
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imported_modules(p, modules) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or ``None``.

    A package's ``__init__`` importing its own submodules is how a package
    exposes its API, not a cycle: the edge from a submodule to its parent
    package is followed, the parent's edges back into its own submodules are not.
    """
    state: dict[str, int] = {}
    stack: list[str] = []

    def edges(node: str) -> set[str]:
        return {m for m in graph.get(node, ()) if not m.startswith(node + ".")}

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges(node)):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                cycle = dfs(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = dfs(node)
            if cycle:
                return cycle
    return None


def test_the_checker_finds_a_cycle_and_ignores_type_checking(tmp_path: Path) -> None:
    graph = {"graphae.a": {"graphae.b"}, "graphae.b": {"graphae.c"}, "graphae.c": {"graphae.a"}}
    assert find_cycle(graph) == ["graphae.a", "graphae.b", "graphae.c", "graphae.a"]
    assert find_cycle({"graphae.a": {"graphae.b"}, "graphae.b": set()}) is None
    source = tmp_path / "graphae" / "x.py"
    source.parent.mkdir()
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from graphae.y import Y\n"
        "def f():\n    from graphae.z import Z\n"
    )
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "graphae"
    try:
        found = imported_modules(source, {"graphae.x", "graphae.y", "graphae.z"})
    finally:
        PACKAGE = saved
    assert found == {"graphae.z"}


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ("graphae.data", "graphae.nn"),
        ("graphae.nn", "graphae.models"),
        ("graphae.models", "graphae.training"),
        ("graphae.training", "graphae.pipeline"),
        ("graphae.evaluation", "graphae.pipeline"),
        ("graphae.config", "graphae.pipeline"),
    ],
)
def test_data_flows_one_way(lower: str, upper: str) -> None:
    """No module of a lower layer imports a module of a higher one."""
    graph = import_graph()
    wrong = sorted(
        f"{src} -> {dst}"
        for src, dsts in graph.items()
        if src == lower or src.startswith(lower + ".")
        for dst in dsts
        if dst == upper or dst.startswith(upper + ".")
    )
    assert not wrong, wrong
