"""The layout rule: every studio module imports only from its own layer or the layers below,
and no two modules import each other in a loop — counting imports at any depth, so a
function-level import cannot hide a cycle (docs/ARCHITECTURE.md draws the layers)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STUDIO = Path(__file__).resolve().parents[1] / "studio"

# lowest first; a module's layer is that of the longest prefix listed here
LAYERS: tuple[tuple[str, ...], ...] = (
    ("studio", "studio.errors", "studio.paths", "studio.provenance"),
    ("studio.media", "studio.speech", "studio.face"),
    ("studio.sources", "studio.render"),
    ("studio.synth",),
    ("studio.data",),
    ("studio.eval",),
    ("studio.nn",),
    ("studio.evaluators",),
    ("studio.papers",),
    ("studio.registry",),
    ("studio.train", "studio.bench", "studio.explore", "studio.nerf", "studio.irfd"),
    ("studio.ui", "studio.cli", "studio.__main__"),
)


def layer_of(module: str) -> int:
    best, rank = "", -1
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > len(best):
                best, rank = name, i
    if rank < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS and the map")
    return rank


def modules(root: Path = STUDIO) -> dict[str, Path]:
    out = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Studio modules `name` imports anywhere in its file (module or function level)."""
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                stem = base[: len(base) - node.level + 1]
                module = ".".join(stem + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name and t.startswith("studio"):
                if known[t].name == "__init__.py" and name.startswith(t + "."):
                    continue  # a package's own __init__ is not an import of the layer
                found.add(t)
    return found


def graph(root: Path = STUDIO) -> dict[str, set[str]]:
    known = modules(root)
    return {name: imports_of(name, path, known) for name, path in known.items()}


def upward_imports(g: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
        for a, deps in g.items()
        for b in deps
        if layer_of(b) > layer_of(a)
    )


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected sets of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in g:
        if v not in index:
            visit(v)
    return out


def packages(g: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph of first sub-packages (studio.eval, studio.papers, ...)."""

    def top(m: str) -> str:
        return ".".join(m.split(".")[:2])

    out: dict[str, set[str]] = {}
    for a, deps in g.items():
        out.setdefault(top(a), set()).update(top(b) for b in deps if top(b) != top(a))
    return out


def test_no_module_imports_upwards():
    assert upward_imports(graph()) == []


def test_no_import_cycle_between_modules_or_packages():
    g = graph()
    assert cycles(g) == []
    assert cycles(packages(g)) == []


def test_the_checks_catch_an_upward_import_and_a_cycle(tmp_path):
    pkg = tmp_path / "studio"
    for folder in ("eval", "ui"):
        (pkg / folder).mkdir(parents=True)
        (pkg / folder / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "eval" / "metric.py").write_text("def f():\n    from studio.ui.app import build\n")
    (pkg / "ui" / "app.py").write_text("from studio.eval.metric import f\n\ndef build(): ...\n")
    g = graph(pkg)
    assert upward_imports(g) == ["studio.eval.metric (layer 5) imports studio.ui.app (layer 11)"]
    assert cycles(g) == [["studio.eval.metric", "studio.ui.app"]]


def test_every_module_has_a_layer():
    for name in modules():
        layer_of(name)


@pytest.mark.parametrize("limit", [600])
def test_no_module_is_too_long_to_read(limit):
    lengths = {n: len(p.read_text().splitlines()) for n, p in modules().items()}
    assert max(lengths.values()) <= limit, max(lengths, key=lengths.get)


def test_every_module_imports():
    """A moved or renamed name fails here, not in the middle of a training run."""
    import importlib

    for name in sorted(modules()):
        if not name.endswith("__main__"):
            importlib.import_module(name)
