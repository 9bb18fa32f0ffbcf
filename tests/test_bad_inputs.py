"""The bad-input catalogue: every bad or hostile input a user can produce, one row each.

Each case builds a tiny workspace (a two-domain BEIR corpus and two precomputed-vector
files), breaks one thing, runs the command line, and asserts:

* the exit code (2: bad input; 1: the gate refused; 0: ran, with a warning where named);
* that stderr names what is wrong (every listed fragment appears), with no traceback;
* that nothing outside ``--out`` (and the cache) changed: the user's files are intact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from analysis.cli import main
from analysis.inputs.vectors import write_vector_table
from tests.fakes import CLINICAL_DOCS, LEGAL_DOCS, write_beir

Setup = Callable[[Path], list[str]]


@dataclass(frozen=True)
class Case:
    name: str
    setup: Setup  # builds the broken input in the workspace; returns the CLI arguments
    code: int
    says: tuple[str, ...]  # fragments the message must contain
    outputs: tuple[str, ...] = field(default=("out",))  # paths the command may write


# Workspace ---------------------------------------------------------------------------


def corpus(root: Path, *, qrels: bool = True) -> Path:
    """corpus/legal and corpus/clinical (3 and 2 documents), 2 queries each."""
    folder = root / "corpus"
    for name, docs in (("legal", LEGAL_DOCS), ("clinical", CLINICAL_DOCS)):
        queries = [{"_id": f"q{i}", "text": docs[i]["text"]} for i in range(2)]
        judged = [(f"q{i}", docs[i]["_id"], 1) for i in range(2)] if qrels else ()
        write_beir(folder / name, docs, queries, judged)
    return folder


def vectors(root: Path, name: str = "base", *, scale: float = 1.0, zero: bool = False) -> str:
    """A vectors file covering the workspace corpus (seeded; ``zero``: all-zero rows)."""
    ids = [f"legal/{d['_id']}" for d in LEGAL_DOCS] + [
        f"clinical/{d['_id']}" for d in CLINICAL_DOCS
    ]
    ids += [f"query:{d}/q{i}" for d in ("legal", "clinical") for i in range(2)]
    matrix = np.random.default_rng(len(name)).normal(size=(len(ids), 8)) * scale
    if zero:
        matrix[:] = 0.0
    path = root / f"{name}.parquet"
    write_vector_table(path, ids, matrix.astype(np.float32))
    return f"vectors:{path}"


def compare(root: Path, *extra: str, corpus_path: Path | None = None) -> list[str]:
    folder = corpus_path or (root / "corpus" if (root / "corpus").exists() else corpus(root))
    base = (
        vectors(root, "base")
        if not (root / "base.parquet").exists()
        else f"vectors:{root}/base.parquet"
    )
    cand = (
        vectors(root, "cand")
        if not (root / "cand.parquet").exists()
        else f"vectors:{root}/cand.parquet"
    )
    return [
        "compare",
        "--corpus",
        str(folder),
        "--baseline",
        base,
        "--candidate",
        cand,
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


def policy(root: Path, text: str) -> str:
    path = root / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def earlier_output(root: Path) -> None:
    """A complete earlier comparison in ``out`` (with a projection the next run lacks)."""
    assert main(compare(root, "--projection")) == 0


# Cases -------------------------------------------------------------------------------


def _out_is_users_folder(root: Path) -> list[str]:
    (root / "out").mkdir()
    (root / "out" / "documents.parquet").write_bytes(b"the user's own table")
    return compare(root)


def _out_is_a_file(root: Path) -> list[str]:
    (root / "out").write_text("notes")
    return compare(root)


# Unwritable places sit under a plain file (permissions do not stop root, who runs CI).


def _out_unwritable(root: Path) -> list[str]:
    (root / "blocker").write_text("a file, so nothing can be created under it")
    args = compare(root)
    args[args.index("--out") + 1] = str(root / "blocker" / "out")
    return args


def _cache_unwritable(root: Path) -> list[str]:
    (root / "blocker").write_text("a file, so nothing can be created under it")
    args = compare(root)
    args[args.index("--cache-dir") + 1] = str(root / "blocker" / "cache")
    args[args.index("--baseline") + 1] = "default"  # a model: its texts go to the cache
    return args


def _report_not_html(root: Path) -> list[str]:
    earlier_output(root)
    (root / "notes.txt").write_text("keep me")
    return ["report", "--from", str(root / "out"), "--report", str(root / "notes.txt")]


def _embed_over_existing(root: Path) -> list[str]:
    corpus(root)
    (root / "mine.parquet").write_bytes(b"keep me")
    return [
        "embed",
        "--corpus",
        str(root / "corpus"),
        "--model",
        "default",
        "--out",
        str(root / "mine.parquet"),
    ]


def _empty_policy(root: Path) -> list[str]:
    earlier_output(root)
    return ["check", "--from", str(root / "out"), "--policy", policy(root, "")]


def _policy_only_options(root: Path) -> list[str]:
    earlier_output(root)
    text = "[defaults]\nalpha = 0.01\nonly_when_significant = true\n"
    return ["check", "--from", str(root / "out"), "--policy", policy(root, text)]


def _relevance_policy_without_judgments(root: Path) -> list[str]:
    corpus(root, qrels=False)
    assert main(compare(root)) == 0
    text = "[defaults]\nmax_relative_drop_ndcg = 0.1\n"
    return ["check", "--from", str(root / "out"), "--policy", policy(root, text)]


def _summary_without_quality(root: Path) -> list[str]:
    earlier_output(root)
    path = root / "out" / "summary.json"
    summary = json.loads(path.read_text())
    for section in [summary["overall"], *summary["domains"].values()]:
        section.pop("quality", None)
    path.write_text(json.dumps(summary))
    return ["check", "--from", str(root / "out")]


def _bad_on_missing(root: Path) -> list[str]:
    earlier_output(root)
    text = '[defaults]\nmin_overlap = 0.1\non_missing = "ignore"\n'
    return ["check", "--from", str(root / "out"), "--policy", policy(root, text)]


CASES = [
    Case("out holds the user's files", _out_is_users_folder, 2, ("not a Recall Horizon output",)),
    Case("out is a file", _out_is_a_file, 2, ("is a file, not a folder",)),
    Case("out cannot be written", _out_unwritable, 2, ("--out", "cannot write")),
    Case("cache cannot be written", _cache_unwritable, 2, ("--cache-dir", "cannot write")),
    Case("report file is not html", _report_not_html, 2, ("--report", "ending in .html")),
    Case("embed over an existing file", _embed_over_existing, 2, ("the file exists",), ()),
    Case("empty policy", _empty_policy, 2, ("sets no guardrail",)),
    Case("policy with options only", _policy_only_options, 2, ("sets no guardrail",)),
    Case(
        "relevance guardrail, no judgments",
        _relevance_policy_without_judgments,
        1,
        ("no judged query", "failed closed"),
    ),
    Case("summary without relevance", _summary_without_quality, 1, ("failed closed",)),
    Case("on_missing not fail or skip", _bad_on_missing, 2, ("'on_missing' must be",)),
]


def _snapshot(root: Path, outputs: tuple[str, ...]) -> dict[str, str]:
    """sha256 of every file in the workspace outside the allowed outputs and the cache."""
    allowed = [root / name for name in (*outputs, "cache")]
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not any(path.is_relative_to(a) for a in allowed)
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = case.setup(tmp_path)
    capsys.readouterr()
    before = _snapshot(tmp_path, case.outputs)
    code = main(args)
    captured = capsys.readouterr()
    said = captured.err + captured.out
    assert code == case.code, said
    assert "Traceback" not in said
    for fragment in case.says:
        assert fragment in said, f"{fragment!r} not in: {said}"
    assert _snapshot(tmp_path, case.outputs) == before


def test_an_earlier_output_is_replaced_whole(tmp_path: Path) -> None:
    earlier_output(tmp_path)
    assert (tmp_path / "out" / "projection.parquet").is_file()
    assert main(compare(tmp_path)) == 0  # no projection this time
    assert not (tmp_path / "out" / "projection.parquet").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no leftovers
