"""The project's imports form a tree: no module reaches itself through its imports (counting
imports made inside functions, which only postpone a cycle), production code never imports
the tests, and the tests never import the benchmarks (the benchmarks may use the tests')."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("events", "service", "projections")
CHECKED = (*PRODUCTION, "bench")


def module_files(packages: tuple[str, ...]) -> dict[str, Path]:
    """Each module of these packages by dotted name (a package by its own name)."""
    found = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The project modules one module imports, anywhere in it. `from a import b` imports the
    module a.b when there is one, otherwise a; relative imports are resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in known else base


def import_graph(packages: tuple[str, ...], targets: set[str]) -> dict[str, set[str]]:
    """Module -> the modules among `targets` (and the checked ones) it imports."""
    files = module_files(packages)
    known = set(files) | targets
    return {
        name: {m for m in imported(name, path, known) if m in known} for name, path in files.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, and self-imports
    (Tarjan's algorithm, iterative: the graph has hundreds of modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    found.append(sorted(component))
    return found


def test_the_project_modules_import_each_other_without_a_cycle() -> None:
    graph = import_graph(CHECKED, set())
    assert len(graph) > 50  # the walk found the project
    found = cycles(graph)
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_production_code_never_imports_the_tests_or_the_benchmarks() -> None:
    tests = set(module_files(("tests", "bench")))
    graph = import_graph(PRODUCTION, tests)
    wrong = sorted(f"{m} imports {t}" for m, ts in graph.items() for t in ts if t in tests)
    assert not wrong, wrong


def test_the_tests_never_import_the_benchmarks() -> None:
    benchmarks = set(module_files(("bench",)))
    graph = import_graph(("tests",), benchmarks)
    wrong = sorted(f"{m} imports {b}" for m, bs in graph.items() for b in bs if b in benchmarks)
    assert not wrong, wrong
