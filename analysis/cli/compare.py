"""``compare``: a baseline and a candidate on a corpus, written as an output folder."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from analysis.cli.arguments import EXIT_OK, add_comparison_arguments, request_from
from analysis.errors import InputError

NAME = "compare"
HELP = "compare a baseline and a candidate model on a corpus"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_comparison_arguments(parser, required=True)


def run(args: argparse.Namespace) -> int:
    from analysis.bundle.files import write_comparison
    from analysis.bundle.out import check_out
    from analysis.pipeline.run import run_comparison
    from analysis.progress import TqdmProgress
    from reporting.text import comparison_text

    request = request_from(args)
    request.config()  # every setting checked before the output folder
    check_out(args.out)  # before any work: a bad --out must not cost an encoding run
    started = time.perf_counter()
    outcome = run_comparison(request, progress=TqdmProgress())
    bundle = write_comparison(
        outcome.comparison, args.out, corpus_source=request.corpus, bundle=outcome.bundle
    )
    print(comparison_text(bundle))
    elapsed = time.perf_counter() - started
    print(f"\n{outcome.counts()}; wrote {args.out} in {elapsed:.1f}s")
    return EXIT_OK


def output_folder(args: argparse.Namespace) -> Path:
    """The output folder a command reads (check, report): --from, or a fresh comparison
    written to --out."""
    if args.from_dir is not None:
        if args.corpus or args.baseline or args.candidate:
            raise InputError("use either --from DIR or --corpus/--baseline/--candidate, not both")
        return Path(args.from_dir)
    missing = [f"--{n}" for n in ("corpus", "baseline", "candidate", "out") if not getattr(args, n)]
    if missing:
        raise InputError(f"give --from DIR, or {', '.join(missing)} for a fresh comparison")
    run(args)
    return Path(args.out)
