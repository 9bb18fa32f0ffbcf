"""``report``: a self-contained HTML report of a comparison."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.arguments import EXIT_OK, add_source_arguments
from analysis.cli.compare import output_folder
from analysis.errors import InputError

NAME = "report"
HELP = "write a self-contained HTML report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--report", required=True, type=Path, help="the HTML file to write")
    parser.add_argument("--policy", type=Path, help="policy TOML for the gate section")


def run(args: argparse.Namespace) -> int:
    from analysis.bundle.files import load_bundle
    from analysis.verdict.gate import evaluate, load_policy

    policy = load_policy(args.policy)
    check_report_file(args.report)
    folder = output_folder(args)
    from reporting.html import write_report

    bundle = load_bundle(folder)
    gate = evaluate(bundle.summary, policy)
    size = write_report(bundle, args.report, gate=gate, policy_source=policy.source)
    print(f"wrote {args.report} ({size / 1e6:.1f} MB) from the data bundle in {folder}")
    return EXIT_OK


def check_report_file(path: Path) -> None:
    """The report must be an .html file; an existing file is replaced only if it is one."""
    from analysis.bundle.out import check_writable

    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--report {path}: the report is HTML; give a name ending in .html")
    if path.exists() and not path.is_file():
        raise InputError(f"--report {path}: is a folder, not a file")
    check_writable(path.parent, what=f"--report {path}")
