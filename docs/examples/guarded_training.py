"""A team's own sentence-transformers training script, with Recall Horizon's guard added.

The lines marked ``# guard`` are all it takes: the evaluator compares the model in training
with the baseline on a corpus with domains at every evaluation (the keys go to TensorBoard,
or wherever ``report_to`` points), the callback stops the run on a breach and writes
``OUT/guard.json``, and ``recall-horizon rounds --checkpoints OUT`` reads the checkpoints.

Run from a checkout (offline; about a minute on two CPU cores):

    PYTHONPATH=. python docs/examples/guarded_training.py --out runs/guarded
    tensorboard --logdir runs/guarded --host 127.0.0.1      # the per-domain curves
    python -m analysis rounds --corpus sample_corpora/enterprise --baseline default \\
        --checkpoints runs/guarded --out runs/guarded-rounds  # then open it in the dashboard

It tunes every layer of the bundled MiniLM on the demo's 60 legal (question, clause)
pairs at a learning rate high enough to hurt the other domains: the guard sees it happen.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from datasets import Dataset
from sentence_transformers import (
    SentenceTransformer,
    SentenceTransformerTrainer,
    SentenceTransformerTrainingArguments,
)
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

from analysis.inputs.models import default_model_folder
from analysis.pipeline.guard import GuardCallback, RecallHorizonEvaluator  # guard

CORPUS = "sample_corpora/enterprise"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--eval-steps", type=int, default=2)
    parser.add_argument("--report-to", default="tensorboard")
    args = parser.parse_args()

    # The team's training data: (question, passage) pairs of the domain it tunes for.
    rows = _jsonl(f"{CORPUS}/train/pairs.jsonl")
    docs = {record["_id"]: record["text"] for record in _jsonl(f"{CORPUS}/corpus.jsonl")}
    pairs = Dataset.from_dict(
        {"anchor": [r["query"] for r in rows], "positive": [docs[r["doc_id"]] for r in rows]}
    )
    model = SentenceTransformer(str(default_model_folder()), device="cpu")

    guard = RecallHorizonEvaluator(CORPUS, baseline="default", model=model)  # guard
    stop = GuardCallback(guard, patience=2)  # guard
    training = SentenceTransformerTrainingArguments(
        output_dir=args.out,
        num_train_epochs=args.epochs,
        per_device_train_batch_size=16,
        learning_rate=3e-4,
        seed=0,
        use_cpu=True,
        report_to=args.report_to,
        logging_steps=args.eval_steps,
        eval_strategy="steps",  # guard
        eval_steps=args.eval_steps,  # guard
        save_steps=args.eval_steps,  # guard: a checkpoint at every evaluation
        metric_for_best_model=guard.primary_metric,  # guard
        greater_is_better=True,  # guard
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=training,
        train_dataset=pairs,
        loss=MultipleNegativesRankingLoss(model),
        evaluator=guard,  # guard
        callbacks=[stop],  # guard
    )
    trainer.train()
    print(f"last safe checkpoint: {stop.last_safe_step}, stopped at: {stop.stopped_at}")


def _jsonl(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


if __name__ == "__main__":
    main()
