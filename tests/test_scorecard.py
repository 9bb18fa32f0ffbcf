"""Scorecard and headline sentences from a hand-built summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.numbers import p_clause, p_text
from analysis.verdict.scorecard import COLUMNS, headlines, scorecard
from dashboard.uploads import arrange_beir, flat_tables, save_uploads
from reporting.charts import scorecard_heatmap
from tests.summaries import quality_figures, section, summary


def _section(ndcg=(0.8, 0.8), recall=(0.8, 0.8), p=1.0, **figures):
    return section(quality=quality_figures(ndcg, recall, p), **figures)


SUMMARY = summary(
    {
        "legal": _section(ndcg=(0.50, 0.58), p=0.01),
        "clinical": _section(
            recall=(0.80, 0.552),
            p=0.2,
            overlap=0.6,
            kept=0.4,
            excluded=0.14,
            lost=12,
            useful_excluded=0.25,
        ),
        "finance": _section(),
    }
)


def test_scorecard_has_one_row_per_domain_with_relative_changes_and_severity():
    card = scorecard(SUMMARY)
    assert sorted(card.index) == ["clinical", "finance", "legal"]
    assert card.loc["legal", "Δ nDCG@10"] == pytest.approx(0.16)
    assert card.loc["clinical", "Δ recall@k"] == pytest.approx(-0.31)
    severity = card.loc["clinical", "severity"]
    assert severity["Δ recall@k"] == pytest.approx(0.62)  # 31% loss of a 50% cap
    assert severity["top-k overlap"] == pytest.approx(0.4)
    assert card.loc["finance", "severity"]["excluded @ same cutoff"] == 0.0
    assert card.loc["clinical", "relevant excluded"] == pytest.approx(0.25)


def test_heatmap_cells_show_shares_as_percentages():
    card = scorecard(SUMMARY)
    heatmap = scorecard_heatmap(card, COLUMNS).data[0]
    row = dict(zip(COLUMNS, heatmap.text[list(card.index).index("clinical")], strict=True))
    assert row["excluded @ same cutoff"] == "14%"
    assert row["relevant excluded"] == "25%"
    assert row["Δ recall@k"] == "-31%"


def test_headlines_say_what_changed_in_plain_words():
    text = " ".join(headlines(SUMMARY, limit=100))
    assert "largest nDCG@10 gain is in legal: +16% (p = 0.010, significant)" in text
    assert "It cut clinical recall@10 by 31% (p = 0.200, not significant)" in text
    assert "14% of the clinical documents that passed the cutoff (0.42) no longer do" in text
    assert "clinical documents kept only 40% of their nearest neighbours" in text
    assert "25% of the judged-relevant clinical pairs that passed the cutoff no longer do" in text
    assert "judged-relevant finance" not in text
    assert "12 clinical documents that some query retrieved are now retrieved by none" in text
    assert "finance" not in text


def test_at_most_five_headlines_the_gain_first_then_the_worst_losses():
    shown = headlines(SUMMARY)
    assert len(shown) == 5
    assert shown[0].startswith("The candidate's largest nDCG@10 gain is in legal")
    # severities: 12 of 100 documents unreached (1.0), recall -31% (0.62), 40% of neighbours
    # kept (0.60), 25% of relevant pairs excluded (0.375); the 14% exclusion (0.14) is left out
    assert [s.split(" ")[0:2] for s in shown[1:]] == [
        ["12", "clinical"],
        ["It", "cut"],
        ["clinical", "documents"],
        ["25%", "of"],
    ]
    assert not any(s.startswith("14% of the clinical documents") for s in shown)


def test_p_values_below_a_thousandth_read_as_such():
    assert p_text(0.0) == "< 0.001"
    assert p_clause(0.0004) == "p < 0.001"
    assert p_clause(0.05) == "p = 0.050"


def test_a_quiet_comparison_says_nothing_moved():
    quiet = summary({"a": _section(), "b": _section()})
    assert headlines(quiet) == [
        "No domain shows a notable change: overlap, drift, exclusions and relevance all held."
    ]


def test_uploads_are_saved_by_content_and_laid_out_for_the_loaders(tmp_path, monkeypatch):
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path))
    files = [("corpus.jsonl", b'{"_id": "1", "text": "x"}\n'), ("test.tsv", b"q\td\t1\n")]
    folder = save_uploads(files)
    assert save_uploads(list(reversed(files))) == folder  # same content, same folder
    beir = arrange_beir(folder)
    assert (Path(beir.corpus) / "qrels" / "test.tsv").is_file()
    flat = flat_tables(folder, "docs.csv", "", "qrels.csv")
    assert flat.queries == "" and flat.qrels.endswith("qrels.csv")
