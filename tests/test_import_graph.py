"""Imports go one way: parse every module of the package (no import is executed) and check

- no cycle among module-level imports (what runs when a module is first imported; imports under
  `if TYPE_CHECKING:` do not run and are left out);
- `messaging` and `credits` never import `integrations` (providers and the payment gateway plug
  into them, not the reverse);
- `core` imports no other clinicrm app (apps register into core's registries instead).

The layering rules, and a second cycle check, count imports anywhere in a module, inside
functions too: an import moved into a function to dodge a cycle is still the dependency (only
AppConfig.ready() imports are exempt: Django runs them once every app is loaded, which is how an
app registers into a lower one). Tests and migrations are not checked (tests assemble the whole
site on purpose).

`KNOWN_*` list what the code still does and should stop doing: a new entry fails, and so does
a listed one that is gone, so the lists only shrink.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "clinicrm"

# (importer app, imported app): never allowed.
FORBIDDEN = [("messaging", "integrations"), ("credits", "integrations")]
# Apps that may import nothing else of the package but themselves.
BOTTOM = ["core"]

KNOWN_FORBIDDEN: set[str] = set()
KNOWN_DODGED_CYCLES = {
    "clinicrm.devtools.fake_evolution.api <-> clinicrm.devtools.fake_evolution.inbound"
    " <-> clinicrm.devtools.fake_evolution.server",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        found[_module_name(path)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run when the module is imported: not in functions, not under
    `if TYPE_CHECKING:` (class bodies, try and if blocks do run)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        elif isinstance(node, ast.If) and _is_type_checking(node):
            yield from _module_level_imports(node.orelse)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    yield from _module_level_imports([child])
                elif isinstance(child, ast.ExceptHandler):
                    yield from _module_level_imports(child.body)


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The package modules an import statement loads (the deepest existing module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            if MODULES[module].name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        # `from package import submodule` loads the submodule; any other name is the package's.
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in node.names
        ]
    for name in names:
        parts = name.split(".")
        while parts and ".".join(parts) not in MODULES:
            parts.pop()
        if parts and parts[0] == PACKAGE and len(parts) > 1:
            yield ".".join(parts)


def _graph(*, module_level: bool, ready_imports: bool = True) -> dict[str, set[str]]:
    """Module -> the package modules it imports: at import time only (module_level), or anywhere
    in the module (with or without the imports of AppConfig.ready())."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if module_level:
            nodes: list[ast.Import | ast.ImportFrom] = list(_module_level_imports(tree.body))
        elif ready_imports or path.name != "apps.py":
            nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
        else:
            nodes = list(_module_level_imports(tree.body))
        graph[module] = {t for node in nodes for t in _targets(module, node) if t != module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
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
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
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
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_parser_sees_the_package():
    assert "clinicrm.core.models" in MODULES and "clinicrm.messaging.models" in MODULES
    graph = _graph(module_level=True)
    assert "clinicrm.core.models" in graph["clinicrm.core.tenancy"]


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def _ratchet(found: set[str], known: set[str], what: str) -> None:
    new, gone = sorted(found - known), sorted(known - found)
    assert not new, f"{what}:\n" + "\n".join(new)
    assert not gone, "fixed, remove from the known list:\n" + "\n".join(gone)


def test_no_import_cycles():
    cycles = _cycles(_graph(module_level=True))
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_cycle_dodged_by_an_import_inside_a_function():
    cycles = {" <-> ".join(c) for c in _cycles(_graph(module_level=False, ready_imports=False))}
    _ratchet(cycles, KNOWN_DODGED_CYCLES, "import cycles through imports inside functions")


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN)
def test_forbidden_directions(importer: str, imported: str):
    graph = _graph(module_level=False)
    bad = {
        f"{module} -> {target}"
        for module, targets in graph.items()
        if _app(module) == importer
        for target in targets
        if _app(target) == imported
    }
    _ratchet(bad, KNOWN_FORBIDDEN, f"{importer} must not import {imported}")


@pytest.mark.parametrize("app", BOTTOM)
def test_bottom_apps_import_no_other_app(app: str):
    graph = _graph(module_level=False)
    bad = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if _app(module) == app
        for target in targets
        if _app(target) != app
    )
    assert not bad, f"{app} must not import other apps:\n" + "\n".join(bad)
