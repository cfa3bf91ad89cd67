"""The layout is the architecture: services (planner, trainer, selector, scaler) share code only through the
kernel (``zygarde/``), never by importing each other, and no module imports itself back through others.

Modules stay small enough to read at once: none over ``MAX_MODULE_LINES`` lines but the ones named in
``OVERSIZED`` (being split), and that list holds only modules still over.

The imports are read with ``ast`` (every ``import`` statement, at module level or inside a function, under
``TYPE_CHECKING`` or not), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parents[2]
FIRST_PARTY = ("zygarde", "services")
MAX_MODULE_LINES = 300
# modules still over the limit while they are split; one that gets under it leaves the list
OVERSIZED: frozenset[str] = frozenset()


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """Every module a file names in an import, absolute, with the line it is named on."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, node.lineno
            for alias in node.names:  # ``from pkg import module`` names a module too
                yield f"{base}.{alias.name}", node.lineno


def import_graph(root: Path) -> dict[str, dict[str, int]]:
    """First-party module -> the first-party modules it imports (with a line number for the message)."""
    files = {module_name(root, p): p for top in FIRST_PARTY for p in sorted((root / top).rglob("*.py"))}
    graph: dict[str, dict[str, int]] = {}
    for module, path in files.items():
        edges: dict[str, int] = {}
        tree = ast.parse(path.read_text(), filename=str(path))
        for name, line in imported(tree, module, path.name == "__init__.py"):
            if name in files and name != module:
                edges.setdefault(name, line)
        graph[module] = edges
    return graph


def module_lengths(root: Path) -> dict[str, int]:
    """Lines of every first-party module, by its path from ``root`` (``services/planner/api.py``)."""
    return {p.relative_to(root).as_posix(): len(p.read_text().splitlines())
            for top in FIRST_PARTY for p in sorted((root / top).rglob("*.py"))}


def too_long(lengths: dict[str, int], exempt: frozenset[str]) -> tuple[list[str], list[str]]:
    """(modules over the limit and not exempt, with their length; exempt modules no longer over it)."""
    over = sorted(f"{path}: {n} lines" for path, n in lengths.items() if n > MAX_MODULE_LINES and path not in exempt)
    stale = sorted(path for path in exempt if lengths.get(path, 0) <= MAX_MODULE_LINES)
    return over, stale


def service_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "services" and len(parts) > 1 else None


def cross_service_imports(graph: dict[str, dict[str, int]]) -> list[str]:
    found = []
    for module, edges in graph.items():
        own = service_of(module)
        for target, line in edges.items():
            other = service_of(target)
            if own is not None and other is not None and other != own:
                found.append(f"{module}:{line} imports {target}")
    return sorted(found)


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
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
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_service_imports_another() -> None:
    assert cross_service_imports(import_graph(ROOT)) == []


def test_no_import_cycles() -> None:
    assert cycles(import_graph(ROOT)) == []


def test_no_module_over_the_line_limit() -> None:
    over, stale = too_long(module_lengths(ROOT), OVERSIZED)
    assert over == [], f"split these modules to at most {MAX_MODULE_LINES} lines each"
    assert stale == [], "these are no longer over the limit: take them out of OVERSIZED"


def test_the_length_check_sees_what_it_guards(tmp_path: Path) -> None:
    """A module one line over the limit is found, one at the limit is not, and an exemption that is no
    longer needed is reported, for files anywhere under zygarde/ and services/."""
    (tmp_path / "zygarde" / "ml").mkdir(parents=True)
    (tmp_path / "services" / "planner").mkdir(parents=True)
    (tmp_path / "zygarde" / "ml" / "long.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    (tmp_path / "zygarde" / "short.py").write_text("x = 1\n" * MAX_MODULE_LINES)
    (tmp_path / "services" / "planner" / "split.py").write_text("x = 1\n")
    lengths = module_lengths(tmp_path)
    assert lengths["zygarde/ml/long.py"] == MAX_MODULE_LINES + 1
    over, stale = too_long(lengths, frozenset({"services/planner/split.py"}))
    assert over == [f"zygarde/ml/long.py: {MAX_MODULE_LINES + 1} lines"]
    assert stale == ["services/planner/split.py"]
    assert too_long(lengths, frozenset({"zygarde/ml/long.py"})) == ([], [])


def test_the_checks_see_what_they_guard() -> None:
    """A cross-service import and a two-module cycle, spelt the ways the tree spells imports, are found."""
    graph = {"services.selector.selection": {"services.planner.planning": 3, "zygarde.ids": 4},
             "services.planner.planning": {"zygarde.ids": 2}, "zygarde.ids": {},
             "zygarde.a": {"zygarde.b": 1}, "zygarde.b": {"zygarde.a": 9}}
    assert cross_service_imports(graph) == ["services.selector.selection:3 imports services.planner.planning"]
    assert cycles(graph) == [["zygarde.a", "zygarde.b"]]
    tree = ast.parse("from . import b\nfrom ..c import d\nimport services.trainer.train\n"
                     "def f():\n    from services.planner import planning\n")
    names = {name for name, _ in imported(tree, "services.selector.x", False)}
    assert {"services.selector.b", "services.c.d", "services.trainer.train",
            "services.planner.planning"} <= names
