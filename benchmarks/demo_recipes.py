"""The demo recipe and its ablations on the bundled corpus, each through the real finetune.

Usage: python benchmarks/demo_recipes.py --work DIR [--seeds 0 1 2] [--recipes NAME ...]

Each recipe tunes the default model on the legal training pairs (analysis.tuning.finetune, cached
like any candidate), compares it with the untuned model on the held-out queries and prints
the per-domain table that sample_corpora/README.md quotes.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from analysis.bundle.files import load_summary
from analysis.cli import main as cli
from analysis.inputs.corpus import load_corpus
from analysis.inputs.models import SentenceTransformerSource
from analysis.inputs.specs import resolve_source
from analysis.tuning.demo import DEMO_DOMAIN, DEMO_RECIPE, SAMPLE_CORPUS
from analysis.tuning.finetune import Recipe, finetune
from analysis.tuning.pairs import read_pairs
from benchmarks.domain_table import domain_table

RECIPES = {
    "demo": DEMO_RECIPE,
    "demo-without-anchor": replace(DEMO_RECIPE, anchor=0.0),
    "demo-with-bias": replace(DEMO_RECIPE, adapter_bias=True),
    "previous-demo": Recipe(epochs=60, learning_rate=3e-3, batch_size=16, adapter=True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--recipes", nargs="+", choices=sorted(RECIPES), default=list(RECIPES))
    args = parser.parse_args()
    corpus = load_corpus(SAMPLE_CORPUS)
    pairs = read_pairs(SAMPLE_CORPUS / "train" / "pairs.jsonl", corpus, DEMO_DOMAIN)
    for name in args.recipes:
        for seed in args.seeds:
            recipe = replace(RECIPES[name], seed=seed)
            base = resolve_source("default")
            assert isinstance(base, SentenceTransformerSource)
            folder = args.work / f"{name}-seed{seed}"
            finetune(base, corpus, pairs, domain=DEMO_DOMAIN, out=folder / "model", recipe=recipe)
            compare_args = ["compare", "--corpus", str(SAMPLE_CORPUS), "--baseline", "default"]
            compare_args += ["--candidate", str(folder / "model"), "--out", str(folder / "out")]
            assert cli(compare_args) == 0
            table = domain_table(load_summary(folder / "out"))
            print(f"\n### {name}, seed {seed}: {recipe}\n\n{table}", flush=True)


if __name__ == "__main__":
    main()
