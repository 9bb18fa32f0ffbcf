"""The rollout gate: policy validation, verdicts, and the check command's exit codes."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import InputError
from analysis.metrics.quality import relative_change
from analysis.verdict.gate import DEFAULT_POLICY, evaluate, load_policy
from analysis.verdict.scorecard import scorecard
from tests.dashboard_fixture import build
from tests.fakes import compare_args
from tests.summaries import quality_figures, section, summary


def _summary(recall_base=0.8, recall_cand=0.6, p=0.2, overlap=0.9, excluded=0.05, lost=0):
    quality = quality_figures(ndcg=(0.7, 0.7), recall=(recall_base, recall_cand), p=p, p_ndcg=1.0)
    steady = quality_figures(ndcg=(0.7, 0.7), recall=(0.8, 0.8))
    figures = dict(n_docs=10, overlap=overlap, excluded=excluded, lost=lost)
    return summary(
        {
            "legal": section(quality=quality, **figures),
            "clinical": section(quality=steady, **figures),
        }
    )


def _policy(tmp_path, text):
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def test_default_policy_loads_and_catches_a_25_percent_recall_drop():
    result = evaluate(_summary(), load_policy())
    assert not result.passed and result.failed_domains() == ["legal"]
    failing = [c for c in result.checks if not c.passed]
    assert failing[0].guardrail == "max_relative_drop_recall"
    assert "recall@10 0.800 → 0.600 (-25.0%, max drop 10%" in failing[0].detail


def test_only_when_significant_lets_an_insignificant_drop_pass(tmp_path):
    policy = _policy(
        tmp_path,
        "[defaults]\nmax_relative_drop_recall = 0.1\nonly_when_significant = true\nalpha = 0.05\n",
    )
    assert evaluate(_summary(p=0.2), policy).passed
    assert not evaluate(_summary(p=0.01), policy).passed


def test_domain_override_replaces_the_default(tmp_path):
    policy = _policy(
        tmp_path,
        "[defaults]\nmin_overlap = 0.95\n[domains.clinical]\n"
        "min_overlap = 0.5\n[domains.nowhere]\nmin_overlap = 0.1\n",
    )
    result = evaluate(_summary(overlap=0.9), policy)
    assert result.failed_domains() == ["legal"]
    assert result.unknown_domains == ("nowhere",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[defaults]\nmin_overlaps = 0.5\n", "[defaults]: unknown key 'min_overlaps'"),
        ("[defaults]\nmin_overlap = 'high'\n", "'min_overlap' must be a number between 0 and 1"),
        ("[defaults]\nmin_overlap = 1.5\n", "'min_overlap' must be a number between 0 and 1"),
        ("[defaults]\nmax_lost_reach_docs = -1\n", "'max_lost_reach_docs' must be a whole"),
        ("[defaults]\nonly_when_significant = 'yes'\n", "must be true or false"),
        (
            "[domains.legal]\nmax_excluded_share = 0.1\n",
            "[domains.legal]: unknown key 'max_excluded_share'",
        ),
        ("[default]\nmin_overlap = 0.5\n", "unknown table(s) ['default']"),
        ("[defaults\nmin_overlap = 0.5\n", "not valid TOML"),
    ],
)
def test_policy_errors_name_the_offending_key(tmp_path, text, message):
    with pytest.raises(InputError) as caught:
        _policy(tmp_path, text)
    assert message in str(caught.value) and "policy.toml" in str(caught.value)


def test_missing_policy_file(tmp_path):
    with pytest.raises(InputError, match="policy file not found"):
        load_policy(tmp_path / "none.toml")


def test_default_policy_ships_with_the_package():
    assert DEFAULT_POLICY.is_file()


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    return build(tmp_path_factory.mktemp("gate"))


def _compare(specs, candidate, out):
    assert (
        main(compare_args(specs["corpus"], specs["baseline"], candidate, str(out), "--k", "3")) == 0
    )


def test_check_exits_0_when_every_guardrail_holds(specs, tmp_path, capsys):
    _compare(specs, specs["baseline"], tmp_path / "same")
    assert main(["check", "--from", str(tmp_path / "same")]) == 0
    assert "verdict: every guardrail holds" in capsys.readouterr().out


def test_check_exits_1_and_names_the_breached_domain(specs, tmp_path, capsys):
    _compare(specs, specs["candidate"], tmp_path / "worse")
    strict = tmp_path / "strict.toml"
    strict.write_text("[defaults]\nmin_overlap = 0.99\n")
    assert main(["check", "--from", str(tmp_path / "worse"), "--policy", str(strict)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  clinical" in out and "breached in clinical" in out


def test_check_runs_a_fresh_comparison_too(specs, tmp_path):
    code = main(
        [
            "check",
            "--corpus",
            specs["corpus"],
            "--baseline",
            specs["baseline"],
            "--candidate",
            specs["baseline"],
            "--out",
            str(tmp_path / "fresh"),
            "--k",
            "3",
        ]
    )
    assert code == 0 and (tmp_path / "fresh" / "summary.json").is_file()


def test_check_exits_2_on_bad_policy_or_bad_input(specs, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[defaults]\nmin_overlap = 2\n")
    assert main(["check", "--from", str(tmp_path), "--policy", str(bad)]) == 2
    assert "'min_overlap' must be a number between 0 and 1" in capsys.readouterr().err
    assert main(["check", "--from", str(tmp_path / "nothing")]) == 2
    assert "no summary.json" in capsys.readouterr().err
    assert main(["check"]) == 2
    assert "give --from DIR" in capsys.readouterr().err


def test_excluded_share_and_lost_reach_guardrails_decide_with_their_numbers(tmp_path):
    policy = _policy(
        tmp_path, "[defaults]\nmax_excluded_share_same_cutoff = 0.2\nmax_lost_reach_docs = 3\n"
    )
    result = evaluate(_summary(excluded=0.25, lost=4), policy)
    details = {c.guardrail: (c.passed, c.detail) for c in result.checks if c.domain == "legal"}
    assert details["max_excluded_share_same_cutoff"] == (
        False,
        "25.0% excluded at the same cutoff (max 20%)",
    )
    assert details["max_lost_reach_docs"] == (False, "4 documents lost all reach (max 3)")
    assert evaluate(_summary(excluded=0.2, lost=3), policy).passed  # limits are inclusive


def test_check_on_a_folder_whose_summary_is_not_ours(tmp_path, capsys):
    (tmp_path / "summary.json").write_text('{"hello": 1}')
    assert main(["check", "--from", str(tmp_path)]) == 2
    assert "not a Recall Horizon summary (missing manifest, overall, domains)" in (
        capsys.readouterr().err
    )


def test_scorecard_and_gate_share_one_relative_change_when_the_baseline_is_zero(tmp_path):
    """A baseline of 0 has no relative change: the scorecard shows none, and the gate says so
    instead of inventing a 0% change."""
    summary_ = _summary(recall_base=0.0, recall_cand=0.3, p=0.01)
    card = scorecard(summary_)
    assert card.loc["legal", "Δ recall@k"] is None or pd.isna(card.loc["legal", "Δ recall@k"])
    check = next(
        c
        for c in evaluate(summary_, load_policy()).checks
        if c.domain == "legal" and c.guardrail == "max_relative_drop_recall"
    )
    assert check.value is None and check.passed
    assert "no relative drop is defined" in check.detail
    assert relative_change(0.0, 0.3) is None and relative_change(0.5, 0.4) == pytest.approx(-0.2)


def test_each_domain_is_decided_by_its_worst_breach_or_its_closest_call(tmp_path):
    policy = _policy(
        tmp_path,
        "[defaults]\nmax_relative_drop_recall = 0.1\nmin_overlap = 0.5\nmax_lost_reach_docs = 10\n",
    )
    # legal breaches recall (-25% on a 10% limit: -1.5 relative to it) and overlap (0.45 on
    # a 0.5 minimum: -0.1): the worse breach decides. With overlap 0.9, clinical passes and
    # its closest call is lost reach (8 of at most 10: 0.2 left; overlap has 0.8 left).
    result = evaluate(_summary(overlap=0.45, lost=8), policy)
    verdicts = {v.domain: v for v in result.by_domain()}
    assert [v.domain for v in result.by_domain()] == ["clinical", "legal"]  # failed first
    legal = verdicts["legal"]
    assert not legal.passed and legal.deciding.guardrail == "max_relative_drop_recall"
    steady = evaluate(_summary(overlap=0.9, lost=8), policy).by_domain()
    clinical = next(v for v in steady if v.domain == "clinical")
    assert clinical.passed and clinical.deciding.guardrail == "max_lost_reach_docs"
    assert "8 documents lost all reach (max 10)" in clinical.deciding.detail
