"""Installable like the tools it sits beside: ``pip install .`` gives a working
``recall-horizon`` command from any folder, with the shipped policy and sample corpus."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from tests.dashboard_fixture import build

ROOT = Path(__file__).resolve().parent.parent
NOT_SHIPPED = (".venv", ".git", "artifacts", "build", "*.egg-info", "__pycache__", ".*_cache")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _pins(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_project_depends_on_exactly_the_pinned_requirements():
    assert PROJECT["project"]["dependencies"] == _pins(ROOT / "requirements.txt")


def test_every_package_of_the_tree_is_installed():
    listed = set(PROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("analysis", "reporting", "dashboard")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found | {"analysis.sample_corpora"} == listed


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the project installed by ``pip install .``; the pinned dependencies
    are found in this test run's environment (a .pth file), so pip resolves them without
    downloading torch again."""
    where = tmp_path_factory.mktemp("venv")
    venv.create(where, with_pip=False)  # this run's pip (and setuptools) installs into it
    python = where / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "outer.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    source = tmp_path_factory.mktemp("source") / "recall-horizon"  # the build writes here
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet"]
        + ["--no-build-isolation", str(source)],
        check=True,
        timeout=600,
    )
    return where


def _run(venv_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_pip_install_gives_a_command_that_compares_and_gates_from_any_folder(installed, tmp_path):
    specs = build(tmp_path / "inputs")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    command = str(installed / "bin" / "recall-horizon")
    where = _run(
        installed,
        str(installed / "bin" / "python"),
        "-c",
        "import analysis, analysis.tuning.demo as d; print(analysis.__file__, d.SAMPLE_CORPUS)",
        cwd=elsewhere,
    )
    module, corpus = where.stdout.split()
    assert Path(module).is_relative_to(installed), "imported from the checkout, not the install"
    assert (Path(corpus) / "corpus.jsonl").is_file()  # the sample corpus is package data
    compared = _run(
        installed,
        command,
        "compare",
        "--corpus",
        specs["corpus"],
        "--baseline",
        specs["baseline"],
        "--candidate",
        specs["candidate"],
        "--out",
        "out",
        "--k",
        "3",
        cwd=elsewhere,
    )
    assert compared.returncode == 0, compared.stderr
    gated = _run(installed, command, "check", "--from", "out", cwd=elsewhere)
    assert gated.returncode in (0, 1), gated.stderr
    assert "default_policy.toml" in gated.stdout  # the shipped policy, from the package
    same = _run(
        installed,
        str(installed / "bin" / "python"),
        "-m",
        "analysis",
        "check",
        "--from",
        "out",
        cwd=elsewhere,
    )
    assert (same.returncode, same.stdout) == (gated.returncode, gated.stdout)


def test_bad_input_through_the_installed_command_exits_2_without_a_traceback(installed, tmp_path):
    ran = _run(
        installed,
        str(installed / "bin" / "recall-horizon"),
        "check",
        "--from",
        "missing",
        cwd=tmp_path,
    )
    assert ran.returncode == 2 and "Traceback" not in ran.stderr


if sys.platform == "win32":  # pragma: no cover - the venv layout above is POSIX
    pytestmark = pytest.mark.skip("POSIX venv layout")
