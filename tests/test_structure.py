"""The layout holds: no import circle in planning/, the sweep above scenarios, small modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PLANNING = Path(__file__).resolve().parent.parent / "planning"


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PLANNING.rglob("*.py")):
        parts = p.relative_to(PLANNING.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def _parents(name: str) -> list[str]:
    """``a.b.c`` -> [``a.b``, ``a``]: importing a submodule runs its packages' ``__init__``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def import_graph(toplevel_only: bool) -> dict[str, set[str]]:
    """Module -> planning modules it imports (at module level, or anywhere when not
    ``toplevel_only``), with the packages whose ``__init__`` such an import runs."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = tree.body if toplevel_only else list(ast.walk(tree))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets.add(base)
                targets |= {f"{base}.{a.name}" for a in node.names}
        found = {t for t in targets if t in mods}
        found |= {p for t in found for p in _parents(t) if p in mods}
        # a package may import its own submodules; only a module importing back up is a circle
        graph[name] = {t for t in found if t != name and not name.startswith(t + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_level_import_circle():
    assert cycles(import_graph(toplevel_only=True)) == []


#: Modules of the structure issue (scenarios, sweep, the service kinds, the catalogue, capacity):
#: no circle through them even counting imports inside functions (the sweep imports scenarios,
#: never the other way round; the kinds import only planning.sourced and planning.errors).
LAYER = (
    "planning.scenarios",
    "planning.scenario",
    "planning.sweep",
    "planning.services",
    "planning.parameters",
    "planning.capacity",
    "planning.sourced",
)


def test_no_circle_through_scenarios_and_sweep_even_lazily():
    graph = import_graph(toplevel_only=False)
    bad = [c for c in cycles(graph) if any(m.startswith(LAYER) for m in c)]
    assert bad == []
    scen = [m for m in graph if m.startswith(("planning.scenarios", "planning.scenario"))]
    assert scen and not any(t.startswith("planning.sweep") for m in scen for t in graph[m])


def test_service_kinds_depend_on_nothing_above_them():
    graph = import_graph(toplevel_only=False)
    kinds = [m for m in graph if m.startswith("planning.services")]
    assert kinds
    allowed = ("planning.services", "planning.sourced", "planning.errors")
    assert {t for m in kinds for t in graph[m] if not t.startswith(allowed)} == set()


def test_importing_scenarios_does_not_import_the_sweep():
    code = (
        "import sys; from planning import scenarios; "
        "assert 'planning.sweep' not in sys.modules, 'planning.sweep imported'; "
        "assert hasattr(scenarios, 'run')"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_scenarios_sweep_points_to_the_new_place():
    from planning import scenarios

    with pytest.raises(AttributeError, match="from planning.sweep import sweep"):
        scenarios.sweep  # noqa: B018


#: Modules of the structure issue (16) and the most they may grow to.
MAX_LINES = 800
OWNED = (
    "scenarios.py",
    "scenario",
    "sweep",
    "capacity.py",
    "parameters.py",
    "sourced.py",
    "services",
    "explore",  # the notebook's engine (issue 17)
)


@pytest.mark.parametrize("part", OWNED)
def test_modules_are_small(part):
    target = PLANNING / part
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    assert files
    long = {
        str(f.relative_to(PLANNING)): n
        for f in files
        if (n := len(f.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
