"""Where a comparison is written: checked before any work, replaced whole, never mixed.

``--out`` may be a new folder, an empty one, or an earlier Recall Horizon output (a folder
holding our summary.json, or a series' rounds.json). Anything else is refused, so a user's
own files are never overwritten. An earlier output is replaced whole: the new run is
written to a temporary folder beside it and swapped in, so no file of the old run survives
into the new one and a crash leaves the old output intact.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from analysis.errors import InputError

SUMMARY_FILE = "summary.json"
ROUNDS_FILE = "rounds.json"  # a series of rounds' output (analysis.rounds)
REMEDIES_FILE = "remedies.json"  # the remedies evaluated beside a comparison (analysis.remedies)
REMEDY_SETTINGS = "remedies"  # each remedy setting's own comparison, one folder per setting


def is_output_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a Recall Horizon summary.json or rounds.json (an earlier
    output of compare or of rounds)."""
    for name, key in ((SUMMARY_FILE, "manifest"), (ROUNDS_FILE, "rounds")):
        try:
            found = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(found, dict) and key in found:
            return True
    return False


def check_out(out: Path, *, option: str = "--out") -> None:
    """Refuse an output folder that would lose a user's files or cannot be written; say why."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{option} {out}: is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not is_output_folder(out):
        raise InputError(
            f"{option} {out}: the folder is not empty and is not a Recall Horizon output "
            "(no summary.json or rounds.json of ours); choose a new or empty folder, so none "
            "of your files are overwritten"
        )
    parent = _existing_parent(out)
    check_writable(parent, what=f"{option} {out}")


def check_writable(folder: Path, *, what: str) -> None:
    """Create and remove a file in ``folder`` (or its nearest existing parent)."""
    target = _existing_parent(folder)
    try:
        with tempfile.NamedTemporaryFile(dir=target, prefix=".rh-write-test-"):
            pass
    except OSError as err:
        raise InputError(f"{what}: cannot write in {target} ({err.strerror or err})") from None


@contextmanager
def replacing(out: Path) -> Iterator[Path]:
    """A fresh temporary folder to write into; on success it replaces ``out`` whole."""
    check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{staging.name.rsplit('-', 1)[-1]}")
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _existing_parent(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
