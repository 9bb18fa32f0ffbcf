"""The near-miss family: sensitivity and margins per domain and rule, computed by hand on
small vectors; --near-misses on a real model end to end (table, report, scorecard, gate);
the user's own file; and the inputs it refuses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.cli import main
from analysis.metrics.grouping import OVERALL
from analysis.metrics.near_miss import near_miss_sensitivity
from analysis.nearmiss.columns import Item, Items
from analysis.nearmiss.encoded import EncodedTexts, NearMissItems
from tests.fakes import write_beir, write_jsonl
from tests.signflips import brute_force_p, shared_signs

Q = np.array([[1.0, 0.0]])
CLOSE, FAR = np.array([[0.8, 0.6]]), np.array([[0.6, 0.8]])


def _encoded(domains, rules, vectors):
    """Items of one query each whose passage and near miss are their own texts, with each
    model's (query, passage, near miss) vectors per item: ``vectors`` holds six arrays."""
    n = len(domains)
    made = Items.of(
        [
            Item("q", 0, "d", domain, rule, f"p{i}", f"n{i}", (0, 0, 0, 1))
            for i, (domain, rule) in enumerate(zip(domains, rules, strict=True))
        ],
        "judged pairs",
        {},
    )
    sides = []
    for queries, passages, near in (vectors[:3], vectors[3:]):
        texts = np.empty((2 * n, queries.shape[1]))
        texts[made.passage_rows], texts[made.near_miss_rows] = passages, near
        sides.append(EncodedTexts(queries, texts))
    return NearMissItems(made, np.arange(n), *sides)


def _items(domains, rules, base, cand):
    """Items whose passage and near miss are CLOSE or FAR from the query, per model."""
    n = len(domains)
    pick = {"right": (CLOSE, FAR), "fooled": (FAR, CLOSE)}
    queries = np.repeat(Q, n, axis=0)
    base_p, base_n, cand_p, cand_n = (
        np.vstack([pick[v][i] for v in side]) for side in (base, cand) for i in (0, 1)
    )
    return _encoded(domains, rules, [queries, base_p, base_n, queries, cand_p, cand_n])


def test_sensitivity_and_margins_per_domain_and_rule():
    items = _items(
        ["legal", "legal", "legal", "legal", "clinical", "clinical"],
        ["negation", "negation", "number", "number", "negation", "number"],
        ["fooled", "fooled", "right", "fooled", "right", "right"],
        ["right", "right", "right", "right", "fooled", "right"],
    )
    result = near_miss_sensitivity(items, n_resamples=2000)
    assert result.margin_baseline[0] == pytest.approx(-0.2)  # 0.6 - 0.8
    figures = result.by_domain(["legal", "clinical"])
    legal = figures["legal"].rules
    assert legal["all"]["n"] == 4
    assert legal["all"]["sensitivity_baseline"] == 0.25
    assert legal["all"]["sensitivity_candidate"] == 1.0
    assert figures["legal"].gain() == 0.75
    assert legal["negation"]["sensitivity_baseline"] == 0.0
    assert legal["number"]["margin_candidate"] == pytest.approx(0.2)
    assert figures["clinical"].gain() == -0.5
    assert figures[OVERALL].rules["all"]["n"] == 6
    # three items moved by +0.4 each and none back: p = 2/8 by exact sign flips, and the
    # adjustment across the two domains never makes a p smaller
    assert legal["all"]["p_value"] == pytest.approx(0.25, abs=0.03)
    assert legal["all"]["p_value_bh"] >= legal["all"]["p_value"]
    frame = result.to_frame()
    assert list(frame["sensitive_candidate"]) == [True, True, True, True, False, True]


DOCS = {
    "legal": [
        "The supplier shall indemnify the customer against third-party claims. Fees are due "
        "within thirty days.",
        "Either party may terminate the agreement before renewal. Notice must be written.",
        "The customer must not assign the licence. The supplier may audit usage yearly.",
    ],
    "clinical": [
        "Patients should not take the tablet with alcohol. Take two doses daily.",
        "Stop the infusion if symptoms worsen. Nurses record the dose before each round.",
        "The doctor must review the patient within four weeks. Labs are drawn monthly.",
    ],
}
QUERIES = {
    "legal": ["who indemnifies the customer", "when can the agreement be terminated"],
    "clinical": ["can the tablet be taken with alcohol", "when to stop the infusion"],
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("near-miss")
    for domain, texts in DOCS.items():
        docs = [{"_id": f"{domain}{i}", "text": t} for i, t in enumerate(texts)]
        queries = [{"_id": f"q{i}", "text": t} for i, t in enumerate(QUERIES[domain])]
        qrels = [(f"q{i}", f"{domain}{i}", 1) for i in range(len(queries))]
        write_beir(root / "corpus" / domain, docs, queries, qrels)
    return root


def _compare(root, out, *extra):
    return main(
        ["compare", "--corpus", str(root / "corpus"), "--baseline", "default"]
        + ["--candidate", "default", "--out", str(out), "--k", "2", "--neighbours", "2"]
        + ["--cache-dir", str(root / "cache"), *extra]
    )


def test_each_group_is_tested_on_its_own_items():
    """Every (domain, rule) group, domain and rule gets the p-value of its own items' sign
    flips (the signs shared between the groups, drawn once per item)."""
    rng = np.random.default_rng(3)
    sizes = {("a", "negation"): 40, ("a", "number"): 7, ("b", "negation"): 15}
    sizes |= {("b", "number"): 60, ("c", "negation"): 3}
    domains = [d for (d, _), n in sizes.items() for _ in range(n)]
    rules = [r for (_, r), n in sizes.items() for _ in range(n)]
    order = rng.permutation(len(domains))  # items of one group need not be adjacent
    domains, rules = [domains[i] for i in order], [rules[i] for i in order]
    n = len(domains)
    unit = rng.normal(size=(6, n, 4))
    items = _encoded(domains, rules, list(unit))
    result = near_miss_sensitivity(items, n_resamples=999)
    figures = result.by_domain(["a", "b", "c", "d"])
    differences = result.margin_candidate - result.margin_baseline
    finest = sorted(sizes)
    blocks = [np.flatnonzero((np.array(domains) == d) & (np.array(rules) == r)) for d, r in finest]
    signs = shared_signs(blocks, 999, 0)
    for domain in ("a", "b", "c", "d", OVERALL):
        for rule in ("all", "negation", "number"):
            chosen = [
                b
                for b, (d, r) in enumerate(finest)
                if domain in (d, OVERALL) and rule in (r, "all")
            ]
            got = figures[domain].rules[rule]
            rows = np.concatenate([np.zeros(0, int), *(blocks[b] for b in chosen)])
            assert got["n"] == len(rows)
            if len(rows) == 0:
                assert got["p_value"] is None
                continue
            assert got["p_value"] == brute_force_p(differences, blocks, chosen, signs)
    assert len({figures[d].rules["all"]["p_value"] for d in ("a", "b", "c")}) == 3


def test_near_misses_by_rule_end_to_end(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert _compare(corpus, out, "--near-misses", "rules") == 0
    printed = capsys.readouterr().out
    assert "Sensitivity to near misses per domain" in printed
    import pandas as pd

    items = pd.read_parquet(out / "near_misses.parquet")
    assert set(items["domain"]) == {"legal", "clinical"}
    assert set(items["rule"]) <= {"negation", "role_swap", "number", "condition"}
    for _, item in items.iterrows():
        assert item["passage"] != item["near_miss"]
        kept = item["passage"][: item["edit_start"]]
        assert item["near_miss"].startswith(kept)
    # the same model on both sides: every margin equal, sensitivity unchanged, p = 1
    assert np.allclose(items["margin_baseline"], items["margin_candidate"])
    summary = json.loads((out / "summary.json").read_text())
    legal = summary["domains"]["legal"]["near_miss"]["all"]
    assert legal["sensitivity_baseline"] == legal["sensitivity_candidate"]
    assert legal["p_value_bh"] == 1.0
    assert summary["near_miss"]["items_from"] == "judged pairs"
    assert main(["report", "--from", str(out), "--report", str(out / "r.html")]) == 0
    report = (out / "r.html").read_text(encoding="utf-8")
    assert "Near misses" in report and "Sensitivity to near misses per domain" in report
    policy = tmp_path / "policy.toml"
    policy.write_text("[domains.legal]\nmin_near_miss_sensitivity_gain = 0.05\n")
    assert main(["check", "--from", str(out), "--policy", str(policy)]) == 1
    verdict = capsys.readouterr().out
    assert "near-miss sensitivity changed +0.0 points (min gain 5)" in verdict
    _the_page_picks_an_item_and_highlights_its_edit(out, tmp_path)
    plain = tmp_path / "plain"
    assert _compare(corpus, plain) == 0  # no near misses: the guardrail fails closed
    assert main(["check", "--from", str(plain), "--policy", str(policy)]) == 1
    assert "measured no near misses" in capsys.readouterr().out


@pytest.mark.real_model
def test_the_users_own_near_misses_and_their_errors(corpus, tmp_path, capsys):
    mine = write_jsonl(
        tmp_path / "mine.jsonl",
        [
            {
                "query": "who indemnifies the customer",
                "document": "legal/legal0",
                "near_miss": "The customer shall indemnify the supplier.",
            },
            {
                "query": "dose with food",
                "passage": "Take the tablet with food.",
                "near_miss": "Take the tablet without food.",
                "domain": "clinical",
            },
        ],
    )
    out = tmp_path / "out"
    assert _compare(corpus, out, "--near-misses", str(mine)) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["near_miss"]["items_from"] == "file mine.jsonl"
    assert summary["domains"]["clinical"]["near_miss"]["file"]["n"] == 1
    bad = write_jsonl(
        tmp_path / "bad.jsonl", [{"query": "q", "document": "ghost", "near_miss": "x"}]
    )
    assert _compare(corpus, tmp_path / "bad", "--near-misses", str(bad)) == 2
    assert "bad.jsonl, line 1: document 'ghost' is not in the corpus" in capsys.readouterr().err
    empty = write_jsonl(tmp_path / "empty.jsonl", [{"query": "q", "document": "legal/legal0"}])
    assert _compare(corpus, tmp_path / "e", "--near-misses", str(empty)) == 2
    assert "empty.jsonl, line 1: missing near_miss" in capsys.readouterr().err
    assert _compare(corpus, tmp_path / "m", "--near-misses", str(tmp_path / "nope.csv")) == 2
    assert "no such file (or give 'rules')" in capsys.readouterr().err


def test_near_misses_need_models_on_both_sides(tmp_path, capsys):
    from tests.dashboard_fixture import build

    specs = build(tmp_path)
    code = main(
        ["compare", "--corpus", specs["corpus"], "--baseline", specs["baseline"]]
        + ["--candidate", specs["candidate"], "--out", str(tmp_path / "o"), "--k", "3"]
        + ["--near-misses", "rules"]
    )
    assert code == 2
    assert "is precomputed vectors; the near misses are new texts" in capsys.readouterr().err


def test_file_and_rule_errors_name_the_line_or_say_why(tmp_path):
    from analysis.errors import InputError
    from analysis.inputs.corpus import load_corpus
    from analysis.nearmiss.items import items_by_rule, items_from_file

    folder = write_beir(
        tmp_path / "c" / "legal",
        [{"_id": "d1", "text": "Ask us."}, {"_id": "d2", "text": "Thanks."}],
        [{"_id": "q1", "text": "help"}],
        [("q1", "d1", 1)],
    )
    corpus = load_corpus(folder)
    with pytest.raises(InputError, match="no rule could edit any passage of the judged pairs"):
        items_by_rule(corpus)
    rows = {
        "ghost.jsonl": (
            {"query_id": "q9", "document": "d1", "near_miss": "x"},
            "line 1: query 'q9' is not a query of the corpus",
        ),
        "empty.jsonl": ({"query": "", "document": "d1", "near_miss": "x"}, "line 1: missing query"),
        "nomiss.jsonl": ({"query_id": "q1", "document": "d1"}, "line 1: missing near_miss"),
        "nodoc.jsonl": ({"query_id": "q1", "near_miss": "x"}, "line 1: give a document"),
        "same.jsonl": (
            {"query_id": "q1", "document": "d1", "near_miss": "Ask us."},
            "the near miss is the passage itself",
        ),
    }
    for name, (row, message) in rows.items():
        with pytest.raises(InputError, match=message):
            items_from_file(write_jsonl(tmp_path / name, [row]), corpus)
    made = items_from_file(
        write_jsonl(
            tmp_path / "ok.jsonl", [{"query_id": "q1", "document": "d1", "near_miss": "Ask them."}]
        ),
        corpus,
    )
    (item,) = made.items
    assert (item.query, item.query_position, item.rule) == ("help", 0, "file")
    assert item.passage[item.spans[0] : item.spans[1]] == "us"
    assert item.near_miss[item.spans[2] : item.spans[3]] == "them"


def _the_page_picks_an_item_and_highlights_its_edit(out, tmp_path):
    """The Near misses page on the saved output: its table, then the first item's passage
    and near miss side by side, each with its edit marked."""
    import os
    import sys
    from pathlib import Path
    from unittest import mock

    from streamlit.testing.v1 import AppTest

    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    env = {"RECALL_HORIZON_CACHE": str(tmp_path / "dash-cache")}
    with (
        mock.patch.dict(os.environ, env),
        mock.patch.object(sys, "argv", ["app.py", "--open", str(out)]),
    ):
        at = AppTest.from_file(str(app), default_timeout=120)
        at.run()
        at.switch_page("views/near_miss.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Near misses"
    shown = [str(e.proto) for e in at.get("html")]
    assert sum("<mark" in html for html in shown) >= 1  # an insertion marks the near miss only


def test_rule_items_are_stored_whole_and_a_bad_file_is_not_read(corpus, tmp_path):
    from analysis.inputs.corpus import load_corpus
    from analysis.nearmiss.items import items_by_rule
    from analysis.nearmiss.stored import items_key, load_items, save_items

    loaded = load_corpus(corpus / "corpus")
    made = items_by_rule(loaded)
    path = tmp_path / "near-misses" / f"{items_key(loaded, None, 0)}.npz"
    save_items(made, path)
    assert load_items(path, loaded.n_queries) == made
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    # what the items are made from names the file
    assert items_key(loaded, None, 1) != items_key(loaded, None, 0)
    assert items_key(loaded, np.array([0, 1]), 0) != items_key(loaded, None, 0)
    with np.load(path, allow_pickle=False) as data:
        stored = {name: data[name] for name in data.files}
    assert len(stored["text_ends"]) < 2 * len(made)  # each passage and near miss once
    assert len(stored["label_ends"]) < 4 * len(made) / 2  # each query, id, domain, rule once

    def changed(name, value):
        return {**stored, name: value}

    rows = stored["passage"]
    broken = [
        changed("rule", stored["rule"][:-1]),  # a column cut short
        changed("passage", np.r_[len(stored["text_ends"]), rows[1:]]),  # past the texts
        changed("near_miss", np.r_[-1, stored["near_miss"][1:]]),  # not a row (no wrapping)
        changed("query", np.r_[len(stored["label_ends"]), stored["query"][1:]]),
        changed("spans", stored["spans"][:-1]),  # not four for every item
        changed("query_position", np.r_[loaded.n_queries, stored["query_position"][1:]]),
        changed("text_ends", np.r_[-1, stored["text_ends"][1:]]),  # an end before the start
        changed("text_ends", stored["text_ends"] + 1),  # ends past the text
        {k: v for k, v in stored.items() if k != "meta"},  # a missing array
    ]
    for arrays in broken:
        np.savez(path, **arrays)
        assert load_items(path, loaded.n_queries) is None
    for garbage in (b"not an npz", b""):
        path.write_bytes(garbage)
        assert load_items(path, loaded.n_queries) is None
    np.savez(path, **stored)
    assert load_items(path, loaded.n_queries) == made


def test_a_zero_vector_has_cosine_zero_and_the_margin_comes_from_the_other_side():
    from analysis.metrics.near_miss import _margins

    queries = np.array([[1.0, 0.0], [0.0, 0.0]], dtype=np.float32)
    texts = np.array([[0.0, 0.0], [1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
    side = EncodedTexts(queries, texts)
    # item 0: cos(q, 0) = 0, cos(q, near) = 0.6; item 1: a zero query, both cosines 0;
    # item 2: the first query again, its passage and near miss swapped
    margins = _margins(side, np.array([0, 1, 0]), np.array([0, 1, 2]), np.array([2, 3, 0]))
    assert margins == pytest.approx([-0.6, 0.0, 0.6])


def test_margins_over_many_chunks_are_each_items_own(monkeypatch):
    """Items are scored a chunk at a time; every item gets its own margin, whatever chunk
    it falls in, as a direct computation gives it."""
    import analysis.metrics.near_miss as family

    monkeypatch.setattr(family, "_CHUNK", 7)
    rng = np.random.default_rng(5)
    side = EncodedTexts(rng.normal(size=(5, 3)), rng.normal(size=(11, 3)))
    q, p, n = rng.integers(0, 5, 30), rng.integers(0, 11, 30), rng.integers(0, 11, 30)

    def cosines(a, b):
        return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)

    queries, texts = side.queries[q], side.texts
    expected = cosines(queries, texts[p]) - cosines(queries, texts[n])
    assert family._margins(side, q, p, n) == pytest.approx(expected, abs=1e-12)


def test_a_files_own_queries_follow_the_corpus_queries_each_once():
    """Items whose query the corpus lacks point past the corpus' queries, one row per
    distinct text; the encoded items refuse rows that fit neither side's vectors."""
    from types import SimpleNamespace

    from analysis.pipeline.near_misses import _query_rows

    made = Items.of(
        [
            Item(query, position, "d", "legal", "file", f"p{i}", f"n{i}", (0, 0, 0, 1))
            for i, (query, position) in enumerate(
                [("own a", -1), ("corpus", 1), ("own b", -1), ("own a", -1)]
            )
        ],
        "file f.jsonl",
        {},
    )
    rows, own = _query_rows(made, SimpleNamespace(n_queries=3))
    assert rows.tolist() == [3, 1, 4, 3] and own == ["own a", "own b"]
    side = EncodedTexts(np.ones((5, 2)), np.ones((8, 2)))
    NearMissItems(made, rows, side, side)  # fits
    with pytest.raises(ValueError, match="query row outside"):
        NearMissItems(made, rows, EncodedTexts(np.ones((4, 2)), np.ones((8, 2))), side)
    with pytest.raises(ValueError, match="text vectors"):
        NearMissItems(made, rows, side, EncodedTexts(np.ones((5, 2)), np.ones((7, 2))))
