"""What the guard costs inside a training loop: one evaluation against one training epoch.

Usage: PYTHONPATH=. python benchmarks/guard_cost.py [--adapter-epochs 20] [--full-epochs 3]

Two recipes, each through the real ``finetune`` on the bundled demo corpus with
``--guard default`` evaluating every epoch, in one process on this machine, into a fresh
cache:

* the demo's recipe (a linear adapter on the frozen MiniLM, 60 legal pairs); its first
  evaluation tokenises the corpus and puts it through the frozen encoder, the later ones
  only through the adapter;
* every layer of MiniLM (lr 1e-4, the same pairs); each evaluation encodes the whole corpus.

A callback clocks each epoch inside the trainer and splits it into training, the
evaluation (from the end of the epoch's last step to the trainer's ``on_evaluate``) and the
checkpoint a guarded run saves at each evaluation (to ``on_save``; ``rounds`` reads them).
Medians over the epochs are printed, so one slow epoch on a shared machine does not decide
the ratio. The two comparisons an evaluation makes are also timed alone, from the trained
model's vectors: what encoding and the trainer's own ``evaluate()`` cost is the rest.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from analysis.inputs.corpus import load_corpus
from analysis.inputs.specs import resolve_source
from analysis.pipeline.guard import GuardCallback, RecallHorizonEvaluator
from analysis.tuning.demo import DEMO_DOMAIN, DEMO_RECIPE, SAMPLE_CORPUS
from analysis.tuning.finetune import Guard, Recipe, finetune
from analysis.tuning.pairs import read_pairs


class EpochClock(TrainerCallback):
    """Each epoch's seconds: training, evaluating and saving its checkpoint."""

    def __init__(self) -> None:
        self.epochs: list[dict[str, float]] = []
        self._marks: dict[str, float] = {}

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._marks = {"begin": time.perf_counter()}

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._marks["step_end"] = time.perf_counter()

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._marks["evaluated"] = time.perf_counter()

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._marks["saved"] = time.perf_counter()

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        marks = self._marks
        evaluating = marks.get("evaluated", marks["step_end"]) - marks["step_end"]
        saving = marks.get("saved", marks.get("evaluated", 0.0)) - marks.get("evaluated", 0.0)
        whole = time.perf_counter() - marks["begin"]
        self.epochs.append(
            {"training": whole - evaluating - saving, "evaluating": evaluating, "saving": saving}
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter-epochs", type=int, default=20)
    parser.add_argument("--full-epochs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:  # a checkpoint an epoch: GBs in all
        run(Path(folder), args.adapter_epochs, args.full_epochs)


def run(work: Path, adapter_epochs: int, full_epochs: int) -> None:
    corpus = load_corpus(SAMPLE_CORPUS)
    pairs = read_pairs(SAMPLE_CORPUS / "train" / "pairs.jsonl", corpus, DEMO_DOMAIN)
    started = time.perf_counter()
    evaluator = RecallHorizonEvaluator(str(SAMPLE_CORPUS), baseline="default", cache_dir=work)
    built = time.perf_counter() - started
    print(f"demo corpus: {corpus.n_docs} documents, {corpus.n_queries} queries")
    print(f"  building the evaluator (baseline encoded, policy checked): {built:6.1f} s")
    full = Recipe(epochs=1, learning_rate=1e-4, batch_size=16)
    for label, recipe, epochs in (
        ("the demo's adapter recipe", DEMO_RECIPE, adapter_epochs),
        ("every layer, lr 1e-4", full, full_epochs),
    ):
        clock = EpochClock()
        folder = work / f"guarded-{label[:5]}"
        callbacks = (GuardCallback(evaluator, patience=10**6), clock)
        finetune(
            resolve_source("default"),  # type: ignore[arg-type]
            corpus,
            pairs,
            domain=DEMO_DOMAIN,
            out=folder / "final",
            recipe=replace(recipe, epochs=epochs),
            cache_root=work,
            guard=Guard(evaluator, callbacks, folder),
        )
        first, later = clock.epochs[0], clock.epochs[1:]
        median = {part: statistics.median(e[part] for e in later) for part in first}
        epoch = median["training"]
        print(f"  {label}: {epochs} epochs of {len(pairs)} pairs, medians of the last {len(later)}")
        print(f"    one epoch's training {epoch:6.3f} s")
        print(
            f"    an evaluation {median['evaluating']:6.3f} s "
            f"({median['evaluating'] / epoch:.0%} of an epoch); the first one "
            f"{first['evaluating']:5.2f} s (it tokenises and encodes the corpus from scratch)"
        )
        print(
            f"    saving a checkpoint at each evaluation {median['saving']:6.3f} s "
            f"({median['saving'] / epoch:.0%} of an epoch)"
        )
        compared = comparisons(evaluator, folder / "final")
        print(
            f"    of an evaluation, its two comparisons from the vectors (median of 5): "
            f"{compared:5.3f} s; the rest is encoding the corpus's "
            f"{corpus.n_docs + corpus.n_queries} texts and the trainer's evaluate() around it"
        )


def comparisons(evaluator: RecallHorizonEvaluator, model_path: Path) -> float:
    """An evaluation without its encoding: the trained model's vectors against the baseline
    and against the vectors before (here the baseline's), as the evaluator compares them."""
    from sentence_transformers import SentenceTransformer

    current = evaluator.encoded(SentenceTransformer(str(model_path), device="cpu"))
    times = []
    for _ in range(5):
        started = time.perf_counter()
        evaluator.metrics(evaluator.summary(current))
        evaluator.gate(evaluator.summary(current, against=evaluator.baseline))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


if __name__ == "__main__":
    main()
