"""Remedies: exact at the ends, BM25 against an independent implementation, the fusions by
hand, interpolation on real weights, and bad input refused before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from analysis.bundle.summary import build_summary
from analysis.cli import main
from analysis.compare import compare
from analysis.errors import InputError
from analysis.remedies.bm25 import K1, B, scores_of
from analysis.remedies.fusion import fused, fused_rankings
from analysis.remedies.plan import RemedyPlan, parse_grid
from analysis.remedies.rankings import convex_fusion, recall_floor, reciprocal_rank_fusion
from analysis.retrieval import top_k_cosine
from analysis.settings import CompareConfig
from tests.dashboard_fixture import build
from tests.fakes import compare_args
from tests.synthetic import embeddings, synthetic

FAST = CompareConfig(k=5, permutation_resamples=99, bootstrap_resamples=50)


def _numbers(comparison) -> dict:
    raw = build_summary(comparison, corpus_source="s")
    return {"domains": raw["domains"], "overall": raw["overall"], "top": raw.get("thresholds")}


def test_fusion_at_the_ends_is_the_baseline_and_the_candidate_to_the_last_digit():
    corpus, docs, queries = synthetic()
    base = embeddings("base", docs, queries)
    noisy = docs + np.random.default_rng(2).normal(size=docs.shape).astype(np.float32)
    cand = embeddings("cand", noisy, queries)
    as_candidate = _numbers(compare(corpus, base, cand, FAST))
    assert _numbers(compare(corpus, base, fused(base, cand, 1.0), FAST)) == as_candidate
    as_baseline = _numbers(compare(corpus, base, base, FAST))
    assert _numbers(compare(corpus, base, fused(base, cand, 0.0), FAST)) == as_baseline


def test_fused_scores_are_the_weighted_cosines():
    rng = np.random.default_rng(0)
    base = embeddings("b", rng.normal(size=(6, 4)), rng.normal(size=(2, 4)))
    cand = embeddings("c", rng.normal(size=(6, 3)), rng.normal(size=(2, 3)))
    space = fused(base, cand, 0.3)

    def cosines(side):
        unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
        return unit(side.queries) @ unit(side.documents).T

    expected = 0.7 * cosines(base) + 0.3 * cosines(cand)
    assert np.allclose(space.queries @ space.documents.T, expected, atol=1e-6)


def test_the_fused_rankings_are_a_search_of_the_fused_space():
    rng = np.random.default_rng(4)
    base = embeddings("b", rng.normal(size=(300, 8)), rng.normal(size=(40, 8)))
    cand = embeddings("c", rng.normal(size=(300, 5)), rng.normal(size=(40, 5)))
    exclude = np.where(np.arange(40) % 3 == 0, np.arange(40), -1)  # some queries are docs
    found = fused_rankings(base, cand, [0.2, 0.5, 0.9], 12, exclude=exclude)
    for w, (ranking, seconds) in found.items():
        space = fused(base, cand, w)
        searched = top_k_cosine(space.queries, space.documents, 12, exclude=exclude)
        assert np.array_equal(ranking.indices, searched.indices)
        assert np.allclose(ranking.scores, searched.scores, atol=1e-6)
        assert seconds > 0
    assert not any((r.indices == exclude[:, None]).any() for r, _ in found.values())


class LuceneBM25(BM25Okapi):
    """rank_bm25's BM25 with Lucene's idf, log(1 + (N − n + 0.5) / (n + 0.5))."""

    def _calc_idf(self, nd):
        self.idf = {w: np.log(1 + (self.corpus_size - n + 0.5) / (n + 0.5)) for w, n in nd.items()}


def test_bm25_agrees_with_an_independent_implementation():
    docs = [
        "the supplier indemnifies the buyer against claims",
        "the buyer pays invoices within thirty days",
        "claims against the supplier are capped",
        "thirty days notice ends the agreement",
        "pressure ulcers need skin inspection",
    ]
    import bm25s

    tokens = bm25s.tokenize(docs, stopwords="en", return_ids=False, show_progress=False)
    other = LuceneBM25(tokens, k1=K1, b=B)
    for query in ("supplier claims", "thirty days", "skin"):
        ours = scores_of(docs, query)
        terms = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]
        # rank_bm25 keeps the (k1 + 1) numerator factor, which Lucene's variant drops
        assert np.allclose(ours * (K1 + 1), other.get_scores(terms), rtol=1e-5)


def test_reciprocal_rank_fusion_by_hand():
    # doc 7: 1/61 + 1/62; doc 5: 1/62 + 1/61 (a tie: corpus order); doc 9: 1/63; doc 2: 1/63
    fused_list = reciprocal_rank_fusion([np.array([7, 5, 9]), np.array([5, 7, 2])], 4)
    assert fused_list.tolist() == [5, 7, 2, 9]


def test_convex_fusion_by_hand():
    dense = (np.array([0, 1, 2]), np.array([0.9, 0.5, 0.1]))  # normalised: 1, 0.5, 0
    lexical = (np.array([2, 3, -1]), np.array([8.0, 2.0, np.nan]))  # normalised: 1, 0
    # 0: 0.6; 1: 0.3; 2: 0.4; 3: 0
    assert convex_fusion(dense, lexical, 0.4, 4).tolist() == [0, 2, 1, 3]


def test_the_recall_floor_keeps_places_for_what_the_candidate_dropped():
    candidate = np.array([1, 2, 3, 4, 5, 6])
    baseline = np.array([9, 1, 8, 7, 2, 0])
    # k = 4: the candidate's top-4 dropped 9, 8 (baseline order); 2 slots: 1, 2 + 9, 8
    assert recall_floor(candidate, baseline, k=4, slots=2, depth=6).tolist() == [1, 2, 9, 8, 3, 4]
    assert recall_floor(candidate, candidate, k=4, slots=2, depth=6).tolist() == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (dict(remedies=("rerank-everything",)), "unknown remedy; known: interpolate"),
        (dict(remedies=()), "name at least one"),
        (dict(remedies=("fusion",), weights=()), "--fusion-weights: the grid is empty"),
        (dict(remedies=("fusion",), weights=(0.5, 1.5)), "--fusion-weights: 1.5 is outside"),
        (dict(remedies=("floor",), floor_slots=(0,)), "--floor-slots must be whole numbers >= 1"),
    ],
)
def test_a_bad_plan_names_the_option(plan, message):
    with pytest.raises(InputError, match=message):
        RemedyPlan(**plan)


def test_a_grid_that_is_not_numbers_names_the_option():
    with pytest.raises(InputError, match="--alphas: expected comma-separated numbers, got 'x'"):
        parse_grid("--alphas", "0,x")


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    return build(tmp_path_factory.mktemp("remedies"))


def test_the_remedies_command_writes_the_record_and_says_what_to_ship(specs, tmp_path, capsys):
    out = tmp_path / "out"
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], str(out))
    code = main(["remedies", *args[1:], "--k", "3", "--remedies", "fusion,hybrid,floor"])
    record = json.loads((out / "remedies.json").read_text())
    assert code == (0 if record["best"] else 1)
    labels = [s["label"] for s in record["settings"]]
    assert labels[:2] == ["fusion w=0", "fusion w=0.1"] and "hybrid RRF" in labels
    assert "recall floor 2" in labels
    fusion_zero = record["settings"][0]
    assert fusion_zero["passed"] and set(fusion_zero["change"].values()) <= {0.0, None}
    assert record["sentence"] in capsys.readouterr().out
    from analysis.bundle.files import load_bundle

    assert load_bundle(out).extras["remedies"] == record  # a saved comparison opens with it
    assert main(["check", "--from", str(out)]) in (0, 1)
    said = capsys.readouterr().out
    assert "remedies:" in said or "every guardrail holds" in said


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--remedies", "teleport"], "unknown remedy"),
        (["--remedies", "fusion", "--fusion-weights", "2"], "--fusion-weights: 2.0 is outside"),
        (["--remedies", "interpolate"], "needs both models' weights"),
        (["--remedies", "fusion", "--remedy-target", "mars"], "--target mars: not a domain"),
    ],
)
def test_bad_remedy_input_exits_2_and_writes_nothing(specs, tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], str(out))
    assert main([*args, "--k", "3", *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.real_model
def test_interpolation_on_real_weights(tmp_path):
    """A full fine-tune (one layer changed) blends tensor by tensor; an added square Dense
    layer starts from the identity; a layer that cannot is named."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Dense

    from analysis.inputs.specs import resolve_source
    from analysis.remedies.interpolate import (
        InterpolatedSource,
        check_interpolable,
        interpolated_state,
    )

    base_source = resolve_source("default")
    base = base_source._load()
    tuned = SentenceTransformer(str(base_source.folder), device="cpu")
    layer = "0.model.encoder.layer.5.output.dense.weight"
    with torch.no_grad():
        tuned.state_dict()[layer].add_(0.5)
    tuned.save(str(tmp_path / "tuned"))
    half = interpolated_state(base, tuned, 0.5)
    assert torch.allclose(half[layer], base.state_dict()[layer] + 0.25)
    source = InterpolatedSource(base_source, resolve_source(str(tmp_path / "tuned")), 0.5)
    text = ["the supplier indemnifies the buyer"]
    vectors = source.embed(["x"], text, role="document")
    assert not np.allclose(vectors, base_source.embed(["x"], text, role="document"))

    adapter = SentenceTransformer(str(base_source.folder), device="cpu")
    adapter.append(Dense(384, 384, bias=True, activation_function=torch.nn.Identity()))
    key = next(k for k in adapter.state_dict() if k.endswith("linear.weight"))
    start = interpolated_state(base, adapter, 0.0)
    assert torch.equal(start[key], torch.eye(384))
    assert torch.allclose(interpolated_state(base, adapter, 1.0)[key], adapter.state_dict()[key])

    out = tmp_path / "out"
    corpus = build(tmp_path / "inputs")["corpus"]
    cache = ["--cache-dir", str(tmp_path / "cache")]
    code = main(
        ["remedies", "--corpus", corpus, "--baseline", "default", "--candidate"]
        + [str(tmp_path / "tuned"), "--out", str(out), "--k", "3", *cache]
        + ["--remedies", "interpolate", "--alphas", "0,0.5,1"]
    )
    record = json.loads((out / "remedies.json").read_text())
    assert code in (0, 1)
    zero, middle, one = record["settings"]
    assert set(zero["change"].values()) <= {0.0, None}  # the baseline itself
    assert one["change"] == record["candidate"]["change"]  # the candidate, to the last digit
    assert middle["cost"]["build_seconds"] > 0  # the α = 0.5 model was encoded

    narrow = SentenceTransformer(str(base_source.folder), device="cpu")
    narrow.append(Dense(384, 256, activation_function=torch.nn.Identity()))
    narrow.save(str(tmp_path / "narrow"))
    with pytest.raises(InputError, match=r"cannot interpolate module 3 \(3\.linear\)"):
        check_interpolable(base_source, resolve_source(str(tmp_path / "narrow")))


def test_remedies_travel_with_the_bundle_zip(specs, tmp_path):
    import io
    import zipfile

    from analysis.bundle.archive import unpack_bundle
    from analysis.bundle.files import bundle_files, load_bundle, write_bundle

    out = tmp_path / "out"
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], str(out))
    main([*args, "--k", "3", "--remedies", "fusion", "--fusion-weights", "0,1"])
    record = load_bundle(out).extras["remedies"]
    copy = tmp_path / "copy"
    write_bundle(load_bundle(out), copy)  # what the Export page writes
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for path in bundle_files(copy):
            archive.write(path, f"bundle/{path.name}")
    opened = unpack_bundle(data.getvalue(), tmp_path / "opened")
    assert load_bundle(opened).extras["remedies"] == record


def test_the_best_remedy_keeps_some_gain_and_passes():
    from analysis.remedies.verdicts import Setting, best, sentence

    def setting(label, passed, points, worst):
        return Setting("fusion", {}, label, passed, [], {}, {}, points, worst)

    candidate = setting("the candidate as it is", False, 6.6, -0.12)
    baseline = setting("fusion w=0", True, 0.0, 0.0)  # the baseline itself: rolling back
    assert best([baseline]) is None
    assert "roll back" in sentence(None, candidate, ["legal"])
    chosen = best([baseline, setting("a", True, 3.0, -0.05), setting("b", False, 9.0, -0.2)])
    assert chosen is not None and chosen.label == "a"
    said = sentence(chosen, candidate, ["legal"])
    assert said == (
        "Ship a: it passes the policy; legal nDCG@10 +3.0 points (the candidate: +6.6); "
        "no other domain drops more than 5.0%."
    )


def test_rerank_reorders_the_top_k_prime_and_keeps_the_rest():
    from analysis.remedies.rerank import rerank

    class Longest:  # scores a pair by the document's length
        def predict(self, pairs, **_):
            return [len(doc) for _, doc in pairs]

    docs = ["a", "bbb", "cc", "dddd", "e"]
    candidate = np.array([[0, 1, 2, 3, -1]])
    done = rerank(Longest(), candidate, ["q"], docs, [2, 3])
    assert done.rows[2][0].tolist() == [1, 0, 2, 3]  # top-2 (a, bbb) reranked: bbb first
    assert done.rows[3][0].tolist() == [1, 2, 0, 3]
    assert done.pairs_scored == 3  # scored once, at the deepest K′


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory):
    """A one-layer cross-encoder with MiniLM's tokenizer, built here (no download)."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from analysis.inputs.models import default_model_folder

    folder = tmp_path_factory.mktemp("reranker") / "tiny"
    tokenizer = AutoTokenizer.from_pretrained(str(default_model_folder()))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=1,
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.real_model
def test_the_rerank_remedy_end_to_end(specs, tiny_cross_encoder, tmp_path, capsys):
    out = tmp_path / "out"
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], str(out))
    code = main(
        [*args, "--k", "3", "--remedies", "rerank", "--reranker", str(tiny_cross_encoder)]
        + ["--rerank-depths", "5,10"]
    )
    assert code in (0, 1)
    record = json.loads((out / "remedies.json").read_text())
    assert [s["label"] for s in record["settings"]] == ["rerank top-5", "rerank top-10"]
    assert [s["cost"]["extra_calls_per_query"] for s in record["settings"]] == [5, 10]
    assert "rerank top-10" in capsys.readouterr().out


def test_a_reranker_that_cannot_load_exits_2_and_writes_nothing(specs, tmp_path, capsys):
    out = tmp_path / "out"
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], str(out))
    code = main([*args, "--k", "3", "--remedies", "rerank", "--reranker", str(tmp_path)])
    assert code == 2 and not out.exists()
    assert f"--reranker {tmp_path}: " in capsys.readouterr().err
    assert main([*args, "--k", "3", "--remedies", "rerank"]) == 2
    assert "--remedies rerank needs --reranker SPEC" in capsys.readouterr().err


@pytest.mark.real_model
def test_a_lora_candidate_is_interpolated_by_scaling_its_adapter(tmp_path):
    import torch
    from peft import LoraConfig
    from sentence_transformers import SentenceTransformer

    from analysis.inputs.specs import resolve_source
    from analysis.remedies.interpolate import (
        InterpolatedSource,
        check_interpolable,
        interpolation_plan,
    )

    base = resolve_source("default")
    lora = SentenceTransformer(str(base.folder), device="cpu")
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value"])
    lora.add_adapter(replace_init(config))
    lora.save(str(tmp_path / "lora"))
    candidate = resolve_source(str(tmp_path / "lora"))
    check_interpolable(base, candidate)
    text = ["the supplier indemnifies the buyer", "pressure ulcers need skin checks"]

    def vectors(source):
        return source.embed(["a", "b"], text, role="document")

    at = {alpha: vectors(InterpolatedSource(base, candidate, alpha)) for alpha in (0.0, 0.5, 1.0)}
    assert np.allclose(at[0.0], vectors(base), atol=1e-6)  # no adapter: the baseline
    assert np.allclose(at[1.0], vectors(candidate), atol=1e-6)  # the whole adapter
    assert not np.allclose(at[0.5], at[0.0], atol=1e-4)
    assert not np.allclose(at[0.5], at[1.0], atol=1e-4)

    other = SentenceTransformer(str(base.folder), device="cpu")
    with torch.no_grad():
        other.state_dict()["0.model.encoder.layer.0.attention.self.query.weight"].add_(0.1)
    other.add_adapter(replace_init(config))  # an adapter on weights the baseline does not have
    with pytest.raises(InputError, match="LoRA adapter is not on the baseline's weights"):
        interpolation_plan(base._load(), other)


def replace_init(config):
    """A LoRA whose B starts random, not zero, so the adapter changes something at once."""
    from dataclasses import replace as copy_with

    return copy_with(config, init_lora_weights=False)


def test_each_setting_is_written_as_a_comparison_of_its_own(specs, tmp_path):
    """A setting's folder holds a full comparison whose numbers are the ones its verdict
    read, under a fingerprint of its own (fusion at w = 1 is the candidate's numbers, yet a
    comparison of its own)."""
    from analysis.bundle.files import load_bundle

    out = tmp_path / "out"
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], str(out))
    main(
        [
            "remedies",
            *args[1:],
            "--k",
            "3",
            "--remedies",
            "fusion,floor",
            "--fusion-weights",
            "0.5,1",
        ]
    )
    record = load_bundle(out).extras["remedies"]
    fingerprints = {record["candidate"]["fingerprint"]}
    for entry in record["settings"]:
        bundle = load_bundle(out / entry["folder"])
        assert bundle.summary.fingerprint == entry["fingerprint"]
        assert entry["label"] in bundle.summary.manifest.candidate.spec
        assert {"changes", "document_texts"} <= set(bundle.tables)  # what the pages read
        assert (out / entry["folder"] / "runs" / "candidate.trec").is_file()
        quality = bundle.summary.domains
        from analysis.metrics.quality import QualityFigures

        for domain, change in entry["change"].items():
            figures = quality[domain].get(QualityFigures)
            assert change == (figures.relative_change("ndcg@10") if figures else None)
        fingerprints.add(entry["fingerprint"])
    assert len(fingerprints) == len(record["settings"]) + 1  # none named like another
    w1 = next(s for s in record["settings"] if s["label"] == "fusion w=1")
    assert w1["change"] == record["candidate"]["change"]
    floor = next(s for s in record["settings"] if s["remedy"] == "floor")
    floor_docs = load_bundle(out / floor["folder"]).documents
    # a ranking remedy searches the candidate's space: its drift is the candidate's own
    assert floor_docs is not None and "neighbourhood_jaccard" in floor_docs
    candidate_docs = load_bundle(out).documents
    assert floor_docs["neighbourhood_jaccard"].equals(candidate_docs["neighbourhood_jaccard"])


def test_the_remedies_page_shows_a_chosen_setting_on_every_page(specs, tmp_path, monkeypatch):
    import sys

    from streamlit.testing.v1 import AppTest

    out = tmp_path / "out"
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], str(out))
    main(["remedies", *args[1:], "--k", "3", "--remedies", "fusion", "--fusion-weights", "0.5,1"])
    record = json.loads((out / "remedies.json").read_text())
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "argv", ["app.py", "--open", str(out)])
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=60)
    at.run()
    candidate = record["candidate"]["fingerprint"]
    assert at.session_state["saved"] == candidate
    at.switch_page("views/remedies.py").run()
    assert not at.exception, [e.value for e in at.exception]
    half = record["settings"][0]
    at.selectbox[0].set_value(1).run()  # fusion w=0.5
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["saved"] == half["fingerprint"]
    assert at.query_params["comparison"] in (half["fingerprint"], [half["fingerprint"]])
    assert at.query_params["remedies"] in (candidate, [candidate])
    assert any("fusion w=0.5" in c.value for c in at.caption)
    assert at.subheader[0].value == record["sentence"]  # the table stays while it is shown
    at.switch_page("views/overview.py").run()
    assert not at.exception and at.subheader[0].value.startswith("Rollout verdict")
    assert at.session_state["saved"] == half["fingerprint"]
    for view in ("overlap", "drift", "thresholds", "space", "changed", "answers", "export"):
        at.switch_page(f"views/{view}.py").run()  # a setting with a space of its own: no drift
        assert not at.exception, (view, [e.value for e in at.exception])
        assert at.session_state["saved"] == half["fingerprint"]
    at.switch_page("views/remedies.py").run()
    at.selectbox[0].set_value(0).run()  # back to the candidate as it is
    assert at.session_state["saved"] == candidate


def test_a_record_naming_a_folder_outside_its_output_is_refused(specs, tmp_path):
    from dashboard import saved

    out = tmp_path / "out"
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], str(out))
    main(["remedies", *args[1:], "--k", "3", "--remedies", "fusion", "--fusion-weights", "1"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "remedies" / "link").symlink_to(elsewhere)
    for named in ("../elsewhere", str(elsewhere), "remedies/link", "."):
        with pytest.raises(InputError, match="not inside the output"):
            saved.open_inside(out, named)
    with pytest.raises(InputError, match="is missing"):
        saved.open_inside(out, "remedies/fusion-w-0.7")
