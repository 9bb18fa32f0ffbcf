"""The bundled demo reproduces the paradox, and the default gate names the degraded domains."""

from __future__ import annotations

import json

import pytest

from analysis.bundle.files import load_summary
from analysis.cli import main
from analysis.tuning.demo import DEMO_DOMAIN, SAMPLE_CORPUS
from analysis.verdict.gate import evaluate, load_policy

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    cache = root / "cache"
    assert main(["demo", "--out", str(root / "out"), "--cache-dir", str(cache)]) == 0
    return root, cache


def _relative(quality, metric):
    return quality["candidate"][metric] / quality["baseline"][metric] - 1


def test_tuning_domain_improves_and_at_least_two_others_lose_ten_percent(demo):
    summary = json.loads((demo[0] / "out" / "summary.json").read_text())
    domains = summary["domains"]
    assert _relative(domains[DEMO_DOMAIN]["quality"], "ndcg@10") > 0
    losers = [
        name
        for name, section in domains.items()
        if name != DEMO_DOMAIN
        and min(
            _relative(section["quality"], "ndcg@10"), _relative(section["quality"], "recall@10")
        )
        <= -0.10
    ]
    assert len(losers) >= 2, losers
    report = (demo[0] / "out" / "report.html").read_text(encoding="utf-8")
    assert "Rollout gate" in report


def test_drift_and_useful_exclusions_are_larger_outside_the_tuning_domain(demo):
    domains = json.loads((demo[0] / "out" / "summary.json").read_text())["domains"]
    tuned = domains[DEMO_DOMAIN]
    others = {name: s for name, s in domains.items() if name != DEMO_DOMAIN}
    for name, section in others.items():
        assert section["neighbourhood_jaccard"] < tuned["neighbourhood_jaccard"], name
    # Per domain these are counts of one or two pairs (sample_corpora/README.md has them);
    # pooled over the untuned domains the contrast is wide enough to hold on any CPU.
    lost = sum(s["relevant_excluded_same_cutoff"] for s in others.values())
    admitted = sum(s["relevant_admitted_baseline"] for s in others.values())
    assert lost / admitted > 2 * tuned["relevant_excluded_share_same_cutoff"]


def test_default_gate_fails_the_degraded_domains_and_passes_the_baseline_against_itself(demo):
    root, cache = demo
    summary = json.loads((root / "out" / "summary.json").read_text())
    result = evaluate(load_summary(root / "out"), load_policy())
    degraded = sorted(
        name
        for name, s in summary["domains"].items()
        if _relative(s["quality"], "recall@10") < -0.10
        or _relative(s["quality"], "ndcg@10") < -0.10
    )
    assert result.failed_domains() == degraded
    assert main(["check", "--from", str(root / "out")]) == 1
    assert (
        main(
            [
                "check",
                "--corpus",
                str(SAMPLE_CORPUS),
                "--baseline",
                "default",
                "--candidate",
                "default",
                "--out",
                str(root / "same"),
                "--cache-dir",
                str(cache),
            ]
        )
        == 0
    )


def test_demo_answer_coverage_agrees_with_a_plain_recomputation(demo):
    """Every demo query has answers; the tool's coverage at k equals a few lines of plain
    Python over the written TREC runs and the corpus files (not the tool's functions)."""
    import string

    import pandas as pd

    out = demo[0] / "out"
    texts = {}
    for line in (SAMPLE_CORPUS / "corpus.jsonl").read_text().splitlines():
        record = json.loads(line)
        texts[record["_id"]] = (record["title"] + " " + record["text"]).strip()
    answers = {}
    for line in (SAMPLE_CORPUS / "queries.jsonl").read_text().splitlines():
        record = json.loads(line)
        answers[record["_id"]] = record["answers"]
    assert len(answers) == 110 and all(answers.values())

    def words(text):
        kept = "".join(c for c in text.lower() if c not in string.punctuation + "‘’“”–—…")
        return [w for w in kept.split() if w not in ("a", "an", "the")]

    for model in ("baseline", "candidate"):
        ranked = {}
        for line in (out / "runs" / f"{model}.trec").read_text().splitlines():
            query_id, _, doc_id, rank, *_ = line.split()
            ranked.setdefault(query_id, []).append((int(rank), doc_id))
        expected = {}
        for query_id, docs in ranked.items():
            context = words(" ".join(texts[d] for _, d in sorted(docs)))
            spans = [words(a) for a in answers[query_id]]
            expected[query_id] = any(
                context[i : i + len(s)] == s for s in spans for i in range(len(context))
            )
        covered = pd.read_parquet(out / "queries.parquet").set_index("query_id")
        assert covered[f"covered_{model}"].astype(bool).to_dict() == expected
