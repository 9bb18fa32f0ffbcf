"""The engine never imports the UI, and importing it stays cheap."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "analysis"
UI_MODULES = {"streamlit", "plotly", "dashboard", "reporting"}


def test_analysis_never_imports_streamlit_plotly_or_the_dashboard():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        if path.name == "cli.py":
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
        " analysis.bundle.files;"
        "print(sorted(m for m in ('torch', 'umap', 'sentence_transformers', 'streamlit')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ENGINE.parent, check=True
    ).stdout.strip()
    assert out == "[]"


def test_the_cli_imports_rendering_only_inside_the_report_command():
    tree = ast.parse((ENGINE / "cli.py").read_text(encoding="utf-8"))
    top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    names = [a.name for n in top_level if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in top_level if isinstance(n, ast.ImportFrom) and n.module]
    assert not [n for n in names if n.split(".")[0] in UI_MODULES]
