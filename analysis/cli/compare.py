"""``compare``: a baseline and a candidate on a corpus, written as an output folder."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.cli.arguments import (
    EXIT_BREACH,
    EXIT_OK,
    add_comparison_arguments,
    remedy_plan,
    request_from,
)
from analysis.errors import InputError

if TYPE_CHECKING:
    from analysis.verdict.gate import Policy

NAME = "compare"
HELP = "compare a baseline and a candidate model on a corpus"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_comparison_arguments(parser, required=True)


def run(args: argparse.Namespace, policy: Policy | None = None) -> int:
    """The comparison, written to --out; with --remedies, the remedies too (judged by
    ``policy``, the shipped default when None), and the exit code says whether one passes."""
    from analysis.bundle.files import write_comparison_into
    from analysis.bundle.out import REMEDY_SETTINGS, check_out, replacing
    from analysis.pipeline.run import run_comparison
    from analysis.progress import TqdmProgress
    from analysis.verdict.gate import load_policy
    from reporting.text import comparison_text

    request = request_from(args)
    request.config()  # every setting checked before the output folder
    plan = remedy_plan(args)
    if plan is not None and request.shards:
        raise InputError(
            "--remedies builds and searches the remedies' own vectors in this process; leave "
            "out --ray/--from-shards (the comparison alone runs over shards)"
        )
    policy = policy or load_policy()
    check_out(args.out)  # before any work: a bad --out must not cost an encoding run
    if plan is not None:  # the models and the reranker a plan needs, checked before any work
        from analysis.pipeline.remedies import remedy_inputs, run_remedies

        inputs = remedy_inputs(request, plan)
    started = time.perf_counter()
    progress = TqdmProgress()
    outcome = run_comparison(request, progress=progress)
    record, bundle = None, outcome.bundle
    with replacing(args.out) as staging:  # a bad remedy input or a failure writes nothing
        if plan is not None:
            record = run_remedies(
                request,
                outcome,
                plan,
                policy,
                progress=progress,
                inputs=inputs,
                settings_to=staging / REMEDY_SETTINGS if args.setting_folders else None,
            )
            bundle = replace(bundle, extras={**bundle.extras, "remedies": record})
        bundle = write_comparison_into(
            outcome.comparison, staging, corpus_source=request.corpus, bundle=bundle
        )
    bundle = replace(bundle, folder=args.out)
    print(comparison_text(bundle))
    if record is not None:
        from analysis.remedies.record import remedies_text

        print(f"\nRemedies (policy: {policy.source})\n" + remedies_text(record))
    elapsed = time.perf_counter() - started
    print(f"\n{outcome.counts()}; wrote {args.out} in {elapsed:.1f}s")
    if record is not None and record["best"] is None:
        return EXIT_BREACH
    return EXIT_OK


def output_folder(args: argparse.Namespace, policy: Policy | None = None) -> Path:
    """The output folder a command reads (check, report): --from, or a fresh comparison
    written to --out (its remedies, if asked for, judged by ``policy``)."""
    if args.from_dir is not None:
        if getattr(args, "remedies", None):
            raise InputError("--remedies needs a fresh comparison (--corpus ...), not --from")
        if args.corpus or args.baseline or args.candidate:
            raise InputError("use either --from DIR or --corpus/--baseline/--candidate, not both")
        return Path(args.from_dir)
    missing = [f"--{n}" for n in ("corpus", "baseline", "candidate", "out") if not getattr(args, n)]
    if missing:
        raise InputError(f"give --from DIR, or {', '.join(missing)} for a fresh comparison")
    run(args, policy)
    return Path(args.out)
