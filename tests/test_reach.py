"""The net loss of reach: hand-built top-k lists, its interval, and the gate reading it."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

from analysis.metrics.grouping import OVERALL
from analysis.metrics.reach import NetLoss, ReachFigures, net_loss_spreads, reachability
from analysis.retrieval import Ranking
from analysis.verdict.gate import evaluate, parse_policy
from analysis.verdict.text import gate_text
from tests.summaries import section, summary


def _ranking(rows: list[list[int]]) -> Ranking:
    indices = np.array(rows, dtype=np.int64)
    return Ranking(indices, np.where(indices >= 0, 1.0, np.nan))


def test_net_loss_sets_gained_against_lost_as_a_share_of_what_was_reached():
    # documents 0-3 in domain a, 4-5 in b; k = 2
    baseline = _ranking([[0, 1], [2, 4], [0, 4]])
    candidate = _ranking([[0, 3], [2, 5], [0, 5]])
    result = reachability(
        baseline, candidate, k=2, doc_domains=["a"] * 4 + ["b"] * 2, resamples=200
    )
    figures = result.by_domain(["a", "b"])
    a, b = figures["a"].net, figures["b"].net
    # a: reached {0, 1, 2}; 1 lost, 3 gained: net 0 of 3; b: reached {4}, lost 4, gained 5
    assert (a.reached, a.lost, a.gained, a.share) == (3, 1, 1, 0.0)
    assert (b.reached, b.lost, b.gained, b.share) == (1, 1, 1, 0.0)
    assert figures[OVERALL].net.share == 0.0 and figures[OVERALL].net.reached == 4
    assert figures["a"].lost == 1 and figures["a"].gained == 1  # the counts stay as they were
    assert a.low <= a.share <= a.high


def test_a_domain_that_lost_everything_has_a_share_of_one_and_a_tight_interval():
    baseline = _ranking([[0, 1]] * 30)
    candidate = _ranking([[2, 3]] * 30)
    result = reachability(baseline, candidate, k=2, doc_domains=["a", "a", "b", "b"])
    a = result.by_domain(["a", "b"])["a"].net
    assert (a.share, a.low, a.high) == (1.0, 1.0, 1.0)
    b = result.by_domain(["a", "b"])["b"].net
    assert b.share is None and b.low is None  # nothing reached under the baseline


def test_judged_relevant_documents_get_their_own_net_loss():
    baseline = _ranking([[0, 1], [2, 3]])
    candidate = _ranking([[0, 4], [2, 5]])
    relevant = np.array([False, True, False, True, False, False])
    result = reachability(
        baseline, candidate, k=2, doc_domains=["a"] * 6, relevant=relevant, resamples=100
    )
    judged = result.by_domain(["a"])["a"].relevant
    assert (judged.reached, judged.lost, judged.gained, judged.share) == (2, 2, 0, 1.0)


def test_the_spread_comes_from_resampling_the_queries():
    # queries 2 and 3 both move to document 4: 2 lost, 1 gained, a net loss of 1 of 4
    # reached; a resample asking one of them only sees a swap, net 0
    baseline_top = np.array([[0], [1], [2], [3]])
    candidate_top = np.array([[0], [1], [4], [4]])
    groups = {"a": np.arange(5), OVERALL: np.arange(5)}
    spreads = net_loss_spreads(baseline_top, candidate_top, groups, n_docs=5, resamples=500)
    below, above = spreads["a"][0]
    assert below >= 0 and above >= 0 and below + above > 0
    swapped = net_loss_spreads(baseline_top, np.array([[0], [1], [2], [4]]), groups, n_docs=5)
    assert swapped["a"][0] == (0.0, 0.0)  # one query swapping one document: pure churn
    assert spreads["a"][1] is None  # no relevant documents given


def test_summaries_from_before_the_net_loss_still_read():
    old = {"unreachable_docs": {"baseline": 1, "candidate": 2}, "lost_reach_docs": 3}
    old["gained_reach_docs"] = 1
    figures = ReachFigures.from_json(old)
    assert figures is not None and figures.net is None and figures.lost == 3
    assert NetLoss.from_json(NetLoss.of(lost=2, gained=1, reached=10).to_json()).share == 0.1


def _gate(text: str, **figures):
    return evaluate(summary({"legal": section(**figures)}), parse_policy(text, "p.toml"))


def test_the_net_loss_guardrail_fails_only_when_the_whole_interval_is_above_its_limit():
    # tests/summaries.section: net loss = lost / n_docs, interval ± 0.01
    assert _gate("[defaults]\nmax_net_lost_reach_share = 0.05\n", n_docs=100, lost=5).passed
    assert _gate("[defaults]\nmax_net_lost_reach_share = 0.05\n", n_docs=100, lost=6).passed
    failed = _gate("[defaults]\nmax_net_lost_reach_share = 0.05\n", n_docs=100, lost=7)
    assert not failed.passed
    assert (
        "7.0% of 100 reached (7 lost, 0 gained, 95% interval 6.0% to 8.0%"
        in failed.checks[0].detail
    )


def test_an_absolute_count_still_works_and_the_terminal_says_it_does_not_scale():
    result = _gate("[defaults]\nmax_lost_reach_docs = 10\n", n_docs=100, lost=11)
    assert not result.passed
    assert "does not scale" not in result.checks[0].detail
    printed = gate_text(result, "p.toml")
    assert "note: max_lost_reach_docs counts documents, whatever the domain's size" in printed


def test_a_summary_without_the_net_loss_fails_closed_and_says_to_recompute():
    old = summary({"legal": {**section(), "net_lost_reach": None}})
    old.raw["domains"]["legal"].pop("net_lost_reach")
    result = evaluate(old, parse_policy("[defaults]\nmax_net_lost_reach_share = 0.05\n", "p"))
    check = result.checks[0]
    assert not check.passed and "compute the comparison again" in check.detail


@pytest.mark.parametrize("limit", [0.0, 0.5])
def test_nothing_reached_means_nothing_to_lose(limit):
    result = _gate(f"[defaults]\nmax_net_lost_reach_share = {limit}\n", n_docs=0)
    assert result.passed and "none could lose reach" in result.checks[0].detail


def test_the_overview_says_it_too():
    from reporting.sections.base import Context, Text
    from reporting.sections.gate import verdict_blocks

    result = _gate("[defaults]\nmax_lost_reach_docs = 10\n", n_docs=100, lost=11)
    shown = verdict_blocks(Context(gate=result, policy_source="p.toml"))
    texts = [b.text for b in shown if isinstance(b, Text)]
    assert any("whatever the domain's size" in t for t in texts)


@pytest.mark.parametrize("batch_cells", [2_000_000, 3_000])  # one batch; many small ones
def test_resampled_reach_counts_equal_a_resample_by_resample_count(batch_cells, monkeypatch):
    """The batched matrix products count, per resample and bin, the distinct documents the
    drawn queries hold: the same as drawing each resample's queries and counting a set."""
    from analysis.metrics import reach

    monkeypatch.setattr(reach, "_BATCH_CELLS", batch_cells)
    monkeypatch.setattr(reach, "_REACHED_MEMO", OrderedDict())  # computed, not remembered
    rng = np.random.default_rng(7)
    top = rng.integers(0, 60, size=(40, 5))
    top[rng.random(top.shape) < 0.1] = -1  # a list shorter than k
    code = rng.integers(0, 3, size=60)
    relevant = np.where(rng.random(60) < 0.5, code, -1)
    resamples = 300
    counts = reach._reached_per_resample(top, [code, relevant], 3, resamples, 11)

    batch = max(1, min(resamples, batch_cells // top.size))
    draws = np.random.default_rng(11)
    expected = np.zeros((resamples, 2, 3))
    for start in range(0, resamples, batch):
        drawn = draws.integers(0, len(top), size=(min(batch, resamples - start), len(top)))
        for offset, queries in enumerate(drawn):
            held = {int(d) for d in top[queries].ravel() if d >= 0}
            for kind, bins in enumerate((code, relevant)):
                for document in held:
                    if bins[document] >= 0:
                        expected[start + offset, kind, bins[document]] += 1
    assert np.array_equal(counts, expected)


def test_each_groups_spread_is_its_own_percentiles_whatever_shares_are_missing():
    """Columns without a missing share go through one percentile call, the others one each:
    every column must still get the percentiles of its own finite shares."""
    from analysis.metrics.reach import _spreads

    rng = np.random.default_rng(4)
    shares = rng.random((200, 4))
    shares[rng.random(200) < 0.3, 1] = np.nan  # some resamples reach none of group 1
    shares[:, 2] = np.nan  # group 2: never reached
    got = _spreads(shares)
    assert got[2] is None
    for g in (0, 1, 3):
        values = shares[np.isfinite(shares[:, g]), g]
        low, middle, high = np.percentile(values, [2.5, 50, 97.5])
        assert got[g] == (middle - low, high - middle)
