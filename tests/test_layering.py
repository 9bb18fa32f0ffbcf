"""The layers import downwards only, nothing imports in a circle, and the engine stays light.

Every import statement counts, lazy ones inside functions too: a lazy import still makes
an arrow between modules, only a later one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("analysis", "reporting", "dashboard")
UI_MODULES = {"streamlit", "plotly", "dashboard", "reporting"}
# Lowest first. A module may import its own layer and the layers below it, never above.
LAYERS = (
    ("analysis", "analysis.errors", "analysis.progress", "analysis.settings", "analysis.numbers"),
    ("analysis.inputs", "analysis.nearmiss"),  # what goes in, and its near-miss variants
    ("analysis.llm",),
    ("analysis.retrieval", "analysis.context", "analysis.numba_cache"),
    ("analysis.shards",),  # the per-document passes over document shards, merged exactly
    ("analysis.metrics", "analysis.neighbours"),
    ("analysis.compare",),
    ("analysis.bundle",),
    ("analysis.verdict", "analysis.text_table"),
    ("analysis.tuning",),
    ("analysis.rounds",),  # series of candidates: compared, judged, recorded
    ("analysis.remedies",),  # what to ship instead: remedies as candidates, judged
    ("analysis.pipeline",),  # one entry from a request to a bundle, for both front ends
    ("reporting",),
    ("dashboard", "analysis.cli", "analysis.__main__"),  # the front ends
)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Our modules that ``path`` imports (a ``from package import module`` names the module)."""
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets.add(node.module)
            targets |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {t for t in targets if t in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _layer(module: str) -> int:
    best, depth = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and prefix.count(".") > depth:
                best, depth = index, prefix.count(".")
    assert best >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle (Tarjan's strongly connected components of size > 1)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
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
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_arrow_from_a_lower_layer_back_up():
    upward = [
        f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)})"
        for module, targets in _graph().items()
        for target in targets
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_analysis_never_imports_streamlit_plotly_or_the_dashboard():
    offenders = []
    for path in (ROOT / "analysis").rglob("*.py"):
        if "cli" in path.relative_to(ROOT).parts:
            continue  # the command line is a front end: it may render reports (lazily)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in UI_MODULES]
    assert offenders == []


def test_importing_the_engine_does_not_import_torch_or_umap():
    code = (
        "import sys, analysis.compare, analysis.cli, analysis.inputs.specs,"
        " analysis.bundle.files, analysis.verdict.gate;"
        "print(sorted(m for m in ('torch', 'umap', 'sentence_transformers', 'streamlit')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()
    assert out == "[]"


def test_the_cli_imports_rendering_only_inside_the_commands_that_write_reports():
    for path in (ROOT / "analysis" / "cli").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        names = [a.name for n in top_level if isinstance(n, ast.Import) for a in n.names]
        names += [n.module for n in top_level if isinstance(n, ast.ImportFrom) and n.module]
        assert not [n for n in names if n.split(".")[0] in UI_MODULES], path.name


def test_adding_a_command_touches_its_module_and_the_dispatcher():
    """Every command module is listed once in the dispatcher, and no other command module
    names it (shared arguments live in ``arguments``)."""
    from analysis.cli.main import COMMANDS

    folder = ROOT / "analysis" / "cli"
    names = {p.stem for p in folder.glob("*.py")} - {"__init__", "main", "arguments"}
    assert sorted(c.__name__.rsplit(".", 1)[1] for c in COMMANDS) == sorted(names)
