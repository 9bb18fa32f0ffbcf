"""What the dashboard shows when a session starts with nothing chosen: the saved comparison
named by ``--open FOLDER``, or the bundled demo computed afresh with ``--demo``."""

from __future__ import annotations

from pathlib import Path

from analysis.errors import InputError
from dashboard import cache, recompute, saved, state


def open_from_arguments(args: list[str]) -> list[str]:
    """Apply ``--open FOLDER`` or ``--demo``; return problems to show on the first page."""
    if "--open" in args:
        at = args.index("--open")
        if at + 1 >= len(args):
            return ["`--open` needs a folder: streamlit run dashboard/app.py -- --open FOLDER"]
        try:
            bundle, series = saved.open_path(Path(args[at + 1]), read=cache.saved_bundle)
        except InputError as err:
            return [f"The folder given with --open cannot be opened: {err}"]
        state.set_saved(bundle.summary.fingerprint)
        state.set_rounds(series)
        state.set_remedies(None)  # a new output: its own remedies, if any
    elif "--demo" in args:
        state.set_run(recompute.demo_run())
    return []
