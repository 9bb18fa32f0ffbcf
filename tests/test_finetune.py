"""finetune: a loadable model that differs from its base, cached, with clear input errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.errors import InputError
from analysis.inputs.corpus import load_corpus
from analysis.inputs.specs import resolve_source
from analysis.tuning.finetune import RECIPE_FILE, Recipe, finetune
from analysis.tuning.pairs import TrainingPair, read_pairs
from tests.fakes import write_beir, write_jsonl

pytestmark = pytest.mark.real_model

DOCS = [
    {"_id": "cap", "text": "Total liability under this agreement is capped at the fees paid."},
    {"_id": "law", "text": "This agreement is governed by the laws of England and Wales."},
    {"_id": "nda", "text": "Each party keeps the other's confidential information secret."},
    {"_id": "pay", "text": "Invoices are payable within thirty days of receipt."},
]
PAIRS = [
    {"query": "maximum damages either side pays", "doc_id": "cap", "domain": "legal"},
    {"query": "which law applies to the contract", "doc_id": "law", "domain": "legal"},
    {"query": "keeping business secrets", "doc_id": "nda", "domain": "legal"},
    {"query": "when must invoices be paid", "doc_id": "pay", "domain": "legal"},
]


@pytest.fixture
def tiny(tmp_path):
    folder = write_beir(tmp_path / "legal", DOCS, [{"_id": "q", "text": "liability cap"}])
    write_jsonl(folder / "train" / "pairs.jsonl", PAIRS)
    return folder


def test_finetune_produces_a_loadable_model_that_differs_from_the_base(tiny, tmp_path):
    corpus = load_corpus(tiny)
    pairs = read_pairs(tiny / "train" / "pairs.jsonl", corpus, "legal")
    base = resolve_source("default")
    recipe = Recipe(epochs=1, batch_size=4, learning_rate=1e-3)
    out, cached = finetune(
        base,
        corpus,
        pairs,
        domain="legal",
        out=tmp_path / "tuned",
        recipe=recipe,
        cache_root=tmp_path / "cache",
    )
    assert not cached and (out / RECIPE_FILE).is_file()
    tuned = resolve_source(str(out))
    assert tuned.fingerprint != base.fingerprint
    text = ["the supplier's liability is limited"]
    before = resolve_source("default").embed(["x"], text, role="document")
    after = tuned.embed(["x"], text, role="document")
    assert after.shape == before.shape == (1, 384)
    assert not np.allclose(before, after, atol=1e-4)
    _, again = finetune(
        resolve_source("default"),
        corpus,
        pairs,
        domain="legal",
        out=tmp_path / "tuned2",
        recipe=recipe,
        cache_root=tmp_path / "cache",
    )
    assert again  # same base, corpus, domain, pairs and recipe: served from the cache


def test_training_pairs_errors_name_the_problem(tiny, tmp_path):
    corpus = load_corpus(tiny)
    with pytest.raises(InputError, match="0 training pair\\(s\\) for domain 'clinical'"):
        read_pairs(tiny / "train" / "pairs.jsonl", corpus, "clinical")
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"query": "x", "doc_id": "ghost"}])
    with pytest.raises(InputError, match="document 'ghost' is not in the corpus"):
        read_pairs(bad, corpus, "legal")
    leaky = write_jsonl(
        tmp_path / "leaky.jsonl", [*PAIRS, {"query": "liability cap", "doc_id": "cap"}]
    )
    with pytest.raises(InputError, match="also evaluation queries"):
        read_pairs(leaky, corpus, "legal")


def test_recipe_rejects_nonsense():
    with pytest.raises(InputError):
        Recipe(batch_size=1)
    with pytest.raises(InputError, match="train layers"):
        Recipe(train_layers=-1)
    with pytest.raises(InputError, match="--max-grad-norm must be 0"):
        Recipe(max_grad_norm=-1)
    assert TrainingPair("q", "d").doc_id == "d"


def test_adapter_recipe_saves_a_standard_model_with_a_dense_layer(tiny, tmp_path):
    corpus = load_corpus(tiny)
    pairs = read_pairs(tiny / "train" / "pairs.jsonl", corpus, "legal")
    recipe = Recipe(epochs=3, batch_size=4, learning_rate=1e-2, adapter=True)
    out, _ = finetune(
        resolve_source("default"),
        corpus,
        pairs,
        domain="legal",
        out=tmp_path / "adapter",
        recipe=recipe,
        cache_root=tmp_path / "cache",
    )
    assert (out / "modules.json").read_text().count('.Dense"') == 1
    tuned = resolve_source(str(out))
    text = ["which law governs the agreement"]
    before = resolve_source("default").embed(["x"], text, role="query")
    after = tuned.embed(["x"], text, role="query")
    assert after.shape == (1, 384) and not np.allclose(before, after, atol=1e-4)


def test_train_layers_beyond_the_model_depth_is_a_clear_error(tiny, tmp_path):
    corpus = load_corpus(tiny)
    pairs = read_pairs(tiny / "train" / "pairs.jsonl", corpus, "legal")
    with pytest.raises(InputError, match="--train-layers 9: the model has 6 layers"):
        finetune(
            resolve_source("default"),
            corpus,
            pairs,
            domain="legal",
            out=tmp_path / "t",
            recipe=Recipe(epochs=1, train_layers=9),
            cache_root=tmp_path / "cache",
        )
    with pytest.raises(InputError, match="drop --train-layers"):
        Recipe(adapter=True, train_layers=2)


def _cosine_change(tiny, tmp_path, **recipe) -> dict[float, float]:
    """Mean absolute change of the documents' cosine matrix, without and with the anchor."""
    corpus = load_corpus(tiny)
    pairs = read_pairs(tiny / "train" / "pairs.jsonl", corpus, "legal")
    ids, texts = list(corpus.doc_ids), list(corpus.doc_texts)
    before = _cosines(resolve_source("default").embed(ids, texts, role="document"))
    change = {}
    for anchor in (0.0, 100.0):
        out, _ = finetune(
            resolve_source("default"),
            corpus,
            pairs,
            domain="legal",
            out=tmp_path / f"anchor{anchor}",
            recipe=Recipe(batch_size=4, anchor=anchor, **recipe),
            cache_root=tmp_path / "cache",
        )
        after = _cosines(resolve_source(str(out)).embed(ids, texts, role="document"))
        change[anchor] = float(np.abs(after - before).mean())
    return change


def _cosines(vectors):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit @ unit.T


def test_the_anchor_holds_the_tuning_domains_document_geometry(tiny, tmp_path):
    change = _cosine_change(
        tiny, tmp_path, epochs=20, learning_rate=3e-2, adapter=True, adapter_bias=False
    )
    # Without the anchor the documents' mutual cosines move (measured 0.38); with it they
    # barely do (0.05).
    assert change[100.0] < change[0.0] / 3, change
    assert (tmp_path / "anchor100.0" / "modules.json").read_text().count('.Dense"') == 1


def test_the_anchor_also_guards_full_model_tuning(tiny, tmp_path):
    # Full-model drift comes from the early steps, before the anchor has anything to pull
    # back; twelve steps give it time (measured 0.19 without, 0.04 with).
    change = _cosine_change(tiny, tmp_path, epochs=12, learning_rate=1e-4)
    assert change[100.0] < change[0.0] / 3, change


def test_anchor_errors_are_clear(tiny, tmp_path):
    with pytest.raises(InputError, match="anchor weight"):
        Recipe(anchor=-1)
    corpus = load_corpus(tiny)
    labelled = write_jsonl(
        tmp_path / "clinical.jsonl", [{**pair, "domain": "clinical"} for pair in PAIRS]
    )
    pairs = read_pairs(labelled, corpus, "clinical")  # the documents themselves are legal
    with pytest.raises(InputError, match="0 document\\(s\\) in domain 'clinical'"):
        finetune(
            resolve_source("default"),
            corpus,
            pairs,
            domain="clinical",
            out=tmp_path / "t",
            recipe=Recipe(epochs=1, batch_size=4, adapter=True, anchor=1.0),
            cache_root=tmp_path / "cache",
        )


def test_a_series_of_rounds_by_epochs_and_by_pairs_with_seeds(tiny, tmp_path):
    """--rounds 2 --seeds 2: the layout `rounds --checkpoints` reads; by epochs, the last round is
    the full recipe's model (the same cache entry); by pairs, round 2 starts from round 1."""
    from analysis.cli import main
    from analysis.rounds.spec import rounds_from_folder, targets_from_recipes
    from analysis.tuning.rounds import finetune_rounds

    corpus = load_corpus(tiny)
    pairs = read_pairs(tiny / "train" / "pairs.jsonl", corpus, "legal")
    recipe = Recipe(epochs=2, batch_size=2, learning_rate=1e-3, adapter=True)
    cache = tmp_path / "cache"
    chains = finetune_rounds(
        resolve_source("default"),
        corpus,
        pairs,
        domain="legal",
        out=tmp_path / "by-epochs",
        recipe=recipe,
        rounds=2,
        seeds=2,
        cache_root=cache,
    )
    assert [[p.relative_to(tmp_path).as_posix() for p in chain] for chain in chains] == [
        ["by-epochs/round1/seed-0", "by-epochs/round2/seed-0"],
        ["by-epochs/round1/seed-1", "by-epochs/round2/seed-1"],
    ]
    found = rounds_from_folder(tmp_path / "by-epochs")
    assert [(r.name, r.seeds) for r in found] == [("round1", 2), ("round2", 2)]
    assert targets_from_recipes(found) == ("legal",)
    record = json.loads((chains[0][1] / RECIPE_FILE).read_text())
    assert record["recipe"]["epochs"] == 2 and record["series"]["round"] == 2
    _, cached = finetune(
        resolve_source("default"),
        corpus,
        pairs,
        domain="legal",
        out=tmp_path / "full",
        recipe=recipe,
        cache_root=cache,
    )
    assert cached  # round 2 of 2 by epochs is the whole recipe's model
    assert (
        main(
            [
                "finetune",
                "--corpus",
                str(tiny),
                "--domain",
                "legal",
                "--base",
                "default",
                "--adapter",
                "--epochs",
                "2",
                "--train-batch-size",
                "2",
                "--rounds",
                "2",
                "--round-by",
                "pairs",
                "--out",
                str(tmp_path / "by-pairs"),
                "--cache-dir",
                str(cache),
            ]
        )
        == 0
    )
    second = json.loads((tmp_path / "by-pairs" / "round2" / RECIPE_FILE).read_text())
    assert second["pairs"] == 2 and "from round 1's model" in second["series"]["trained"]
    assert second["base"] == str(tmp_path / "by-pairs" / "round1")
    assert (
        main(
            [
                "finetune",
                "--corpus",
                str(tiny),
                "--domain",
                "legal",
                "--base",
                "default",
                "--rounds",
                "3",
                "--round-by",
                "pairs",
                "--out",
                str(tmp_path / "too-many"),
            ]
        )
        == 2
    )  # 4 pairs cannot make 3 rounds of at least 2


def test_near_miss_negatives_are_recorded_and_pairs_no_rule_can_edit_still_train(tiny, tmp_path):
    """--negatives near-miss: three of the four documents can be negated; the fourth (no
    auxiliary, no number, no condition, one role) trains without a negative, counted."""
    corpus = load_corpus(tiny)
    pairs = read_pairs(tiny / "train" / "pairs.jsonl", corpus, "legal")
    recipe = Recipe(epochs=2, batch_size=2, learning_rate=1e-2, adapter=True)
    plain, _ = finetune(
        resolve_source("default"),
        corpus,
        pairs,
        domain="legal",
        out=tmp_path / "plain",
        recipe=recipe,
        cache_root=tmp_path / "cache",
    )
    tuned, _ = finetune(
        resolve_source("default"),
        corpus,
        pairs,
        domain="legal",
        out=tmp_path / "near-miss",
        recipe=Recipe(
            epochs=2, batch_size=2, learning_rate=1e-2, adapter=True, negatives="near-miss"
        ),
        cache_root=tmp_path / "cache",
    )
    record = json.loads((tuned / RECIPE_FILE).read_text())
    assert record["recipe"]["negatives"] == "near-miss"
    assert record["near_miss_negatives"] == {"pairs": 3, "skipped": 1, "rules": {"negation": 3}}
    text = ["the supplier's liability is limited"]
    assert not np.allclose(
        resolve_source(str(plain)).embed(["x"], text, role="document"),
        resolve_source(str(tuned)).embed(["x"], text, role="document"),
        atol=1e-5,
    )
    with pytest.raises(InputError, match="--negatives must be one of none, near-miss"):
        Recipe(negatives="random")
