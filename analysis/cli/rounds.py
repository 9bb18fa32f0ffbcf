"""``rounds``: a series of fine-tuning rounds, each compared with the baseline and with the
round before (exit 0: the last round is safe, 1: a rollback is advised)."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.arguments import (
    EXIT_BREACH,
    EXIT_OK,
    MODEL_SPECS,
    add_corpus_arguments,
    add_encoding_arguments,
    add_setting_arguments,
    request_from,
)
from analysis.errors import InputError

NAME = "rounds"
HELP = (
    "compare a series of fine-tuning rounds with the baseline and with each other "
    "(exit 0: the last round is safe, 1: a rollback is advised)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_corpus_arguments(parser)
    parser.add_argument(
        "--baseline", required=True, help=f"the model before any round: {MODEL_SPECS}"
    )
    parser.add_argument(
        "--round",
        dest="rounds",
        action="append",
        default=[],
        metavar="NAME=SPEC[,SPEC...]",
        help="a round, in order (repeat); several specs: the round's checkpoints trained "
        "with different seeds",
    )
    parser.add_argument(
        "--checkpoints",
        "--series",  # its former name, still accepted
        dest="checkpoints",
        type=Path,
        help="a folder whose sub-folders are the rounds' checkpoints, in name order "
        "(a sub-folder of model folders: one round, several seeds)",
    )
    parser.add_argument(
        "--target",
        dest="targets",
        action="append",
        default=[],
        help="a domain the rounds were tuned for (repeat; default: the domains the "
        "checkpoints' finetune recipes record)",
    )
    parser.add_argument(
        "--policy", type=Path, help="policy TOML (default: the shipped default policy)"
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder of the rounds")
    add_encoding_arguments(parser)
    add_setting_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from analysis.bundle.out import check_out, replacing
    from analysis.pipeline.rounds import run_rounds
    from analysis.progress import TqdmProgress
    from analysis.rounds.spec import check_rounds, parse_round, rounds_from_folder
    from analysis.rounds.text import rounds_text
    from analysis.verdict.gate import load_policy
    from reporting.html import write_rounds_report

    if args.rounds and args.checkpoints:
        raise InputError("give the rounds either as --round options or as --checkpoints, not both")
    rounds = [parse_round(r) for r in args.rounds] or (
        rounds_from_folder(args.checkpoints) if args.checkpoints else []
    )
    check_rounds(rounds)
    policy = load_policy(args.policy)
    request = request_from(args)
    request.config()  # every setting checked before the output folder
    check_out(args.out)
    with replacing(args.out) as staging:
        record, verdict = run_rounds(
            request,
            rounds,
            targets=args.targets,
            policy=policy,
            out=staging,
            progress=TqdmProgress(),
        )
        write_rounds_report(record, staging / "report.html")
    print(rounds_text(record))
    print(f"\nwrote {args.out} ({len(rounds)} rounds; the rounds report: {args.out}/report.html)")
    return EXIT_BREACH if verdict.rollback_advised else EXIT_OK
