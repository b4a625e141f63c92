"""The layout's rules (DESIGN.md "Layout"): imports run one way, portal <- security <-
accounts <- apikeys, messaging, and no circle of files. Read from the source, so a new
import that breaks them fails here, whichever line it is on."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

APPS = ["portal", "security", "accounts", "apikeys", "messaging"]
# What each app may import of the others.
ALLOWED = {
    "portal": set(),
    "security": {"portal"},
    "accounts": {"portal", "security"},
    "apikeys": {"portal", "security", "accounts"},
    "messaging": {"portal", "security", "accounts"},
}


def _modules() -> dict[str, Path]:
    root = Path(settings.BASE_DIR)
    found = {}
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
    return targets


MODULES = _modules()
GRAPH = {name: {t for t in _imports(name, path) if t in MODULES and t != name}
         for name, path in MODULES.items()}


def test_imports_run_one_way():
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items() for target in targets
        if target.split(".")[0] != name.split(".")[0]
        and target.split(".")[0] not in ALLOWED[name.split(".")[0]]
    )
    assert wrong == []


def test_no_circle_of_files():
    # A module that imports its own package's __init__ is not a circle of files.
    graph = {name: {t for t in targets if not name.startswith(t + ".")}
             for name, targets in GRAPH.items()}
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_the_checks_see_the_apps_and_their_imports():
    assert len(MODULES) > 40 and "apikeys.keycheck" in GRAPH["apikeys.auth"]
