"""The layering of the code: no import cycles, the app dependency direction, no imports hidden in functions."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "articles", "reviewers", "editorial")
# editorial → reviewers → articles, never back (config wires them together and may import any).
MAY_IMPORT = {
    "articles": {"articles"},
    "reviewers": {"reviewers", "articles"},
    "editorial": {"editorial", "reviewers", "articles"},
    "config": set(PACKAGES),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom) -> list[str]:
    """The project modules an `import` or `from … import …` statement loads."""
    if node.level:
        package = module.split(".")
        if MODULES[module].name != "__init__.py":
            package = package[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
    return [t for t in targets if t in MODULES]


def _imports(module: str) -> list[tuple[str, ast.AST, bool]]:
    """(imported project module, node, imported inside a function) for every import in the module."""
    tree = ast.parse(MODULES[module].read_text())
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((a.name, child, in_function) for a in child.names if a.name in MODULES)
            elif isinstance(child, ast.ImportFrom):
                found.extend((target, child, in_function) for target in _resolve(module, child))
            visit(child, inside)

    visit(tree, False)
    return found


GRAPH = {module: {target for target, _, _ in _imports(module) if target != module} for module in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), i.e. import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return components


def test_the_graph_sees_the_project():
    assert len(MODULES) > 50
    assert "editorial.services.workflow" in GRAPH["editorial.api.views.workflow"]
    assert "editorial.notifications" in GRAPH["editorial.apps"]  # `from . import x` resolves to the module


def test_no_import_cycles_counting_imports_inside_functions():
    assert _cycles(GRAPH) == []


def test_a_cycle_is_found_when_there_is_one():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_apps_import_only_in_the_dependency_direction():
    wrong = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if target.split(".")[0] not in MAY_IMPORT[module.split(".")[0]]
    ]
    assert wrong == []


def test_no_project_imports_inside_functions():
    """An import inside a function only hides a cycle; AppConfig.ready() is where Django asks for them."""
    hidden = [
        f"{module}:{node.lineno} imports {target}"
        for module in MODULES
        for target, node, in_function in _imports(module)
        if in_function and not module.endswith(".apps")
    ]
    assert hidden == []
