"""Bad-input catalogue: policies, tampered or foreign summaries, incomplete bundles, and the
gate failing closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.cli import main
from tests.badinput import Case, compare, corpus, earlier_output, edit_summary, policy, run_case


def _check(root: Path, text: str) -> list[str]:
    out = earlier_output(root)
    return ["check", "--from", str(out), "--policy", policy(root, text)]


def _policy_case(name: str, text: str, *says: str, code: int = 2) -> Case:
    return Case(name, lambda root: _check(root, text), code, says)


def _relevance_policy_without_judgments(root: Path) -> list[str]:
    corpus(root, qrels=False)
    assert main(compare(root)) == 0
    text = "[defaults]\nmax_relative_drop_ndcg = 0.1\n"
    return ["check", "--from", str(root / "out"), "--policy", policy(root, text)]


def _strip_quality(summary: dict) -> None:
    for section in [summary["overall"], *summary["domains"].values()]:
        section.pop("quality", None)


def _strings_for_numbers(summary: dict) -> None:
    for section in summary["domains"].values():
        section["overlap_jaccard"] = str(section["overlap_jaccard"])


def _domain_as_list(summary: dict) -> None:
    summary["domains"]["legal"] = [1, 2, 3]


def _missing_table(root: Path) -> list[str]:
    out = earlier_output(root)
    (out / "queries.parquet").unlink()
    return ["report", "--from", str(out), "--report", str(root / "report.html")]


def _not_json(root: Path) -> list[str]:
    out = earlier_output(root)
    (out / "summary.json").write_text("{not json")
    return ["check", "--from", str(out)]


def _no_summary(root: Path) -> list[str]:
    (root / "empty").mkdir()
    return ["check", "--from", str(root / "empty")]


def _both_sources(root: Path) -> list[str]:
    out = earlier_output(root)
    return ["check", "--from", str(out), "--corpus", str(root / "corpus")]


CASES = [
    _policy_case("empty policy", "", "sets no guardrail"),
    _policy_case("policy with options only", "[defaults]\nalpha = 0.01\n", "sets no guardrail"),
    _policy_case("policy not TOML", "[defaults\nmin_overlap = 0.5\n", "not valid TOML"),
    _policy_case("policy unknown key", "[defaults]\nmin_overlapp = 0.5\n", "unknown key"),
    _policy_case("policy fraction above 1", "[defaults]\nmin_overlap = 1.5\n", "between 0 and 1"),
    _policy_case("policy negative count", "[defaults]\nmax_lost_reach_docs = -1\n", ">= 0"),
    _policy_case(
        "policy flag not boolean",
        "[defaults]\nmin_overlap = 0.1\nonly_when_significant = 'yes'\n",
        "must be true or false",
    ),
    _policy_case("policy unknown table", "[default]\nmin_overlap = 0.5\n", "unknown table(s)"),
    _policy_case(
        "on_missing not fail or skip",
        '[defaults]\nmin_overlap = 0.1\non_missing = "ignore"\n',
        "'on_missing' must be",
    ),
    Case(
        "policy file missing",
        lambda root: ["check", "--from", str(earlier_output(root)), "--policy", "none.toml"],
        2,
        ("policy file not found",),
    ),
    Case(
        "relevance guardrail, no judgments",
        _relevance_policy_without_judgments,
        1,
        ("no judged query", "failed closed"),
    ),
    Case(
        "summary without relevance",
        lambda root: edit_summary(root, _strip_quality),
        1,
        ("failed closed",),
    ),
    Case(
        "summary is a number",
        lambda root: edit_summary(root, lambda s: 5),
        2,
        ("not a Recall Horizon summary",),
    ),
    Case(
        "summary numbers are strings",
        lambda root: edit_summary(root, _strings_for_numbers),
        2,
        ("overlap_jaccard is str", "expected a number"),
    ),
    Case(
        "summary domain is a list",
        lambda root: edit_summary(root, _domain_as_list),
        2,
        ("domains.legal is a list",),
    ),
    Case(
        "summary manifest lacks models",
        lambda root: edit_summary(root, lambda s: s["manifest"].pop("models") and None),
        2,
        ("manifest is not a Recall Horizon manifest", "models"),
    ),
    Case("summary not JSON", _not_json, 2, ("cannot read",)),
    Case("folder without summary", _no_summary, 2, ("no summary.json",)),
    Case("bundle lacks a table", _missing_table, 2, ("incomplete", "queries.parquet")),
    Case("both --from and --corpus", _both_sources, 2, ("use either --from DIR",)),
    Case("neither --from nor --corpus", lambda root: ["check"], 2, ("give --from DIR",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_verdict_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_case(case, tmp_path, capsys)


def test_skipping_missing_guardrails_is_said_and_passes(tmp_path: Path, capsys) -> None:
    corpus(tmp_path, qrels=False)
    assert main(compare(tmp_path)) == 0
    text = '[defaults]\nmax_relative_drop_ndcg = 0.1\nmin_overlap = 0.0\non_missing = "skip"\n'
    capsys.readouterr()
    args = ["check", "--from", str(tmp_path / "out"), "--policy", policy(tmp_path, text)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "skip" in printed and "skipped (on_missing" in printed
