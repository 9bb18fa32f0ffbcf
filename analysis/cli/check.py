"""``check``: the rollout gate on a comparison (exit 0 pass, 1 fail, 2 bad input)."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.arguments import EXIT_BREACH, EXIT_OK, add_source_arguments, say
from analysis.cli.compare import output_folder

NAME = "check"
HELP = "rollout gate: check a comparison against a policy (exit 0 pass, 1 fail)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument(
        "--policy", type=Path, help="policy TOML (default: the shipped default policy)"
    )


def run(args: argparse.Namespace) -> int:
    from analysis.bundle.files import load_summary
    from analysis.verdict.gate import evaluate, load_policy
    from analysis.verdict.text import gate_text

    policy = load_policy(args.policy)  # validate before any long computation
    folder = output_folder(args, policy)
    result = evaluate(load_summary(folder), policy)
    for name in result.unknown_domains:
        say(f"warning: the policy names domain '{name}', which is not in this comparison")
    print(gate_text(result, policy.source))
    if not result.passed:
        print(_remedy_line(folder))
    return EXIT_OK if result.passed else EXIT_BREACH


def _remedy_line(folder: Path) -> str:
    """What to ship instead, when remedies were evaluated beside this comparison."""
    import json

    from analysis.bundle.out import REMEDIES_FILE

    path = folder / REMEDIES_FILE
    if not path.is_file():
        return "remedies: none evaluated (run with --remedies all to find what to ship instead)"
    record = json.loads(path.read_text(encoding="utf-8"))
    return f"remedies: {record['sentence']}"
