"""finetune on sentence-transformers' trainer: the adapter's frozen encoder changes no
number, and ``--guard`` stops a breaching run, records its checkpoints and names the last
safe one as ``rounds`` does."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.cli import main
from analysis.inputs.corpus import load_corpus
from tests.dashboard_fixture import build
from tests.fakes import write_jsonl

pytestmark = pytest.mark.real_model


def test_the_frozen_prefix_model_gives_the_base_models_vectors_in_train_mode_too():
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense

    from analysis.inputs.models import default_model_folder
    from analysis.tuning.frozen import FrozenPrefixModel

    texts = ["the supplier indemnifies the buyer", "a dose of 5 mg twice a day", "ok"]
    base = SentenceTransformer(str(default_model_folder()), device="cpu")
    expected = base.encode(texts, convert_to_numpy=True)
    identity = Dense(384, 384, bias=False, activation_function=torch.nn.Identity())
    with torch.no_grad():
        identity.linear.weight.copy_(torch.eye(384))
    frozen = SentenceTransformer(str(default_model_folder()), device="cpu")
    model = FrozenPrefixModel(frozen, [identity])
    model.train()  # the trainer's mode: dropout would change the frozen encoder's output
    features = model.preprocess(texts)
    first = model(features)["sentence_embedding"].detach().numpy()
    again = model(model.preprocess(texts[::-1]))["sentence_embedding"].detach().numpy()
    np.testing.assert_allclose(first, expected, atol=1e-5)
    np.testing.assert_array_equal(again, first[::-1])  # remembered, not recomputed
    assert not any(p.requires_grad for p in frozen.parameters())
    assert identity.linear.weight.requires_grad


def test_the_frozen_prefix_models_remembered_encoding_is_encodes():
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense

    from analysis.inputs.models import default_model_folder, encode_with
    from analysis.tuning.frozen import FrozenPrefixModel

    texts = ["the supplier indemnifies the buyer", "a dose of 5 mg twice a day", "ok"] * 30
    adapter = Dense(384, 384, bias=True, activation_function=torch.nn.Identity())
    frozen = SentenceTransformer(str(default_model_folder()), device="cpu")
    model = FrozenPrefixModel(frozen, [adapter])
    for prompt in (None, "query: "):
        expected = encode_with(model, texts, batch_size=16, prompt=prompt)
        first = model.encode_remembered(texts, prompt=prompt, batch_size=16)
        # encode batches texts by length, this in their order: the adapter's matrix product
        # then rounds a few last bits otherwise
        np.testing.assert_allclose(first, expected, rtol=0, atol=1e-6)
    remembered = len(model._memo)
    with torch.no_grad():
        adapter.linear.weight.mul_(1.5)  # a training step: only the adapter changes
    for prompt in (None, "query: "):
        expected = encode_with(model, texts, batch_size=16, prompt=prompt)
        np.testing.assert_allclose(
            model.encode_remembered(texts, prompt=prompt, batch_size=16), expected, atol=1e-6
        )
    assert len(model._memo) == remembered  # nothing put through the frozen encoder again


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    """The 3-domain fixture corpus and 'legal' pairs that send clinical questions to legal
    documents: tuning on them must breach the gate in clinical."""
    root = tmp_path_factory.mktemp("guarded")
    corpus = build(root / "inputs")["corpus"]
    loaded = load_corpus(corpus)
    legal = [i for i, d in enumerate(loaded.doc_domains) if d == "legal"]
    clinical = [t for t, d in zip(loaded.doc_texts, loaded.doc_domains, strict=True)]
    clinical = [t for t, d in zip(clinical, loaded.doc_domains, strict=True) if d == "clinical"]
    pairs = [
        {"query": f"{clinical[i % len(clinical)]} question {i}", "doc_id": loaded.doc_ids[row]}
        for i, row in enumerate(legal * 2)
    ]
    return root, corpus, write_jsonl(root / "pairs.jsonl", pairs)


def _finetune(root, corpus, pairs, out, *extra):
    return main(
        ["finetune", "--corpus", corpus, "--domain", "legal", "--base", "default"]
        + ["--pairs", str(pairs), "--out", str(out), "--cache-dir", str(root / "cache")]
        + ["--adapter", "--train-batch-size", "4", "--k", "3", *extra]
    )


def test_a_guarded_finetune_stops_on_the_breach_and_names_rounds_last_safe_checkpoint(fixture):
    from analysis.pipeline.guard import GUARD_FILE
    from analysis.tuning.finetune import RECIPE_FILE

    root, corpus, pairs = fixture
    out = root / "guarded"
    # three queries a domain: one query's change moves a mean by a third, so the limits are
    # wide enough for the first, gentle steps to pass
    policy = root / "policy.toml"
    policy.write_text("[defaults]\nmax_relative_drop_ndcg = 0.3\nmin_overlap = 0.3\n")
    code = _finetune(
        root,
        corpus,
        pairs,
        out,
        *("--epochs", "8", "--lr", "0.06", "--scale", "30", "--max-grad-norm", "0"),
        *("--guard", str(policy), "--guard-every", "1", "--guard-patience", "2"),
    )
    assert code == 0
    record = json.loads((out / GUARD_FILE).read_text())
    evaluations = record["evaluations"]
    steps = [e["step"] for e in evaluations]
    assert record["stopped_at_step"] is not None and steps[-1] == record["stopped_at_step"]
    assert steps[-1] < 8 * 3  # 12 pairs in batches of 4: 3 steps an epoch; stopped early
    assert not evaluations[-1]["safe"] and not evaluations[-2]["safe"]  # patience 2
    assert record["last_safe_checkpoint"] == f"checkpoint-{steps[0]}"  # safe, then breaches
    checkpoints = sorted(p.name for p in out.glob("checkpoint-*"))
    assert checkpoints == sorted(f"checkpoint-{s}" for s in steps)  # one per evaluation
    for name in checkpoints:
        stamp = json.loads((out / name / RECIPE_FILE).read_text())
        assert stamp["domain"] == "legal" and stamp["recipe"]["adapter"] is True
    assert (out / "final" / RECIPE_FILE).is_file()
    rounds_out = root / "rounds"
    code = main(
        ["rounds", "--corpus", corpus, "--baseline", "default", "--checkpoints", str(out)]
        + ["--out", str(rounds_out), "--k", "3", "--cache-dir", str(root / "cache")]
        + ["--policy", str(policy)]
    )
    assert code in (0, 1)
    rounds = json.loads((rounds_out / "rounds.json").read_text())
    assert rounds["last_safe_round"] == record["last_safe_checkpoint"]


def test_guarded_finetune_input_errors_come_before_any_training(fixture, tmp_path, capsys):
    root, corpus, pairs = fixture
    code = _finetune(root, corpus, pairs, tmp_path / "a", "--guard", "default", "--rounds", "2")
    assert code == 2 and "drop --rounds and --seeds" in capsys.readouterr().err
    policy = tmp_path / "policy.toml"
    policy.write_text("[defaults]\nmax_relative_drop_answer_coverage = 0.1\n")
    code = _finetune(root, corpus, pairs, tmp_path / "b", "--guard", str(policy))
    assert code == 2 and "cannot be evaluated on this corpus" in capsys.readouterr().err
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())


def test_the_worked_example_logs_every_domains_keys_to_tensorboard(tmp_path):
    """docs/examples/guarded_training.py, as docs/rounds.md runs it (one epoch here): the
    guard's keys reach TensorBoard's event files with no code of ours, at every evaluation."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "run"
    subprocess.run(
        [sys.executable, "docs/examples/guarded_training.py", "--out", str(out)]
        + ["--epochs", "1", "--eval-steps", "2", "--report-to", "tensorboard"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
        timeout=600,
    )
    (events,) = {p.parent for p in out.glob("runs/*/events.out.tfevents.*")}
    logged = EventAccumulator(str(events))
    logged.Reload()
    tags = set(logged.Tags()["scalars"])
    domains = sorted(set(load_corpus(root / "sample_corpora" / "enterprise").doc_domains))
    for domain in domains:
        for key in (f"rh_{domain}_ndcg@10_rel_change", f"rh_{domain}_headroom"):
            assert f"eval/{key}" in tags
            assert [e.step for e in logged.Scalars(f"eval/{key}")] == [2, 4]
    assert [e.step for e in logged.Scalars("eval/rh_worst_headroom")] == [2, 4]
    assert json.loads((out / "guard.json").read_text())["evaluations"][0]["step"] == 2
