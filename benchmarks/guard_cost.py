"""What the guard evaluator costs inside a training loop: one evaluation on the demo corpus
against one training epoch of the demo recipe.

Usage: PYTHONPATH=. python benchmarks/guard_cost.py

Times, in one process on this machine: one epoch of the demo's recipe (``finetune`` with
the recipe's settings and ``epochs=1``, into a fresh cache); building the evaluator on the
bundled demo corpus (the baseline's vectors through a fresh cache, and the policy check);
and one evaluation of the bundled MiniLM (the corpus encoded, the comparison, the gate) —
the cost a trainer pays at every ``eval_steps``.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sentence_transformers import SentenceTransformer

from analysis.inputs.corpus import load_corpus
from analysis.inputs.models import default_model_folder
from analysis.inputs.specs import resolve_source
from analysis.pipeline.guard import RecallHorizonEvaluator
from analysis.tuning.demo import DEMO_DOMAIN, DEMO_RECIPE, SAMPLE_CORPUS
from analysis.tuning.finetune import finetune
from analysis.tuning.pairs import read_pairs


def main() -> None:
    work = Path(tempfile.mkdtemp())
    corpus = load_corpus(SAMPLE_CORPUS)
    pairs = read_pairs(SAMPLE_CORPUS / "train" / "pairs.jsonl", corpus, DEMO_DOMAIN)
    started = time.perf_counter()
    finetune(
        resolve_source("default"),  # type: ignore[arg-type]
        corpus,
        pairs,
        domain=DEMO_DOMAIN,
        out=work / "epoch",
        recipe=replace(DEMO_RECIPE, epochs=1),
        cache_root=work,
    )
    epoch = time.perf_counter() - started
    started = time.perf_counter()
    guard = RecallHorizonEvaluator(str(SAMPLE_CORPUS), baseline="default", cache_dir=work)
    built = time.perf_counter() - started
    model = SentenceTransformer(str(default_model_folder()), device="cpu")
    started = time.perf_counter()
    guard(model)
    evaluation = time.perf_counter() - started
    print(f"demo corpus: {corpus.n_docs} documents, {corpus.n_queries} queries")
    print(f"  one epoch of the demo recipe ({len(pairs)} pairs): {epoch:6.1f} s")
    print(f"  building the evaluator (baseline encoded, policy checked): {built:6.1f} s")
    print(f"  one evaluation: {evaluation:6.1f} s ({evaluation / epoch:.0%} of an epoch)")


if __name__ == "__main__":
    main()
