"""``demo``: the newcomer's first run, offline: the demo candidate (tuned on first use),
compared on the sample corpus, with its report; or the demo's rounds."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from types import ModuleType

import analysis.cli.remedies as remedies
import analysis.cli.report as report
import analysis.cli.rounds as rounds
from analysis.cli.arguments import EXIT_OK, at_least

NAME = "demo"
HELP = "build the demo candidate (once), compare it on the sample corpus, report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, help="output folder (artifacts/demo; artifacts/demo-rounds)"
    )
    parser.add_argument("--cache-dir", type=Path, help="embedding/model cache folder")
    parser.add_argument(
        "--remedies",
        action="store_true",
        help="also evaluate every remedy (exit 1 when none passes the policy, as `remedies`)",
    )
    parser.add_argument(
        "--near-miss",
        action="store_true",
        help="instead, the paper's recipe: the demo's, with a rule-made near-miss hard "
        "negative per pair, compared with near-miss sensitivity (artifacts/demo-near-miss)",
    )
    parser.add_argument(
        "--rounds",
        type=at_least(1),
        help="instead, the demo's recipe in N rounds, compared round by round "
        "(exit 1 when a rollback is advised, as `rounds`)",
    )


def run(args: argparse.Namespace) -> int:
    from analysis.progress import TqdmProgress
    from analysis.tuning.demo import (
        DEMO_CANDIDATE,
        DEMO_DOMAIN,
        DEMO_NEAR_MISS_CANDIDATE,
        SAMPLE_CORPUS,
        ensure_demo_candidate,
    )

    if args.rounds:
        return run_rounds(args)
    name = DEMO_NEAR_MISS_CANDIDATE if args.near_miss else DEMO_CANDIDATE
    out = args.out or Path("artifacts/demo-near-miss" if args.near_miss else "artifacts/demo")
    started = time.perf_counter()
    folder, cached = ensure_demo_candidate(args.cache_dir, TqdmProgress(), name)
    how = "from the cache" if cached else f"tuned on '{DEMO_DOMAIN}'"
    print(f"{name} {how} in {time.perf_counter() - started:.0f}s: {folder}")
    inputs = ["--corpus", str(SAMPLE_CORPUS), "--baseline", "default", "--candidate", str(folder)]
    inputs += ["--out", str(out), "--projection", *_cache(args)]
    if args.near_miss:
        inputs += ["--near-misses", "rules"]
    code = EXIT_OK
    if args.remedies:
        code = remedies.run(_parsed(remedies, inputs))
        inputs = ["--from", str(out)]
    report.run(_parsed(report, [*inputs, "--report", str(out / "report.html")]))
    return code


def run_rounds(args: argparse.Namespace) -> int:
    """The demo's recipe in ``--rounds`` rounds by epochs (built once, then cached), and
    ``rounds`` on them."""
    from analysis.progress import TqdmProgress
    from analysis.tuning.demo import SAMPLE_CORPUS, ensure_demo_rounds

    checkpoints = ensure_demo_rounds(args.rounds, args.cache_dir, progress=TqdmProgress())
    out = args.out or Path("artifacts/demo-rounds")
    return rounds.run(
        _parsed(
            rounds,
            ["--corpus", str(SAMPLE_CORPUS), "--baseline", "default"]
            + ["--checkpoints", str(checkpoints), "--out", str(out)]
            + _cache(args),
        )
    )


def _parsed(command: ModuleType, argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed as ``command``'s arguments."""
    parser = argparse.ArgumentParser(prog=command.NAME)
    command.add_arguments(parser)
    return parser.parse_args(argv)


def _cache(args: argparse.Namespace) -> list[str]:
    return ["--cache-dir", str(args.cache_dir)] if args.cache_dir else []
