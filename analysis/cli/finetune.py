"""``finetune``: precision-tune a model on one domain's training pairs (a candidate, or a
series of rounds)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from analysis.cli.arguments import (
    EXIT_OK,
    add_corpus_arguments,
    add_encoding_arguments,
    at_least,
    request_from,
)
from analysis.errors import InputError

NAME = "finetune"
HELP = "precision-tune a model on one domain's training pairs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_corpus_arguments(parser)
    parser.add_argument("--domain", required=True, help="the domain to tune on")
    parser.add_argument("--base", required=True, help="'default', a model folder or a hub id")
    parser.add_argument("--out", required=True, type=Path, help="folder for the tuned model")
    parser.add_argument(
        "--pairs", type=Path, help="training pairs (default: CORPUS/train/pairs.jsonl)"
    )
    parser.add_argument("--epochs", type=at_least(1), default=8)
    parser.add_argument("--lr", type=float, default=1e-4, help="learning rate (1e-4)")
    parser.add_argument("--train-batch-size", type=at_least(2), default=16)
    parser.add_argument(
        "--train-layers", type=int, default=0, help="train only the top N layers (0: all)"
    )
    parser.add_argument("--scale", type=float, default=20.0, help="similarity scale (20)")
    parser.add_argument(
        "--adapter", action="store_true", help="train only a linear layer on the frozen model"
    )
    parser.add_argument(
        "--no-adapter-bias", action="store_true", help="the adapter learns no bias (a shift)"
    )
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument(
        "--anchor",
        type=float,
        default=0.0,
        help="weight of a loss that keeps the tuning domain's document-to-document "
        "similarities as the base model has them (0: off)",
    )
    parser.add_argument("--seed", type=at_least(0), default=0)
    parser.add_argument(
        "--rounds",
        type=at_least(1),
        default=1,
        help="save N checkpoints, OUT/round1 ... OUT/roundN (for `rounds --checkpoints`)",
    )
    parser.add_argument(
        "--round-by",
        choices=("epochs", "pairs"),
        default="epochs",
        help="a round is E/N more epochs on every pair, or the next chunk of the pairs (epochs)",
    )
    parser.add_argument(
        "--seeds", type=at_least(1), default=1, help="train each round with N seeds (1)"
    )
    add_encoding_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from analysis.pipeline.run import load_corpus, model_of
    from analysis.progress import TqdmProgress
    from analysis.tuning.finetune import Recipe, finetune
    from analysis.tuning.pairs import read_pairs

    request = request_from(args)
    progress = TqdmProgress()
    corpus = load_corpus(request, progress=progress)
    base = model_of(request, args.base, "--base")
    pairs_file = args.pairs or Path(args.corpus) / "train" / "pairs.jsonl"
    if not pairs_file.is_file():
        raise InputError(f"{pairs_file}: training pairs file not found (use --pairs)")
    recipe = Recipe(
        epochs=args.epochs,
        learning_rate=args.lr,
        batch_size=args.train_batch_size,
        train_layers=args.train_layers,
        scale=args.scale,
        adapter=args.adapter,
        adapter_bias=not args.no_adapter_bias,
        weight_decay=args.weight_decay,
        anchor=args.anchor,
        seed=args.seed,
    )
    started = time.perf_counter()
    pairs = read_pairs(pairs_file, corpus, args.domain)
    if args.rounds > 1 or args.seeds > 1:
        from analysis.tuning.rounds import finetune_rounds

        chains = finetune_rounds(
            base,
            corpus,
            pairs,
            domain=args.domain,
            out=args.out,
            recipe=recipe,
            rounds=args.rounds,
            seeds=args.seeds,
            by=args.round_by,
            cache_root=args.cache_dir,
            progress=progress,
        )
        print(
            f"{len(chains[0])} rounds x {len(chains)} seed(s) in {args.out} in "
            f"{time.perf_counter() - started:.1f}s (use rounds --checkpoints {args.out})"
        )
        return EXIT_OK
    out, cached = finetune(
        base,
        corpus,
        pairs,
        domain=args.domain,
        out=args.out,
        recipe=recipe,
        cache_root=args.cache_dir,
        progress=progress,
    )
    how = "copied from the cache" if cached else "trained"
    print(f"{how}: {out} in {time.perf_counter() - started:.1f}s (use --candidate {out})")
    return EXIT_OK
