"""``remedies``: a candidate that fails the gate, and what to ship instead: every remedy
evaluated as a new candidate (exit 0: one passes the policy, 1: none does, 2: bad input)."""

from __future__ import annotations

import argparse
from pathlib import Path

import analysis.cli.compare as compare
from analysis.cli.arguments import add_comparison_arguments

NAME = "remedies"
HELP = "evaluate remedies (interpolation, fusion, hybrid BM25, a recall floor) under the gate"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_comparison_arguments(parser, required=True)
    parser.add_argument(
        "--policy", type=Path, help="policy TOML (default: the shipped default policy)"
    )
    parser.set_defaults(remedies="all")


def run(args: argparse.Namespace) -> int:
    from analysis.verdict.gate import load_policy

    policy = load_policy(args.policy)  # validated before any long computation
    return compare.run(args, policy)
