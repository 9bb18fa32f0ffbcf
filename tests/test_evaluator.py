"""The gate inside a training loop: the evaluator's numbers equal compare's for the same
checkpoint, a real short training with sentence-transformers' trainer logs every key at
every evaluation, and bad input is refused when the evaluator is built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.errors import InputError
from tests.dashboard_fixture import build
from tests.fakes import write_beir

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The fixture's 3-domain corpus and a checkpoint of the bundled MiniLM with one layer
    changed (a candidate that differs from the baseline)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from analysis.inputs.models import default_model_folder

    root = tmp_path_factory.mktemp("evaluator")
    corpus = build(root / "inputs")["corpus"]
    tuned = SentenceTransformer(str(default_model_folder()), device="cpu")
    with torch.no_grad():
        tuned.state_dict()["0.model.encoder.layer.5.output.dense.weight"].mul_(1.6)
    tuned.save(str(root / "tuned"))
    return root, corpus, root / "tuned"


def test_the_evaluators_numbers_for_a_checkpoint_are_compares(world):
    from sentence_transformers import SentenceTransformer

    from analysis.bundle.summary import Summary
    from analysis.pipeline.guard import RecallHorizonEvaluator
    from analysis.verdict.gate import evaluate, load_policy

    root, corpus, tuned = world
    cache = root / "cache"
    guard = RecallHorizonEvaluator(corpus, baseline="default", k=3, cache_dir=cache)
    metrics = guard(SentenceTransformer(str(tuned), device="cpu"))
    out = root / "out"
    code = main(
        ["compare", "--corpus", corpus, "--baseline", "default", "--candidate", str(tuned)]
        + ["--k", "3", "--out", str(out), "--cache-dir", str(cache)]
    )
    assert code == 0
    summary = Summary(json.loads((out / "summary.json").read_text()))
    gate = evaluate(summary, load_policy())
    assert gate.checks
    for check in gate.checks:
        key = f"rh_{check.domain}_{check.guardrail}"
        assert metrics[key] == pytest.approx(check.value, abs=1e-9), key
        assert metrics[f"{key}_headroom"] == pytest.approx(check.headroom, abs=1e-9), key
    worst = min(c.headroom for c in gate.checks)
    assert metrics[guard.primary_metric] == pytest.approx(worst, abs=1e-9)
    assert metrics["rh_passed"] == (1.0 if gate.passed else 0.0)
    from analysis.metrics.quality import QualityFigures

    for domain, section in summary.domains.items():
        quality = section.get(QualityFigures)
        expected = quality.relative_change("ndcg@10")
        assert metrics[f"rh_{domain}_ndcg@10_rel_change"] == pytest.approx(expected, abs=1e-9)


def test_the_evaluator_tests_significance_only_for_a_policy_that_reads_it(world, tmp_path):
    from sentence_transformers import SentenceTransformer

    from analysis.metrics.overlap import OverlapFigures
    from analysis.metrics.quality import QualityFigures
    from analysis.pipeline.guard import RecallHorizonEvaluator

    root, corpus, tuned = world
    policy = tmp_path / "significant.toml"
    policy.write_text("[defaults]\nmax_relative_drop_ndcg = 0.10\nonly_when_significant = true\n")
    default = RecallHorizonEvaluator(corpus, k=3, cache_dir=root / "cache")
    strict = RecallHorizonEvaluator(corpus, policy=policy, k=3, cache_dir=root / "cache")
    assert not default.config.inference and strict.config.inference
    current = default.encoded(SentenceTransformer(str(tuned), device="cpu"))
    untested, tested = default.summary(current), strict.summary(current)
    for domain, section in tested.domains.items():
        with_p = section.get(QualityFigures)
        without_p = untested.domains[domain].get(QualityFigures)
        assert with_p.candidate == without_p.candidate and with_p.delta == without_p.delta
        assert None not in with_p.p_value_bh.values()
        assert set(without_p.p_value_bh.values()) == {None}
        drawn = section.get(OverlapFigures).jaccard
        undrawn = untested.domains[domain].get(OverlapFigures).jaccard
        assert undrawn.mean == drawn.mean and drawn.low is not None
        assert undrawn.low is None and undrawn.high is None


def test_the_marginal_gate_with_remembered_rankings_is_a_fresh_comparisons(world):
    """An evaluation reuses the rankings of the baseline and of the evaluation before; its
    marginal numbers must be those of a comparison that retrieves everything again."""
    import torch
    from sentence_transformers import SentenceTransformer

    from analysis.inputs.models import default_model_folder
    from analysis.pipeline.guard import UNEVALUATED, RecallHorizonEvaluator

    root, corpus, tuned = world
    guard = RecallHorizonEvaluator(corpus, k=3, cache_dir=root / "cache")
    first = SentenceTransformer(str(default_model_folder()), device="cpu")
    with torch.no_grad():
        first.state_dict()["0.model.encoder.layer.3.output.dense.weight"].mul_(1.3)
    second = SentenceTransformer(str(tuned), device="cpu")
    guard(first)
    metrics = guard(second)
    fresh = RecallHorizonEvaluator(corpus, k=3, cache_dir=root / "cache")
    before, now = fresh.encoded(first), fresh.encoded(second)
    fresh.summary(now)  # as the evaluation does first: against the baseline
    gate = fresh.gate(fresh.summary(now, against=before))
    headrooms = [c.headroom if c.evaluated else UNEVALUATED for c in gate.checks]
    expected = min(h for h in headrooms if h is not None)
    assert metrics["rh_marginal_worst_headroom"] == pytest.approx(expected, abs=1e-12)
    assert metrics["rh_marginal_passed"] == (1.0 if gate.passed else 0.0)
    assert expected != metrics["rh_worst_headroom"]  # not the cumulative gate by mistake


def test_a_short_training_logs_every_key_at_every_evaluation(world):
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from analysis.inputs.corpus import load_corpus
    from analysis.inputs.models import default_model_folder
    from analysis.pipeline.guard import RecallHorizonEvaluator

    root, corpus, _ = world
    loaded = load_corpus(corpus)
    pairs = {
        "anchor": list(loaded.query_texts) * 2,
        "positive": [loaded.doc_texts[i % loaded.n_docs] for i in range(2 * loaded.n_queries)],
    }
    model = SentenceTransformer(str(default_model_folder()), device="cpu")
    guard = RecallHorizonEvaluator(corpus, baseline="default", k=3, cache_dir=root / "cache")
    args = SentenceTransformerTrainingArguments(
        output_dir=str(root / "training"),
        max_steps=4,
        per_device_train_batch_size=6,
        eval_strategy="steps",
        eval_steps=2,
        logging_steps=2,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        seed=0,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_dict(pairs),
        loss=MultipleNegativesRankingLoss(model),
        evaluator=guard,
    )
    trainer.train()
    evaluations = [
        log for log in trainer.state.log_history if f"eval_{guard.primary_metric}" in log
    ]
    assert [log["step"] for log in evaluations] == [2, 4]
    expected = set(guard(model))  # every documented key of this corpus and policy
    for log in evaluations:
        assert {f"eval_{key}" for key in expected} <= set(log)


def test_bad_guard_inputs_are_refused_when_the_evaluator_is_built(world, tmp_path):
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Dense

    from analysis.inputs.models import default_model_folder
    from analysis.pipeline.guard import RecallHorizonEvaluator

    root, corpus, _ = world
    cache = root / "cache"
    one = write_beir(
        tmp_path / "one" / "legal",
        [{"_id": "d1", "text": "contract"}, {"_id": "d2", "text": "court"}],
        [{"_id": "q1", "text": "contract"}],
        [("q1", "d1", 1)],
    )
    with pytest.raises(InputError, match=r"has 1 domain\(s\) \(legal\)"):
        RecallHorizonEvaluator(str(one.parent), k=1, cache_dir=cache)
    unjudged = tmp_path / "unjudged"
    for domain, text in (("legal", "contract court"), ("clinical", "patient dose")):
        docs = [{"_id": f"d{i}", "text": f"{text} {i}"} for i in range(8)]
        write_beir(unjudged / domain, docs, [{"_id": "q1", "text": text}])
    with pytest.raises(InputError, match="cannot be evaluated on this corpus"):
        RecallHorizonEvaluator(str(unjudged), k=2, cache_dir=cache)  # fails closed
    narrow = SentenceTransformer(str(default_model_folder()), device="cpu")
    narrow.append(Dense(384, 256, activation_function=torch.nn.Identity()))
    with pytest.raises(InputError, match="256-dimension vectors and the baseline"):
        RecallHorizonEvaluator(corpus, k=3, cache_dir=cache, model=narrow)
    assert Path(corpus).is_dir()


def test_a_breaching_training_is_stopped_and_its_last_safe_checkpoint_is_rounds(world):
    """Training that pairs each query with another domain's document breaches the gate; the
    callback stops it once ``patience`` evaluations in a row breach, and the last safe
    checkpoint it records is the one `rounds` names over the same checkpoints."""
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from analysis.inputs.corpus import load_corpus
    from analysis.inputs.models import default_model_folder
    from analysis.pipeline.guard import GUARD_FILE, GuardCallback, RecallHorizonEvaluator

    root, corpus, _ = world
    loaded = load_corpus(corpus)
    wrong = [
        next(t for t, d in zip(loaded.doc_texts, loaded.doc_domains, strict=True) if d != domain)
        for domain in loaded.query_domains
    ]
    pairs = {"anchor": list(loaded.query_texts) * 4, "positive": wrong * 4}
    model = SentenceTransformer(str(default_model_folder()), device="cpu")
    cache = root / "cache"
    guard = RecallHorizonEvaluator(corpus, baseline="default", k=3, cache_dir=cache)
    stop = GuardCallback(guard, patience=2)
    output = root / "breaching"
    args = SentenceTransformerTrainingArguments(
        output_dir=str(output),
        max_steps=10,
        per_device_train_batch_size=9,
        learning_rate=1e-4,
        warmup_steps=8,  # gently at first: a safe step or two, then a breach
        eval_strategy="steps",
        eval_steps=1,
        save_strategy="steps",
        save_steps=1,
        report_to="none",
        use_cpu=True,
        seed=0,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_dict(pairs),
        loss=MultipleNegativesRankingLoss(model),
        evaluator=guard,
        callbacks=[stop],
    )
    trainer.train()
    record = json.loads((output / GUARD_FILE).read_text())
    evaluations = record["evaluations"]
    breached = [
        not e["safe"] and min(e["worst_headroom"], e["marginal_worst_headroom"]) < 0
        for e in evaluations
    ]
    first = next(
        i for i in range(len(breached)) if all(breached[i : i + 2]) and i + 1 < len(breached)
    )
    assert record["stopped_at_step"] == evaluations[first + 1]["step"] < 10  # stopped early
    assert evaluations[-1]["step"] == record["stopped_at_step"]  # no evaluation after it
    out = root / "rounds"
    code = main(
        ["rounds", "--corpus", corpus, "--baseline", "default", "--checkpoints", str(output)]
        + ["--out", str(out), "--k", "3", "--cache-dir", str(cache)]
    )
    assert code in (0, 1)
    rounds = json.loads((out / "rounds.json").read_text())
    assert rounds["last_safe_round"] == record["last_safe_checkpoint"]
