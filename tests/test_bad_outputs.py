"""Bad-input catalogue: where results are written (--out, the cache, --report, embed --out)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.cli import main
from tests.badinput import Case, compare, corpus, earlier_output, replace, run_case

# Unwritable places sit under a plain file: permissions do not stop root, who runs CI.
BLOCKER = "a file, so nothing can be created under it"


def _out_is_users_folder(root: Path) -> list[str]:
    (root / "out").mkdir()
    (root / "out" / "documents.parquet").write_bytes(b"the user's own table")
    return compare(root)


def _out_is_a_file(root: Path) -> list[str]:
    (root / "out").write_text("notes")
    return compare(root)


def _out_unwritable(root: Path) -> list[str]:
    (root / "blocker").write_text(BLOCKER)
    return replace(compare(root), "--out", str(root / "blocker" / "out"))


def _cache_unwritable(root: Path) -> list[str]:
    (root / "blocker").write_text(BLOCKER)
    args = replace(compare(root), "--cache-dir", str(root / "blocker" / "cache"))
    return replace(args, "--baseline", "default")  # a model: its texts go to the cache


def _report_not_html(root: Path) -> list[str]:
    out = earlier_output(root)
    (root / "notes.txt").write_text("keep me")
    return ["report", "--from", str(out), "--report", str(root / "notes.txt")]


def _report_is_a_folder(root: Path) -> list[str]:
    out = earlier_output(root)
    (root / "report.html").mkdir()
    return ["report", "--from", str(out), "--report", str(root / "report.html")]


def _embed(root: Path, out: str) -> list[str]:
    return ["embed", "--corpus", str(corpus(root)), "--model", "default", "--out", out]


def _embed_over_existing(root: Path) -> list[str]:
    (root / "mine.parquet").write_bytes(b"keep me")
    return _embed(root, str(root / "mine.parquet"))


def _embed_not_parquet(root: Path) -> list[str]:
    return _embed(root, str(root / "vectors.csv"))


CASES = [
    Case("out holds the user's files", _out_is_users_folder, 2, ("not a Recall Horizon output",)),
    Case("out is a file", _out_is_a_file, 2, ("is a file, not a folder",)),
    Case("out cannot be written", _out_unwritable, 2, ("--out", "cannot write")),
    Case("cache cannot be written", _cache_unwritable, 2, ("--cache-dir", "cannot write")),
    Case("report file is not html", _report_not_html, 2, ("--report", "ending in .html")),
    Case("report path is a folder", _report_is_a_folder, 2, ("--report", "is a folder")),
    Case("embed over an existing file", _embed_over_existing, 2, ("the file exists",), ()),
    Case("embed out is not parquet", _embed_not_parquet, 2, ("must end in .parquet",), ()),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_output(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_case(case, tmp_path, capsys)


def test_an_earlier_output_is_replaced_whole(tmp_path: Path) -> None:
    earlier_output(tmp_path, "--projection")
    assert (tmp_path / "out" / "projection.parquet").is_file()
    assert main(compare(tmp_path)) == 0  # no projection this time
    assert not (tmp_path / "out" / "projection.parquet").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no leftovers


def test_a_failed_run_leaves_the_earlier_output_intact(tmp_path: Path) -> None:
    out = earlier_output(tmp_path)
    before = (out / "summary.json").read_bytes()
    assert main(compare(tmp_path, "--neighbours", "40")) == 2  # fails inside the comparison
    assert (out / "summary.json").read_bytes() == before
