"""The command line: ``recall-horizon compare ...`` (or ``python -m analysis compare ...``).

One module per command (its arguments and its ``run``), :mod:`analysis.cli.arguments` for
the arguments commands share, :mod:`analysis.cli.main` to dispatch. Bad input prints one
clear message (file, line or id, what is wrong) and exits with 2; never a traceback.
"""

from __future__ import annotations

from analysis.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
