"""The entry: the parser of every command, and the dispatch with the exit codes.

Adding a command is its module (``NAME``, ``HELP``, ``add_arguments``, ``run``) and one
line in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

import analysis.cli.check as check
import analysis.cli.compare as compare
import analysis.cli.demo as demo
import analysis.cli.embed as embed
import analysis.cli.finetune as finetune
import analysis.cli.remedies as remedies
import analysis.cli.report as report
import analysis.cli.rounds as rounds
from analysis.cli.arguments import EXIT_BAD_INPUT, PROG
from analysis.errors import InputError

COMMANDS: tuple[ModuleType, ...] = (
    compare,
    remedies,
    embed,
    check,
    report,
    rounds,
    demo,
    finetune,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Recall Horizon: did fine-tuning an embedding model shrink retrieval?",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_arguments(commands.add_parser(command.NAME, help=command.HELP))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run = {command.NAME: command.run for command in COMMANDS}[args.command]
    try:
        return int(run(args))
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:  # e.g. an output folder that cannot be written
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
