"""``finetune``: precision-tune a model on one domain's training pairs (a candidate, or a
series of rounds)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.cli.arguments import (
    EXIT_OK,
    add_corpus_arguments,
    add_encoding_arguments,
    at_least,
    request_from,
)
from analysis.errors import InputError

if TYPE_CHECKING:
    from analysis.inputs.corpus import Corpus
    from analysis.inputs.models import SentenceTransformerSource
    from analysis.pipeline.request import Request
    from analysis.progress import Progress
    from analysis.tuning.finetune import Recipe
    from analysis.tuning.pairs import TrainingPair

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
        "--negatives",
        choices=("none", "near-miss"),
        default="none",
        help="near-miss: add to each pair a hard negative, its document with one sentence "
        "edited by a rule (negation, role swap, number, condition), as the paper's recipe "
        "does (none)",
    )
    parser.add_argument(
        "--max-grad-norm",
        type=float,
        default=1.0,
        help="clip the gradient's norm at this value, as the trainer does by default (0: off)",
    )
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
    guard = parser.add_argument_group(
        "guard", "the rollout gate inside the training loop (docs/rounds.md)"
    )
    guard.add_argument(
        "--guard",
        metavar="POLICY",
        help="evaluate the model in training under this policy ('default': the shipped one) "
        "against --base, save a checkpoint at each evaluation in OUT, stop on a breach and "
        "record the last safe checkpoint in OUT/guard.json (never cached)",
    )
    guard.add_argument(
        "--guard-corpus", help="the corpus the guard evaluates on (default: --corpus)"
    )
    guard.add_argument(
        "--k", type=at_least(1), default=10, help="the top-k the guard compares (10)"
    )
    guard.add_argument(
        "--guard-every", type=at_least(1), default=1, help="evaluate every N epochs (1)"
    )
    guard.add_argument(
        "--guard-patience",
        type=at_least(1),
        default=1,
        help="stop after N breaching evaluations in a row (1)",
    )
    guard.add_argument(
        "--guard-noise-floor",
        type=float,
        default=0.0,
        help="a breach counts only beyond this headroom, e.g. the seed/A-A noise floor (0)",
    )
    guard.add_argument(
        "--report-to",
        default="none",
        help="where the trainer logs every evaluation's keys: tensorboard, mlflow, wandb ... "
        "(none)",
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
        max_grad_norm=args.max_grad_norm,
        negatives=args.negatives,
    )
    started = time.perf_counter()
    pairs = read_pairs(pairs_file, corpus, args.domain)
    if args.guard:
        return _guarded(args, request, base, corpus, pairs, recipe, progress, started)
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


def _guarded(
    args: argparse.Namespace,
    request: Request,
    base: SentenceTransformerSource,
    corpus: Corpus,
    pairs: list[TrainingPair],
    recipe: Recipe,
    progress: Progress,
    started: float,
) -> int:
    """``--guard``: train with the evaluator and the stopping callback attached."""
    from analysis.pipeline.guard import GuardCallback, RecallHorizonEvaluator
    from analysis.tuning.finetune import Guard, finetune

    if args.rounds > 1 or args.seeds > 1:
        raise InputError(
            "--guard evaluates every --guard-every epochs and saves a checkpoint each time: "
            "those are the rounds; drop --rounds and --seeds"
        )
    if args.out.exists() and any(args.out.iterdir()):
        raise InputError(f"--out {args.out}: not empty; a guarded run needs a new or empty folder")
    same_corpus = args.guard_corpus is None
    evaluator = RecallHorizonEvaluator(
        args.guard_corpus or request.corpus,
        baseline=base.spec,
        policy=None if args.guard == "default" else args.guard,
        k=request.k,
        cache_dir=request.cache_dir,
        batch_size=request.batch_size,
        queries=(request.queries or "") if same_corpus else "",
        qrels=(request.qrels or "") if same_corpus else "",
        answers=(request.answers or "") if same_corpus else "",
    )
    callback = GuardCallback(
        evaluator, patience=args.guard_patience, noise_floor=args.guard_noise_floor
    )
    guard = Guard(
        evaluator=evaluator,
        callbacks=(callback,),
        output_dir=args.out,
        every_epochs=args.guard_every,
        report_to=args.report_to,
    )
    out, _ = finetune(
        base,
        corpus,
        pairs,
        domain=args.domain,
        out=args.out / "final",
        recipe=recipe,
        cache_root=args.cache_dir,
        progress=progress,
        guard=guard,
    )
    took = time.perf_counter() - started
    ended = (
        f"stopped by the guard at step {callback.stopped_at}"
        if callback.stopped_at is not None
        else "finished every epoch"
    )
    safe = (
        f"last safe checkpoint: {args.out / f'checkpoint-{callback.last_safe_step}'}"
        if callback.last_safe_step is not None
        else "no evaluation was safe: keep the base model"
    )
    print(f"{ended} in {took:.1f}s; {safe}; the model where training ended: {out}")
    from analysis.pipeline.guard import GUARD_FILE

    print(f"every evaluation: {args.out / GUARD_FILE} (use rounds --checkpoints {args.out})")
    return EXIT_OK
