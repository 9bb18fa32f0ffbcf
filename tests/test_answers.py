"""Answer coverage: reference answers in, the context definition, the measure, the gate.

The SQuAD check recomputes coverage independently: its own cosine ranking (NumPy argsort),
its own normalisation (written here, not the tool's) and DPR-style token matching.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from analysis.bundle.summary import build_summary
from analysis.cli import main
from analysis.compare import compare, embed_pair
from analysis.context import context_parts, context_text
from analysis.errors import InputError
from analysis.inputs.cache import EmbeddingCache
from analysis.inputs.corpus import load_corpus
from analysis.inputs.embed import CorpusEmbeddings
from analysis.inputs.specs import resolve_source
from analysis.metrics.answer_text import contains_answer, normalize_answer
from analysis.metrics.answers import ANSWERS
from analysis.settings import CompareConfig
from tests.fakes import CLINICAL_DOCS, LEGAL_DOCS, write_beir

SQUAD = Path(__file__).resolve().parents[2] / "shared" / "qa" / "squad_dev5"


# Normalisation and matching, by hand -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("The Eiffel Tower", "eiffel tower"),
        ("an apple, a pear", "apple pear"),
        ("Théâtre  du   Châtelet!", "théâtre du châtelet"),
        ("«quoted» — dash…", "quoted dash"),
        ("U.S.A.", "usa"),
        ("theatre", "theatre"),  # 'the' inside a word stays
    ],
)
def test_normalisation_by_hand(text: str, normal: str) -> None:
    assert normalize_answer(text) == normal


def test_answers_match_whole_tokens_only() -> None:
    assert contains_answer("The tower was finished in 1889.", ["1889"])
    assert contains_answer("Built by THE Eiffel company", ["eiffel"])
    assert not contains_answer("concatenate", ["cat"])
    assert not contains_answer("anything", ["", "   "])


# The context budget, by hand ---------------------------------------------------------


def test_a_document_cut_mid_way_contributes_only_what_fits() -> None:
    texts = ["alpha beta", "gamma delta", "epsilon"]
    # 10 characters of doc 0, the 2-character separator, then 5 of doc 1
    assert context_text([0, 1, 2], texts, k=3, budget=17) == "alpha beta\n\ngamma"
    assert list(context_parts([0, 1, 2], texts, k=3, budget=17)) == [
        (0, "alpha beta"),
        (1, "gamma"),
    ]
    assert not contains_answer(context_text([0, 1, 2], texts, k=3, budget=17), ["delta"])
    assert contains_answer(context_text([0, 1, 2], texts, k=3, budget=None), ["delta"])
    assert context_text([0, 1, 2], texts, k=1, budget=None) == "alpha beta"


# Coverage at k, by hand --------------------------------------------------------------


def _corpus_with_answers(root: Path) -> Path:
    queries = [
        {"_id": "q0", "text": "x", "answers": ["liability"]},
        {"_id": "q1", "text": "y", "answers": "court"},
    ]
    write_beir(root / "legal", LEGAL_DOCS, queries)
    write_beir(root / "clinical", CLINICAL_DOCS, [{"_id": "q0", "text": "z", "answers": []}])
    return root


def _fixture_vectors() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Documents in corpus order: clinical c1, c2, legal l1 'contract liability clause',
    l2 'court contract', l3; axis i is document i. Queries: clinical/q0 (no answers),
    legal/q0 (answer 'liability'), legal/q1 (answer 'court'). The baseline sends legal/q0
    to l1 and legal/q1 to l2 (both hold their answer); the candidate sends them to c1 and
    c2 (neither does)."""
    docs = np.eye(5)
    base_q = np.array([[1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]], float)
    cand_q = np.array([[1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 1, 0, 0, 0]], float)
    return docs, base_q, cand_q


def _side(name: str, docs: np.ndarray, queries: np.ndarray) -> CorpusEmbeddings:
    return CorpusEmbeddings(name, name, docs.astype(np.float32), queries.astype(np.float32), 0, 0)


def test_coverage_at_k_by_hand(tmp_path: Path) -> None:
    corpus = load_corpus(_corpus_with_answers(tmp_path))
    assert corpus.answers == {"legal/q0": ("liability",), "legal/q1": ("court",)}
    assert any("no answer" in n for n in corpus.notices)  # clinical/q0: answers []
    docs, base_q, cand_q = _fixture_vectors()
    config = CompareConfig(k=1, neighbours=2, permutation_resamples=99)
    summary = build_summary(
        compare(corpus, _side("b", docs, base_q + 0.01), _side("c", docs, cand_q + 0.01), config),
        corpus_source="x",
    )
    legal = summary["domains"]["legal"]["answers"]
    assert legal["n_answered_queries"] == 2
    assert legal["answer_coverage"] == {"baseline": 1.0, "candidate": 0.0}
    assert legal["lost_coverage_queries"] == 2 and legal["delta"] == -1.0
    assert "answers" not in summary["domains"]["clinical"]  # no answered query there


def test_coverage_curve_by_hand(tmp_path: Path) -> None:
    """Ties (all other documents score 0.01) break by corpus order c1, c2, l1, l2, l3: the
    candidate sends legal/q0 to c1, c2, then l1 ('liability') at rank 3, and legal/q1 to c2,
    c1, l1, then l2 ('court') at rank 4."""
    corpus = load_corpus(_corpus_with_answers(tmp_path))
    docs, base_q, cand_q = _fixture_vectors()
    config = CompareConfig(k=1, neighbours=2, permutation_resamples=99)
    base, cand = _side("b", docs, base_q + 0.01), _side("c", docs, cand_q + 0.01)
    comparison = compare(corpus, base, cand, config)
    curve = comparison.result(ANSWERS).curve.set_index(["domain", "model", "k"])["coverage"]
    assert [curve["legal", "candidate", k] for k in (1, 2, 3, 4, 5)] == [0.0, 0.0, 0.5, 1.0, 1.0]
    assert [curve["legal", "baseline", k] for k in (1, 5)] == [1.0, 1.0]


def test_identical_models_have_identical_coverage(tmp_path: Path) -> None:
    corpus = load_corpus(_corpus_with_answers(tmp_path))
    rng = np.random.default_rng(0)
    side = _side("m", rng.normal(size=(5, 4)), rng.normal(size=(3, 4)))
    summary = build_summary(
        compare(corpus, side, side, CompareConfig(k=2, neighbours=2)), corpus_source="x"
    )
    answers = summary["overall"]["answers"]
    base, cand = answers["answer_coverage"]["baseline"], answers["answer_coverage"]["candidate"]
    assert base == cand and answers["delta"] == 0.0 and answers["p_value"] == 1.0


def test_a_corpus_without_answers_has_no_answer_section(tmp_path: Path) -> None:
    write_beir(tmp_path / "legal", LEGAL_DOCS, [{"_id": "q0", "text": "x"}])
    corpus = load_corpus(tmp_path)
    side = _side("m", np.eye(3), np.ones((1, 3)))
    comparison = compare(corpus, side, side, CompareConfig(k=1, neighbours=1))
    summary = build_summary(comparison, corpus_source="x")
    assert "answers" not in summary["overall"] and "context" not in summary["manifest"]["config"]


# Input validation --------------------------------------------------------------------


def test_answers_table_adds_answers_and_reports_unknown_ids(tmp_path: Path) -> None:
    write_beir(tmp_path / "legal", LEGAL_DOCS, [{"_id": "q0", "text": "x"}])
    table = tmp_path / "answers.csv"
    table.write_text("query_id,answer\nlegal/q0,clause\nlegal/q0,court\nghost,x\nlegal/q0,\n")
    corpus = load_corpus(tmp_path, answers=table)
    assert corpus.answers == {"legal/q0": ("clause", "court")}
    assert any("name a query id that is not in the corpus" in n for n in corpus.notices)
    assert any("are empty" in n for n in corpus.notices)


def test_answers_of_the_wrong_type_name_the_line(tmp_path: Path) -> None:
    write_beir(tmp_path / "legal", LEGAL_DOCS, [{"_id": "q0", "text": "x", "answers": 42}])
    with pytest.raises(InputError, match=r"queries.jsonl, line 1: 'answers' is a number"):
        load_corpus(tmp_path)


def test_answers_change_the_fingerprint_only_when_present(tmp_path: Path) -> None:
    write_beir(tmp_path / "a" / "legal", LEGAL_DOCS, [{"_id": "q0", "text": "x"}])
    write_beir(tmp_path / "b" / "legal", LEGAL_DOCS, [{"_id": "q0", "text": "x", "answers": "y"}])
    assert load_corpus(tmp_path / "a").fingerprint != load_corpus(tmp_path / "b").fingerprint


# The gate ----------------------------------------------------------------------------


def test_the_gate_fails_on_lost_coverage(tmp_path: Path, capsys) -> None:
    corpus = _corpus_with_answers(tmp_path / "corpus")
    loaded = load_corpus(corpus)
    ids = list(loaded.doc_ids) + [f"query:{q}" for q in loaded.query_ids]
    docs, base_q, cand_q = _fixture_vectors()
    queries = {"base": base_q, "cand": cand_q}
    specs = {}
    for name, rows in queries.items():
        from analysis.inputs.vectors import write_vector_table

        write_vector_table(tmp_path / f"{name}.parquet", ids, np.vstack([docs, rows]) + 0.01)
        specs[name] = f"vectors:{tmp_path / f'{name}.parquet'}"
    policy = tmp_path / "policy.toml"
    policy.write_text("[defaults]\nmax_relative_drop_answer_coverage = 0.1\n")
    args = [
        "check", "--corpus", str(corpus), "--baseline", specs["base"], "--candidate",
        specs["cand"], "--out", str(tmp_path / "out"), "--k", "1", "--neighbours", "2",
        "--policy", str(policy),
    ]  # fmt: skip
    assert main(args) == 1
    assert "answer coverage fell 100.0%" in capsys.readouterr().out


# SQuAD, recomputed independently -----------------------------------------------------


def _normal(text: str) -> list[str]:
    """Written apart from the tool: drop punctuation (any Unicode P* or ASCII punctuation
    symbol), lower-case, drop articles, split on whitespace."""
    symbols = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    text = "".join(
        c for c in text.lower() if c not in symbols and unicodedata.category(c)[0] != "P"
    )
    return [t for t in re.split(r"\s+", text) if t and t not in ("a", "an", "the")]


def _has(context_tokens: list[str], answer: str) -> bool:
    needle = _normal(answer)
    n = len(needle)
    return n > 0 and any(context_tokens[i : i + n] == needle for i in range(len(context_tokens)))


def _independent_coverage(corpus, side: CorpusEmbeddings, k: int) -> dict[str, float]:
    def unit(m: np.ndarray) -> np.ndarray:
        return m / np.linalg.norm(m, axis=1, keepdims=True)

    scores = unit(side.queries.astype(np.float64)) @ unit(side.documents.astype(np.float64)).T
    per_domain: dict[str, list[bool]] = {}
    for q, query_id in enumerate(corpus.query_ids):
        if query_id not in corpus.answers:
            continue
        top = np.argsort(-scores[q], kind="stable")[:k]
        tokens = _normal(" ".join(corpus.doc_texts[d] for d in top))
        covered = any(_has(tokens, a) for a in corpus.answers[query_id])
        per_domain.setdefault(corpus.query_domains[q], []).append(covered)
    return {name: float(np.mean(values)) for name, values in per_domain.items()}


@pytest.mark.real_model
@pytest.mark.skipif(not SQUAD.is_dir(), reason="../shared/qa/squad_dev5 is not beside the checkout")
def test_squad_coverage_agrees_with_an_independent_computation(tmp_path: Path) -> None:
    corpus = load_corpus(SQUAD)
    model = resolve_source("default")
    base, _ = embed_pair(corpus, model, model, cache=EmbeddingCache(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    noisy_docs = base.documents.copy()
    victims = np.array(corpus.doc_domains) == "normans"
    scale = np.linalg.norm(noisy_docs, axis=1).mean()
    noisy_docs[victims] += rng.normal(size=noisy_docs[victims].shape) * 0.08 * scale
    candidate = CorpusEmbeddings("noisy", "noisy", noisy_docs, base.queries, 0, 0)
    config = CompareConfig(k=3, permutation_resamples=999)
    for other in (base, candidate):
        summary = build_summary(compare(corpus, base, other, config), corpus_source="squad")
        expected_base = _independent_coverage(corpus, base, 3)
        expected_cand = _independent_coverage(corpus, other, 3)
        for name, section in summary["domains"].items():
            coverage = section["answers"]["answer_coverage"]
            assert coverage["baseline"] == pytest.approx(expected_base[name], abs=1e-6), name
            assert coverage["candidate"] == pytest.approx(expected_cand[name], abs=1e-6), name
    normans = summary["domains"]["normans"]["answers"]
    assert normans["lost_coverage_queries"] > 0  # the perturbation cost coverage there
    json.dumps(summary)  # and the summary stays JSON


# Coverage at a cutoff, by hand -------------------------------------------------------


def _fixture_comparison(root: Path, **settings):
    corpus = load_corpus(_corpus_with_answers(root))
    docs, base_q, cand_q = _fixture_vectors()
    base, cand = _side("b", docs, base_q + 0.01), _side("c", docs, cand_q + 0.01)
    config = CompareConfig(neighbours=2, permutation_resamples=99, **settings)
    return compare(corpus, base, cand, config)


def test_coverage_at_a_cutoff_by_hand(tmp_path: Path) -> None:
    """Each query's own axis scores 1.01 / |q| = 0.9998 and every other document
    0.01 / |q| = 0.0099. The baseline's carriers score 0.9998; the candidate's carriers
    (ranks 3 and 4) score 0.0099: a cutoff of 0.5 shuts them out, one of 0.005 lets every
    document in."""
    high = _fixture_comparison(tmp_path / "a", k=1, cutoff=0.5, context_by="cutoff")
    summary = build_summary(high, corpus_source="x")
    legal = summary["domains"]["legal"]["answers"]
    assert legal["answer_coverage"] == {"baseline": 1.0, "candidate": 0.0}
    assert summary["manifest"]["config"]["context"]["by"] == "cutoff"
    low = _fixture_comparison(tmp_path / "b", k=1, cutoff=0.005, context_by="cutoff")
    legal = build_summary(low, corpus_source="x")["domains"]["legal"]["answers"]
    assert legal["answer_coverage"] == {"baseline": 1.0, "candidate": 1.0}  # k plays no part


def test_coverage_curve_over_the_cutoff_by_hand(tmp_path: Path) -> None:
    result = _fixture_comparison(tmp_path, k=1).result(ANSWERS)
    curve = result.cutoff_curve.set_index(["domain", "model", "cutoff"])["coverage"]
    assert curve["legal", "candidate", 0.0] == 1.0  # both carriers score 0.0099
    assert curve["legal", "candidate", 0.01] == 0.0
    assert curve["legal", "baseline", 0.99] == 1.0  # both carriers score 0.9998
    assert curve["legal", "baseline", 1.0] == 0.0


def test_a_budget_that_cuts_the_answer_off_loses_coverage(tmp_path: Path) -> None:
    """The baseline's carriers are l1 (its title first: 'Liability ...') for legal/q0 and
    l2 ('court contract') for legal/q1: 9 characters keep 'Liability' and 'court', 4 keep
    only 'Liab' and 'cour'."""
    kept = build_summary(
        _fixture_comparison(tmp_path / "a", k=1, context_budget=9), corpus_source="x"
    )
    cut = build_summary(
        _fixture_comparison(tmp_path / "b", k=1, context_budget=4), corpus_source="x"
    )
    assert kept["domains"]["legal"]["answers"]["answer_coverage"]["baseline"] == 1.0
    assert cut["domains"]["legal"]["answers"]["answer_coverage"]["baseline"] == 0.0
    assert cut["manifest"]["config"]["context"]["budget_unit"] == "characters"


def test_both_contexts_of_a_lost_query_are_kept_with_the_answer_located(tmp_path: Path) -> None:
    result = _fixture_comparison(tmp_path, k=2).result(ANSWERS)
    contexts = result.contexts
    assert set(contexts["query_id"]) == {"legal/q0", "legal/q1"}  # the two that lost coverage
    base = contexts[(contexts["query_id"] == "legal/q1") & (contexts["model"] == "baseline")]
    assert list(base["doc_id"]) == ["legal/l2", "clinical/c1"]  # top-2, in rank order
    carrier = base.iloc[0]
    assert carrier["carries"] and carrier["text"][carrier["span_start"] : carrier["span_end"]] == (
        "court"
    )
    cand = contexts[(contexts["query_id"] == "legal/q1") & (contexts["model"] == "candidate")]
    assert not cand["carries"].any() and cand["span_start"].isna().all()
    frame = result.to_frame().set_index("query_id")
    # the baseline's carrier of legal/q1 is l2, which the candidate ranks 4th
    assert frame.loc["legal/q1", "answer_doc_baseline_rank_candidate"] == 4
    assert frame.loc["legal/q1", "reference_answers"] == "court"


# Judged-relevant coverage where there are no answers ---------------------------------


def _judged_corpus(root: Path) -> Path:
    queries = [{"_id": "q0", "text": "x"}, {"_id": "q1", "text": "y"}]
    judged = [("q0", "l1", 2), ("q0", "l2", 1), ("q1", "l3", 0)]  # q1: nothing relevant
    write_beir(root / "legal", LEGAL_DOCS, queries, judged)
    return root


def _judged_sides() -> tuple[CorpusEmbeddings, CorpusEmbeddings]:
    """Documents l1, l2, l3 on the axes; the baseline sends q0 to l1 (grade 2, the top),
    the candidate to l2 (grade 1); q1 goes to l3 under both."""
    docs = np.eye(3) + 0.01
    base_q = np.array([[1, 0, 0], [0, 0, 1]], float) + 0.01
    cand_q = np.array([[0, 1, 0], [0, 0, 1]], float) + 0.01
    return _side("b", docs, base_q), _side("c", docs, cand_q)


def test_judged_relevant_coverage_by_hand_and_never_called_answer_coverage(
    tmp_path: Path,
) -> None:
    corpus = load_corpus(_judged_corpus(tmp_path))
    base, cand = _judged_sides()
    comparison = compare(corpus, base, cand, CompareConfig(k=1, neighbours=1))
    summary = build_summary(comparison, corpus_source="x")
    judged = summary["domains"]["legal"]["judged_coverage"]
    assert judged["n_judged_queries"] == 1  # q1 has no positive grade
    assert judged["judged_relevant_coverage"] == {"baseline": 1.0, "candidate": 0.0}
    assert judged["lost_coverage_queries"] == 1
    assert "answers" not in summary["domains"]["legal"] and "answers" not in summary["overall"]
    frame = comparison.result(ANSWERS).to_frame()
    assert "covered_baseline" not in frame and frame["judged_covered_baseline"].iloc[0] == 1.0
    assert frame["top_grade_docs"].iloc[0] == "legal/l1"


def test_judged_coverage_is_labelled_and_gated_as_such(tmp_path: Path, capsys) -> None:
    from analysis.inputs.vectors import write_vector_table

    corpus = _judged_corpus(tmp_path / "corpus")
    loaded = load_corpus(corpus)
    ids = list(loaded.doc_ids) + [f"query:{q}" for q in loaded.query_ids]
    specs = []
    for name, side in zip(("base", "cand"), _judged_sides(), strict=True):
        write_vector_table(
            tmp_path / f"{name}.parquet", ids, np.vstack([side.documents, side.queries])
        )
        specs.append(f"vectors:{tmp_path / f'{name}.parquet'}")
    policy = tmp_path / "policy.toml"
    policy.write_text("[defaults]\nmax_relative_drop_judged_coverage = 0.1\n")
    args = [
        "check", "--corpus", str(corpus), "--baseline", specs[0], "--candidate", specs[1],
        "--out", str(tmp_path / "out"), "--k", "1", "--neighbours", "1", "--policy", str(policy),
    ]  # fmt: skip
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "judged-relevant coverage fell 100.0%" in out
    # the terminal says what the report says: the Answers section's own words
    assert "no reference answers, so answer coverage cannot be measured" in out
    assert "is not answer coverage" in out and "Judged-relevant coverage per domain" in out
    from analysis.bundle.files import load_bundle
    from reporting.sections import answers as section
    from reporting.sections.base import Context, Table, Text

    blocks = section.blocks(load_bundle(tmp_path / "out"), Context())
    texts = " ".join(b.text for b in blocks if isinstance(b, Text))
    assert "is not answer coverage" in texts
    titles = [b.title for b in blocks if isinstance(b, Table)]
    assert titles[0] == "Judged-relevant coverage per domain"
    assert not any("Answer coverage" in t for t in titles)


def test_the_report_prints_both_contexts_with_the_answer_marked_and_text_escaped(
    tmp_path: Path,
) -> None:
    from analysis.bundle.files import load_bundle, write_comparison
    from analysis.verdict.gate import evaluate, load_policy
    from reporting.html import render

    comparison = _fixture_comparison(tmp_path / "corpus", k=2)
    write_comparison(comparison, tmp_path / "out", corpus_source="x")
    bundle = load_bundle(tmp_path / "out")  # read back, as a reviewer without models would
    policy = load_policy()
    document = render(bundle, gate=evaluate(bundle.summary, policy), policy_source=policy.source)
    section = document[document.index('<section id="answers">') :]
    section = section[: section.index("</section>")]
    assert "Lost: legal/q0" in section and "Lost: legal/q1" in section
    assert "Baseline context: holds an answer" in section
    assert "Candidate context: does not hold an answer" in section
    assert "<mark>court</mark>" in section and "<mark>liability</mark>" in section.lower()
    assert "#1 · legal/l2 · score" in section


def test_a_passage_escapes_the_document_and_marks_only_the_span() -> None:
    from reporting.html import passage_html
    from reporting.sections.base import Passage

    text = "<script>x</script> the court & the clause"
    start = text.index("court")
    shown = passage_html(Passage("#1 · <d1>", text, (start, start + 5), marked=True))
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "&lt;d1&gt;" in shown
    assert shown.count("<mark>") == 1 and "<mark>court</mark> &amp; the clause" in shown
    assert "passage marked" in shown


def test_the_array_path_finds_the_carriers_the_walk_finds() -> None:
    from analysis.context import CHARACTERS
    from analysis.metrics.answer_contexts import ContextSetting
    from analysis.metrics.carriers import first_carrier, first_listed
    from analysis.retrieval import Ranking

    rng = np.random.default_rng(9)
    n_queries, n_docs = 50, 30
    indices = np.array([rng.permutation(n_docs)[:12] for _ in range(n_queries)])
    indices[rng.random(indices.shape) < 0.15] = -1  # padding, some between documents
    ranking = Ranking(indices, rng.random(indices.shape).astype(np.float32))
    listed = {q: set(rng.choice(n_docs, int(rng.integers(0, 4))).tolist()) for q in range(40)}
    rows = np.arange(40)
    rank, doc = first_listed(ranking, rows, listed)
    setting = ContextSetting("top-k", 10, 0.5, None, CHARACTERS)
    for q in rows:
        hit = first_carrier(ranking, q, ["x"] * n_docs, setting, lambda q, d, _: d in listed[q])
        assert (rank[q], doc[q]) == ((hit[0], hit[2]) if hit else (0, -1))
