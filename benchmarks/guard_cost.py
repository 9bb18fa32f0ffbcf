"""What the guard costs inside a training loop: one evaluation against one training epoch.

Usage: PYTHONPATH=. python benchmarks/guard_cost.py

Two recipes, each through the real ``finetune`` on the bundled demo corpus, in one process
on this machine, into a fresh cache:

* the demo's recipe (a linear adapter on the frozen MiniLM, 60 legal pairs): an epoch's
  time is the difference between a 20- and a 10-epoch run, divided by 10 (so loading the
  model and saving it are not counted); the evaluations are those of a 10-epoch run with
  ``--guard default`` evaluating every epoch, as ``guard.json`` records their time (the
  first one encodes the corpus through the frozen encoder; the later ones only through the
  adapter);
* every layer of MiniLM (lr 1e-4, the same pairs), one epoch the difference between a 2-
  and a 1-epoch run; its evaluations encode the whole corpus each time.

For each, the two comparisons an evaluation makes are also timed alone, from the trained
model's vectors, so what encoding costs is the rest.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from analysis.inputs.corpus import load_corpus
from analysis.inputs.specs import resolve_source
from analysis.pipeline.guard import GUARD_FILE, GuardCallback, RecallHorizonEvaluator
from analysis.tuning.demo import DEMO_DOMAIN, DEMO_RECIPE, SAMPLE_CORPUS
from analysis.tuning.finetune import Guard, Recipe, finetune
from analysis.tuning.pairs import read_pairs


def main() -> None:
    work = Path(tempfile.mkdtemp())
    corpus = load_corpus(SAMPLE_CORPUS)
    pairs = read_pairs(SAMPLE_CORPUS / "train" / "pairs.jsonl", corpus, DEMO_DOMAIN)

    def trained(recipe: Recipe, name: str, guard: Guard | None = None) -> float:
        started = time.perf_counter()
        finetune(
            resolve_source("default"),  # type: ignore[arg-type]
            corpus,
            pairs,
            domain=DEMO_DOMAIN,
            out=work / name,
            recipe=recipe,
            cache_root=work,
            guard=guard,
        )
        return time.perf_counter() - started

    started = time.perf_counter()
    evaluator = RecallHorizonEvaluator(str(SAMPLE_CORPUS), baseline="default", cache_dir=work)
    built = time.perf_counter() - started
    print(f"demo corpus: {corpus.n_docs} documents, {corpus.n_queries} queries")
    print(f"  building the evaluator (baseline encoded, policy checked): {built:6.1f} s")
    full = Recipe(epochs=1, learning_rate=1e-4, batch_size=16)
    for label, recipe, short in (
        ("the demo's adapter recipe", DEMO_RECIPE, 10),
        ("every layer, lr 1e-4", full, 1),
    ):
        epoch = (
            trained(replace(recipe, epochs=2 * short), f"{short * 2}")
            - trained(replace(recipe, epochs=short), f"{short}")
        ) / short
        folder = work / f"guarded-{short}"
        guard = Guard(evaluator, (GuardCallback(evaluator, patience=10**6),), folder)
        trained(replace(recipe, epochs=short), f"guarded-{short}/final", guard)
        seconds = [
            e["seconds"] for e in json.loads((folder / GUARD_FILE).read_text())["evaluations"]
        ]
        later = statistics.median(seconds[1:]) if len(seconds) > 1 else seconds[0]
        print(f"  {label}: one epoch ({len(pairs)} pairs) {epoch:6.2f} s")
        print(
            f"    first evaluation {seconds[0]:5.2f} s ({seconds[0] / epoch:.0%} of an epoch), "
            f"later ones (median of {len(seconds) - 1}) {later:5.2f} s ({later / epoch:.0%})"
        )
        compared = comparisons(evaluator, work / f"guarded-{short}" / "final")
        print(
            f"    of an evaluation, its two comparisons from the vectors (median of 5): "
            f"{compared:5.2f} s; the rest is encoding the corpus's "
            f"{corpus.n_docs + corpus.n_queries} texts"
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
