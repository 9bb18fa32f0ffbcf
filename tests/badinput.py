"""The harness of the bad-input catalogue (tests/test_bad_*.py).

Each case builds a tiny workspace (a two-domain BEIR corpus and two precomputed-vector
files), breaks one thing, runs the command line and asserts:

* the exit code (2: bad input; 1: the gate refused; 0: ran, with the warning named);
* that the message names what is wrong (every listed fragment appears), with no traceback;
* that nothing outside ``--out`` (and the cache) changed: the user's files are intact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.cli import main
from analysis.inputs.vectors import write_vector_table
from tests.fakes import CLINICAL_DOCS, LEGAL_DOCS, write_beir

Setup = Callable[[Path], list[str]]
DOMAINS = {"legal": LEGAL_DOCS, "clinical": CLINICAL_DOCS}


@dataclass(frozen=True)
class Case:
    name: str
    setup: Setup  # builds the broken input in the workspace; returns the CLI arguments
    code: int
    says: tuple[str, ...]  # fragments the message must contain
    outputs: tuple[str, ...] = field(default=("out",))  # paths the command may write
    verify: Callable[[Path], None] | None = None  # checks of what a successful run wrote


def corpus(root: Path, *, qrels: bool = True) -> Path:
    """corpus/legal and corpus/clinical (3 and 2 documents), 2 queries each."""
    folder = root / "corpus"
    for name, docs in DOMAINS.items():
        queries = [{"_id": f"q{i}", "text": docs[i]["text"]} for i in range(2)]
        judged = [(f"q{i}", docs[i]["_id"], 1) for i in range(2)] if qrels else ()
        write_beir(folder / name, docs, queries, judged)
    return folder


def vector_ids() -> list[str]:
    ids = [f"{name}/{d['_id']}" for name, docs in DOMAINS.items() for d in docs]
    return ids + [f"query:{name}/q{i}" for name in DOMAINS for i in range(2)]


def vectors(root: Path, name: str = "base", *, matrix: np.ndarray | None = None) -> str:
    """A vectors file covering the workspace corpus (seeded, 8 dimensions)."""
    ids = vector_ids()
    if matrix is None:
        matrix = np.random.default_rng(len(name)).normal(size=(len(ids), 8))
    path = root / f"{name}.parquet"
    write_vector_table(path, ids, np.asarray(matrix, dtype=np.float32))
    return f"vectors:{path}"


def compare(root: Path, *extra: str, baseline: str = "", candidate: str = "") -> list[str]:
    """compare arguments on the workspace (built on first use), tiny-corpus settings."""
    folder = root / "corpus" if (root / "corpus").exists() else corpus(root)
    return [
        "compare",
        "--corpus",
        str(folder),
        "--baseline",
        baseline or _existing(root, "base"),
        "--candidate",
        candidate or _existing(root, "cand"),
        "--out",
        str(root / "out"),
        "--k",
        "3",
        "--cache-dir",
        str(root / "cache"),
        "--neighbours",
        "2",
        *extra,
    ]


def _existing(root: Path, name: str) -> str:
    path = root / f"{name}.parquet"
    return f"vectors:{path}" if path.exists() else vectors(root, name)


def replace(args: list[str], option: str, value: str) -> list[str]:
    args = list(args)
    args[args.index(option) + 1] = value
    return args


def policy(root: Path, text: str) -> str:
    path = root / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def earlier_output(root: Path, *extra: str) -> Path:
    """A complete comparison in ``out``."""
    assert main(compare(root, *extra)) == 0
    return root / "out"


def edit_summary(root: Path, change: Callable[[dict[str, Any]], Any]) -> list[str]:
    """An earlier output whose summary.json is changed (``change`` returns the new JSON)."""
    out = earlier_output(root)
    path = out / "summary.json"
    summary = json.loads(path.read_text())
    result = change(summary)
    path.write_text(json.dumps(summary if result is None else result))
    return ["check", "--from", str(out)]


def corpus_line(root: Path, domain: str, line: str) -> None:
    """Append one raw line to a domain's corpus.jsonl."""
    path = corpus(root) / domain / "corpus.jsonl"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _snapshot(root: Path, outputs: tuple[str, ...]) -> dict[str, str]:
    """sha256 of every file in the workspace outside the allowed outputs and the cache."""
    allowed = [root / name for name in (*outputs, "cache")]
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not any(path.is_relative_to(a) for a in allowed)
    }


def run_case(case: Case, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = case.setup(root)
    capsys.readouterr()
    before = _snapshot(root, case.outputs)
    try:
        code = main(args)
    except SystemExit as exit_:  # argparse rejects a bad option value this way
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    said = captured.err + captured.out
    assert code == case.code, said
    assert "Traceback" not in said
    for fragment in case.says:
        assert fragment in said, f"{fragment!r} not in: {said}"
    assert _snapshot(root, case.outputs) == before, "a file outside --out changed"
    if case.verify is not None:
        case.verify(root)


def summary_of(root: Path) -> dict[str, Any]:
    return json.loads((root / "out" / "summary.json").read_text())
