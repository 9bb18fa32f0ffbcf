"""Production questions from a query log: repeated questions merged and weighted by their
asks, missing domains inferred from the baseline's top-k (checked by hand), and
``--redact-queries`` leaving no question's text in any file the bundle or report holds."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import InputError
from analysis.inputs.corpus import UNASSIGNED, Corpus, load_corpus
from analysis.inputs.inferred_domains import with_inferred_domains
from analysis.inputs.query_log import (
    TO_INFER,
    read_query_log,
    set_aside_sentence,
    with_logged_questions,
)
from analysis.metrics.grouping import bootstrap_mean
from tests.dashboard_fixture import TOPICS, build, setup_page_on
from tests.fakes import compare_args, write_jsonl

LOG = [
    # the same question three ways (case, spacing), one row without a count
    {"query": "patient dose clinical", "count": 3, "timestamp": "2026-11-02T09:00:00Z"},
    {"query": "  Patient   DOSE clinical ", "count": 2, "timestamp": 1762000000},
    {"query": "patient dose clinical"},
    {"query": "invoice ledger audit", "count": 4, "domain": "finance"},
    {"query": "court contract liability", "domain": "legal"},
    {"query": "court contract liability", "count": 2, "domain": "finance"},  # outvoted
    {"query": "symptom patient", "count": 7},
    {"query": "tax invoice ledger"},
    {"query": "clause contract court"},
]


def test_repeated_questions_merge_and_weigh_by_their_asks(tmp_path):
    log = read_query_log(write_jsonl(tmp_path / "log.jsonl", LOG))
    by_text = {q.text: q for q in log.questions}
    assert (
        log.rows == 9 and len(log.questions) == 6 and log.asks == 3 + 2 + 1 + 4 + 1 + 2 + 7 + 1 + 1
    )
    merged = by_text["patient dose clinical"]  # the first spelling seen
    assert merged.asks == 6 and merged.domain == TO_INFER
    assert (
        merged.first_seen == "2025-11-01T12:26:40Z" and merged.last_seen == "2026-11-02T09:00:00Z"
    )
    assert by_text["court contract liability"].domain == "finance"  # 2 asks against 1
    assert by_text["court contract liability"].asks == 3
    assert by_text["invoice ledger audit"].domain == "finance"
    assert "1 question(s) were logged under more than one domain" in log.notices[0]
    assert log.span == ("2025-11-01T12:26:40Z", "2026-11-02T09:00:00Z")
    again = read_query_log(tmp_path / "log.jsonl")
    assert [q.id for q in again.questions] == [q.id for q in log.questions]  # stable ids
    salted = read_query_log(tmp_path / "log.jsonl", salt=b"pepper")
    assert {q.id for q in salted.questions}.isdisjoint(q.id for q in log.questions)


def test_a_csv_log_reads_the_question_column_and_string_counts(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("question,count,domain\nhow to file tax,3,\nhow to file tax,2,finance\n")
    (question,) = read_query_log(path).questions
    assert (question.text, question.asks, question.domain) == ("how to file tax", 5, "finance")


def test_bad_log_rows_are_all_named_with_their_line(tmp_path):
    path = write_jsonl(
        tmp_path / "log.jsonl",
        [
            {"query": "fine"},
            {"query": "   "},
            {"query": "x", "count": "two"},
            {"query": "y", "count": 0},
            {"query": "z", "count": 1.5},
            {"query": "w", "timestamp": "yesterday"},
            {"query": 12},
        ],
    )
    with pytest.raises(InputError) as caught:
        read_query_log(path)
    problems = caught.value.problems
    assert len(problems) == 6
    assert "line 2: no question text" in problems[0]
    assert "line 3: count 'two' is not a whole number" in problems[1]
    assert "line 4" in problems[2] and "line 5" in problems[3]
    assert "line 6: timestamp 'yesterday' is neither ISO 8601" in problems[4]
    assert "line 7: 'query' is int" in problems[5]
    other = tmp_path / "other.csv"
    other.write_text("asked,count\nhello,1\n")
    with pytest.raises(InputError, match="no question column; name it one of query, question"):
        read_query_log(other)


def _corpus(doc_domains: list[str], query_domains: list[str]) -> Corpus:
    docs = [f"d{i}" for i in range(len(doc_domains))]
    queries = [f"q{i}" for i in range(len(query_domains))]
    return Corpus(
        "hand",
        tuple(docs),
        tuple(docs),
        tuple(doc_domains),
        tuple(queries),
        tuple(queries),
        tuple(query_domains),
    )


def test_inferred_domains_follow_the_majority_of_the_top_k_checked_by_hand():
    corpus = _corpus(
        ["legal", "legal", "clinical", "clinical", "finance"],
        [TO_INFER, TO_INFER, "finance", TO_INFER, TO_INFER],
    )
    top = np.array(
        [
            [0, 2, 1, 4],  # legal 2, clinical 1 (finance is 4th, beyond k = 3): legal
            [2, 0, 4, 1],  # clinical, legal, finance: a three-way tie -> clinical, stated
            [0, 1, 3, -1],  # given (finance): kept whatever the top-k says
            [3, 2, 0, 1],  # clinical 2 of 3
            [-1, -1, -1, -1],  # nothing retrieved
        ]
    )
    inferred = with_inferred_domains(corpus, top, 3)
    assert inferred.query_domains == ("legal", "clinical", "finance", "clinical", UNASSIGNED)
    record = inferred.query_source["domains_inferred"]
    assert (record["inferred"], record["ties"], record["retrieved_nothing"]) == (3, 1, 1)
    assert record["tie_examples"] == ["q1 (clinical = finance = legal)"]
    assert "top-3" in record["rule"] and "alphabetically first" in record["rule"]
    assert "1 tie(s), e.g. q1" in inferred.notices[-1]


def test_a_weighted_mean_counts_asks_and_its_interval_counts_distinct_questions():
    values, asks = np.array([1.0, 0.0, 0.0]), np.array([6.0, 1.0, 1.0])
    estimate = bootstrap_mean(values, weights=asks)
    assert estimate.mean == pytest.approx(6 / 8) and estimate.n == 3
    repeated = bootstrap_mean(np.array([1.0] * 6 + [0.0, 0.0]))
    assert repeated.mean == estimate.mean
    assert (estimate.high - estimate.low) > (repeated.high - repeated.low)  # 3 items, not 8


def test_the_corpus_own_queries_are_set_aside_and_said(tmp_path):
    specs = build(tmp_path)
    corpus = load_corpus(specs["corpus"])
    logged = with_logged_questions(corpus, read_query_log(write_jsonl(tmp_path / "l.jsonl", LOG)))
    assert logged.qrels == {} and logged.n_queries == 6 and logged.query_weights[0] == 6
    said = set_aside_sentence(logged.query_source)
    assert said is not None and f"the corpus's own {corpus.n_queries} queries" in said
    assert not any("set aside" in n for n in logged.notices)  # a choice: --strict accepts it
    assert (
        logged.fingerprint
        != with_logged_questions(
            corpus, read_query_log(write_jsonl(tmp_path / "m.jsonl", LOG[:-1]))
        ).fingerprint
    )


ASKED = "what do our records say about"


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """The fixture corpus, its documents encoded by MiniLM (the baseline) and a candidate
    store holding the same vectors with the clinical ones disturbed; the candidate's
    questions are encoded by MiniLM too (``queries=default``)."""
    import lancedb
    import pyarrow as pa

    from analysis.inputs.specs import resolve_source

    root = tmp_path_factory.mktemp("production")
    specs = build(root)
    corpus = load_corpus(specs["corpus"])
    vectors = resolve_source("default").embed(corpus.doc_ids, corpus.doc_texts, role="document")
    clinical = np.array(corpus.doc_domains) == "clinical"
    rng = np.random.default_rng(0)
    vectors = vectors.copy()
    vectors[clinical] += rng.normal(size=vectors[clinical].shape).astype(np.float32) * 0.08
    column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])
    db = lancedb.connect(str(root / "lance"))
    db.create_table("tuned", data=pa.table({"id": list(corpus.doc_ids), "vector": column}))
    candidate = f"lancedb:{root / 'lance'}?table=tuned&queries=default"
    # worded unlike any document, so that finding one in a file means the question leaked
    log = [
        {"query": f"{ASKED} {text}?", "count": 1 + n % 3}
        for texts in TOPICS.values()
        for n, text in enumerate(texts)
    ]
    log += [{"query": f"{ASKED} {TOPICS['legal'][0]}?".upper(), "count": 5, "domain": "legal"}]
    return root, specs["corpus"], candidate, write_jsonl(root / "log.jsonl", log)


def test_a_query_log_comparison_weighs_every_domain_figure_by_asks(production, tmp_path, capsys):
    root, corpus, candidate, log = production
    out = tmp_path / "out"
    args = compare_args(corpus, "default", candidate, out, "--k", "3", "--query-log", str(log))
    assert main(args) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "The queries are 18 distinct questions from the query log log.jsonl (19 rows" in said
    assert "17 had no domain and were given the domain most of the baseline's top-3" in said
    summary = json.loads((out / "summary.json").read_text())
    queries = pd.read_parquet(out / "queries.parquet")
    assert len(queries) == 18 and queries["asks"].sum() == 6 * (1 + 2 + 3) + 5
    record = summary["manifest"]["corpus"]["queries_from"]
    assert record["source"] == "query log" and record["rows"] == 19 and record["asks"] == 41
    assert record["domains_inferred"]["inferred"] == 17  # one question named its domain
    domains = dict(zip(queries["text"], queries["domain"], strict=True))
    for domain in ("clinical", "finance"):
        assert domains[f"{ASKED} {TOPICS[domain][0]}?"] == domain
    for domain, rows in queries.groupby("domain"):
        section = summary["domains"][domain]
        weighted = np.average(rows["jaccard"], weights=rows["asks"])
        assert section["overlap_jaccard"] == pytest.approx(weighted, abs=1e-6)
    overall = summary["overall"]["overlap_jaccard"]
    assert overall == pytest.approx(
        np.average(queries["jaccard"], weights=queries["asks"]), abs=1e-6
    )
    assert overall != pytest.approx(queries["jaccard"].mean(), abs=1e-3)  # the asks count
    assert main(["check", "--from", str(out)]) == 1  # the shipped policy: fails closed
    assert "the queries come from a query log, which has no judgments" in capsys.readouterr().out
    policy = tmp_path / "policy-for-logs.toml"  # docs/query-logs.md's
    policy.write_text(
        "[defaults]\nmin_overlap = 0.30\nmax_net_lost_reach_share = 0.05\n"
        'max_excluded_share_same_cutoff = 0.10\non_missing = "skip"\n'
    )
    assert main(["check", "--from", str(out), "--policy", str(policy)]) in (0, 1)
    verdicts = capsys.readouterr().out
    assert "excluded at the same cutoff" in verdicts and "mean top-k Jaccard" in verdicts
    assert "cannot be checked" not in verdicts and "skipped" not in verdicts
    pairs = pd.read_parquet(out / "threshold_pairs.parquet")
    pairs = pairs[pairs["admitted_baseline"]].merge(queries[["query_id", "asks"]], on="query_id")
    excluded = pairs["asks"][pairs["excluded_same_cutoff"]].sum() / pairs["asks"].sum()
    share = summary["overall"]["excluded_share_same_cutoff"]
    assert share == pytest.approx(excluded, abs=1e-6)  # the summary keeps six digits
    assert share != pytest.approx(pairs["excluded_same_cutoff"].mean(), abs=1e-3)  # weighted


def _question_texts_found(log: Path, files: list[Path]) -> list[str]:
    texts = {
        " ".join(json.loads(line)["query"].split()).lower() for line in log.read_text().splitlines()
    }
    found = []
    for path in files:
        if path.suffix == ".parquet":
            content = pd.read_parquet(path).to_csv()
        else:
            content = html.unescape(path.read_text(encoding="utf-8", errors="replace"))
        found += [f"{path.name}: {t}" for t in texts if t in content.lower()]
    return found


def test_redacted_queries_leave_no_question_text_in_the_bundle_or_report(production, tmp_path):
    root, corpus, _, log = production
    for redact in (False, True):  # near misses carry each question: both sides encode them
        out, report = tmp_path / f"out{redact}", tmp_path / f"report{redact}.html"
        extra = ["--query-log", str(log), "--near-misses", "rules", "--report", str(report)]
        extra += ["--remedies", "floor"]  # each remedy setting's own bundle, too
        args = compare_args(corpus, "default", "default", out, "--k", "3", *extra)
        args[0] = "report"
        assert main([*args, *(["--redact-queries"] if redact else [])]) == 0
        files = [p for p in out.rglob("*") if p.is_file()] + [report]
        found = _question_texts_found(log, files)
        assert any("remedies" in p.parts for p in files)
        if not redact:  # the check finds the questions where they are written
            assert any(f.startswith("queries.parquet") for f in found)
            assert any(f.startswith(report.name) for f in found)
        else:
            assert found == []
    summary = json.loads((out / "summary.json").read_text())
    assert summary["manifest"]["redaction"]["kept"].startswith("each question's id and domain")
    salt = summary["manifest"]["corpus"]["queries_from"]["redacted"]["salt"]
    assert salt.startswith("random, for this run only")
    queries = pd.read_parquet(out / "queries.parquet")
    assert (queries["text"] == queries["query_id"]).all()


def test_the_llms_answers_are_left_out_of_a_redacted_bundle():
    from analysis.bundle.files import Bundle
    from analysis.bundle.redact import redacted
    from analysis.bundle.summary import Summary

    corpus = Corpus(
        "hand", ("d0",), ("text",), ("legal",), ("log-1",), ("who signs for us",), ("legal",)
    )
    frame = pd.DataFrame(
        {
            "query_id": ["log-1"],
            "text": ["who signs for us"],
            "llm_answer_baseline": ["The director signs for us."],
            "llm_answer_candidate": ["who signs for us? the director"],
            "score": [0.5],
        }
    )
    raw = {"manifest": {"notes": ["who signs for us"]}, "overall": {}, "domains": {}}
    bundle = redacted(Bundle(Summary(raw), {"queries": frame}), corpus)
    row = bundle.tables["queries"].iloc[0]
    assert row["text"] == "log-1" and row["score"] == 0.5
    assert row["llm_answer_baseline"] is None and row["llm_answer_candidate"] is None
    assert bundle.summary.raw["manifest"]["notes"] == ["log-1"]
    assert frame["text"][0] == "who signs for us"  # the bundle it was given is untouched


def test_the_setup_page_runs_a_redacted_query_log(production, tmp_path, monkeypatch):
    _, corpus, candidate, log = production
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    at = setup_page_on(corpus)
    at.text_input(key="setup_query_log").set_value(str(log)).run()
    at.checkbox(key="setup_redact_queries").check().run()
    at.selectbox(key="setup_Candidate_kind").set_value("store").run()
    at.text_input(key="setup_Candidate_value").set_value(candidate).run()
    at.checkbox(key="setup_projection").uncheck().run()
    at.number_input(key="setup_k").set_value(3).run()
    at.button(key="setup_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    run = at.session_state["run"]
    assert run["query_log"] == str(log) and run["redact_queries"] is True
    at.switch_page("views/overview.py").run()
    assert not at.exception
    shown = " ".join(" ".join(str(m.value).split()) for m in [*at.markdown, *at.caption])
    assert "distinct questions from the query log log.jsonl" in shown
    assert "Redacted: the bundle keeps a salted hash of each question" in shown


def test_the_llms_preference_weighs_each_question_by_its_asks(production, tmp_path, monkeypatch):
    from tests.llm_server import chat_server
    from tests.test_llm import first_words

    _, corpus, candidate, log = production
    monkeypatch.setenv("RH_KEY", "sk-test")
    out = tmp_path / "out"
    with chat_server(first_words) as server:
        llm = ["--llm-base-url", server.url, "--llm-model", "m", "--llm-api-key-env", "RH_KEY"]
        args = compare_args(corpus, "default", candidate, out, "--k", "3", "--query-log", str(log))
        assert main([*args, *llm]) == 0
    summary = json.loads((out / "summary.json").read_text())
    queries = pd.read_parquet(out / "queries.parquet")
    rows = queries[queries["llm_preference"].notna()]
    assert len(rows) == 18 and rows["llm_preference"].nunique() > 1
    weighted = np.average(rows["llm_preference"], weights=rows["asks"])
    assert summary["overall"]["llm"]["preference"] == pytest.approx(weighted, abs=1e-6)
    assert weighted != pytest.approx(rows["llm_preference"].mean(), abs=1e-3)  # asks count


def test_a_logs_reference_answers_give_answer_coverage_weighted_by_asks(production, tmp_path):
    _, corpus, candidate, _ = production
    log = write_jsonl(
        tmp_path / "answered.jsonl",
        [
            {"query": f"{ASKED} {text}?", "count": 1 + 3 * n, "answers": f"{domain} note {n}"}
            for domain, texts in TOPICS.items()
            for n, text in enumerate(texts[:3])
        ]
        + [{"query": f"{ASKED} {TOPICS['legal'][0]}?", "answers": ["liability"]}],
    )
    out = tmp_path / "out"
    args = compare_args(corpus, "default", candidate, out, "--k", "1", "--query-log", str(log))
    assert main(args) == 0
    queries = pd.read_parquet(out / "queries.parquet")
    assert queries["reference_answers"].notna().all()
    merged = queries[queries["asks"] == 2]  # the question asked twice: both rows' answers
    assert merged["reference_answers"].iloc[0].split(" | ") == ["legal note 0", "liability"]
    summary = json.loads((out / "summary.json").read_text())
    coverage = summary["overall"]["answers"]["answer_coverage"]
    for side in ("baseline", "candidate"):
        expected = np.average(queries[f"covered_{side}"], weights=queries["asks"])
        assert coverage[side] == pytest.approx(expected, abs=1e-6)
    assert coverage["candidate"] != pytest.approx(queries["covered_candidate"].mean(), abs=1e-3)


def test_a_parquet_log_with_real_timestamps_and_counts(tmp_path):
    path = tmp_path / "log.parquet"
    pd.DataFrame(
        {
            "text": ["reset my password", "Reset my  password", "close my account"],
            "count": [2, 3, 1],
            "timestamp": pd.to_datetime(["2026-10-01 08:00", "2026-11-30 17:30", None]),
            "domain": ["support", None, None],
        }
    ).to_parquet(path)
    log = read_query_log(path)
    by_text = {q.text: q for q in log.questions}
    reset = by_text["reset my password"]
    assert (reset.asks, reset.domain) == (5, "support")
    assert (reset.first_seen, reset.last_seen) == ("2026-10-01T08:00:00Z", "2026-11-30T17:30:00Z")
    assert by_text["close my account"].domain == TO_INFER and log.asks == 6
