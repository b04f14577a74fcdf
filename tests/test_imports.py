"""The import graph of ``attnzoo``: no cycles, and the layers of STYLE.md import one way.

Every module is found with :mod:`pkgutil` and parsed (nothing is imported) with :mod:`ast`. Its edges are
every ``import`` in it, at module level and inside functions (a function-level import is a dependency too: it
only hides a cycle until the function runs):

- ``import a.b`` and ``from a import b`` are edges to the module ``a.b`` when it is one, else to ``a``
  (``from pkg import name`` with ``name`` a function or class is an edge to ``pkg``); relative imports are
  resolved against the importing module's package; imports of anything outside ``attnzoo`` are dropped.
- Implicit parent packages: importing ``a.b.c`` first runs ``a`` and ``a.b``. Those are edges too, except
  the packages that contain the importer itself: a module inside ``a.b`` runs only once ``a.b`` has started,
  so ``a.b/__init__`` importing its own submodules, which import siblings, is not a cycle. Without this
  exception every package that re-exports its submodules would be one.
- ``if TYPE_CHECKING:`` blocks never run: they are no edge for cycles, but they are for the layer rule
  (a type-only import of a higher layer still makes the lower one know about it).

A cycle is a strongly connected component of more than one module (or a module importing itself); the
failure names its modules and one closed path through them.
"""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest

import attnzoo

ROOT = "attnzoo"

# functional <- nn <- models <- recipes <- cli; data, train and viz know nothing of particular models.
_FORBIDDEN = {
    "functional": ("nn", "models", "recipes", "cli"),
    "nn": ("models", "recipes", "cli"),
    "models": ("recipes", "cli"),
    "recipes": ("cli",),
    "data": ("nn", "models", "recipes", "cli"),
    "train": ("nn", "models", "recipes", "cli"),
    "viz": ("nn", "models", "recipes", "cli"),
}


def _modules() -> dict[str, tuple[Path, bool]]:
    """``{module name: (source file, is a package)}`` of every module under ``attnzoo``.

    Walks the source tree with :func:`pkgutil.iter_modules` per package folder, importing nothing: a cycle
    that breaks an import must be reported, not hide the modules behind it.
    """
    root = Path(attnzoo.__file__).parent
    found = {ROOT: (root / "__init__.py", True)}
    todo = [(root, ROOT)]
    while todo:
        folder, prefix = todo.pop()
        for info in pkgutil.iter_modules([str(folder)]):
            name = f"{prefix}.{info.name}"
            if info.ispkg:
                found[name] = (folder / info.name / "__init__.py", True)
                todo.append((folder / info.name, name))
            else:
                found[name] = (folder / f"{info.name}.py", False)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, type_only: bool = False):
    """``(node, type_only)`` for every import statement, anywhere in the tree."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_only
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), True)
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), type_only)
        else:
            yield from _imports(node, type_only)


def _target(name: str, modules) -> str | None:
    """The innermost module of ``attnzoo`` that ``name`` (a dotted import path) names."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _edges(name: str, path: Path, is_pkg: bool, modules) -> list[tuple[str, bool]]:
    """``(imported module, type_only)`` for each import of module ``name``, parents included."""
    package = name if is_pkg else name.rpartition(".")[0]
    out = []
    for node, type_only in _imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        for t in targets:
            if not (t == ROOT or t.startswith(ROOT + ".")):
                continue
            mod = _target(t, modules)
            if mod is None:
                continue
            out.append((mod, type_only))
            parts = mod.split(".")
            for k in range(1, len(parts)):  # parents run first, unless they contain the importer
                parent = ".".join(parts[:k])
                if not (name == parent or name.startswith(parent + ".")):
                    out.append((parent, type_only))
    return out


def import_graph(modules=None, *, runtime_only: bool = True) -> dict[str, set[str]]:
    """``{module: modules it imports}`` over ``attnzoo``; ``runtime_only`` drops TYPE_CHECKING imports."""
    modules = _modules() if modules is None else modules
    graph = {}
    for name, (path, is_pkg) in modules.items():
        edges = _edges(name, path, is_pkg, modules)
        graph[name] = {m for m, type_only in edges if not (runtime_only and type_only) and m != name}
        if any(m == name for m, _ in edges):
            graph[name].add(name)  # a module importing itself
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with a cycle (Tarjan's algorithm, iterative), each as a closed path."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in graph.get(v, ()):
                    comps.append(_closed_path(sorted(comp), graph))
    return comps


def _closed_path(comp: list[str], graph) -> list[str]:
    """One cycle through the component's first module (breadth-first inside the component)."""
    members, start = set(comp), comp[0]
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [start, *reversed(path[:-1]), start] if v != start else [start, start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp


def test_every_module_is_found():
    modules = _modules()
    assert "attnzoo.recipes.translate.config" in modules
    assert "attnzoo.train.trainer" in modules
    assert all(path.is_file() for path, _ in modules.values())


def test_no_import_cycle():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles in src/attnzoo:\n" + "\n".join(" -> ".join(c) for c in found)


def test_layers_import_one_way():
    graph = import_graph(runtime_only=False)
    bad = []
    for name, targets in sorted(graph.items()):
        layer = name.split(".")[1] if name.count(".") else None
        for t in sorted(targets):
            other = t.split(".")[1] if t.count(".") else None
            if layer in _FORBIDDEN and other in _FORBIDDEN[layer]:
                bad.append(f"{name} imports {t} ({layer} must not import {other})")
    assert not bad, "layer rule of STYLE.md broken:\n" + "\n".join(bad)


def _write(root: Path, files: dict[str, str]) -> dict[str, tuple[Path, bool]]:
    modules = {}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        name = rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        modules[name] = (path, rel.endswith("__init__.py"))
    return modules


def test_a_planted_cycle_is_found_and_named(tmp_path):
    modules = _write(
        tmp_path,
        {
            "attnzoo/__init__.py": "",
            "attnzoo/pkg/__init__.py": "from attnzoo.pkg.a import f\n",  # own submodule: no cycle
            "attnzoo/pkg/a.py": "from . import b\ndef f():\n    pass\n",
            "attnzoo/pkg/b.py": "def g():\n    from .a import f\n",  # function level still counts
            "attnzoo/other.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from attnzoo.pkg import a\n",
        },
    )
    graph = import_graph(modules)
    assert graph["attnzoo.pkg.a"] == {"attnzoo.pkg.b"}
    assert graph["attnzoo.other"] == set()  # TYPE_CHECKING only
    assert cycles(graph) == [["attnzoo.pkg.a", "attnzoo.pkg.b", "attnzoo.pkg.a"]]
    assert import_graph(modules, runtime_only=False)["attnzoo.other"] == {"attnzoo.pkg", "attnzoo.pkg.a"}


def test_an_import_of_a_package_from_outside_runs_its_init(tmp_path):
    modules = _write(
        tmp_path,
        {
            "attnzoo/__init__.py": "",
            "attnzoo/p/__init__.py": "from attnzoo import q\n",
            "attnzoo/p/x.py": "",
            "attnzoo/q.py": "import attnzoo.p.x\n",  # runs attnzoo.p first, which imports q
        },
    )
    assert cycles(import_graph(modules)) == [["attnzoo.p", "attnzoo.q", "attnzoo.p"]]


@pytest.mark.parametrize("layer", sorted(_FORBIDDEN))
def test_layers_exist(layer):
    assert f"{ROOT}.{layer}" in _modules(), f"STYLE.md names a layer {layer!r} that src/attnzoo lacks"
