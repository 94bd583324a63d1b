"""The package's shape: rooms by purpose, small modules, short functions, no import circle.

These are the rules a newcomer relies on to find their way (docs/architecture.md): a
module holds one idea, a function fits on a screen, arrows point inward, and the Twilio
adapter knows only the transport port.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.checkout import ROOT

PACKAGE = ROOT / "responder"
ROOMS = (
    "bot",
    "conversations",
    "counselling",
    "staff",
    "privacy",
    "delivery",
    "reports",
    "channels",
    "store",
    "web",
)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """Return the responder modules path imports, at the top or inside functions."""
    modules = _modules()
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from responder.delivery import sending` imports a module, not a name.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {module for module in found if module in modules and module != name}


def test_every_room_exists_and_the_top_stays_small() -> None:
    for room in ROOMS:
        assert (PACKAGE / room / "__init__.py").is_file(), room
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= 10, top


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_module_over_400_lines(name: str) -> None:
    lines = len(_modules()[name].read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines: split it by idea"


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_function_over_60_lines(name: str) -> None:
    tree = ast.parse(_modules()[name].read_text())
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{name}: {', '.join(long)}"


def test_no_import_circle() -> None:
    graph = {name: _imports(name, path) for name, path in _modules().items()}
    # The app factory in responder/__init__.py wires every room together on purpose; a
    # package importing its own modules is not a circle of ideas either.
    graph["responder"] = set()
    for name in graph:
        graph[name] = {other for other in graph[name] if not other.startswith(name + ".")}
    circles = [component for component in _strongly_connected(graph) if len(component) > 1]
    assert not circles, circles


def test_the_twilio_adapter_imports_only_the_port() -> None:
    path = PACKAGE / "channels" / "twilio.py"
    assert _imports("responder.channels.twilio", path) <= {
        "responder.channels.transport",
        "responder.errors",
    }


def test_the_engine_and_the_port_import_no_framework() -> None:
    for name in ("bot/engine.py", "channels/transport.py"):
        imported = set()
        for node in ast.walk(ast.parse((PACKAGE / name).read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
        assert not imported & {"flask", "sqlalchemy", "twilio"}, name


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    return components
