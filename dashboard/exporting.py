"""The Export page's files: the comparison's bundle and report, written on the server."""

from __future__ import annotations

import threading
from pathlib import Path

from analysis.bundle.files import write_bundle, write_comparison
from analysis.bundle.out import replacing
from analysis.inputs.cache import default_cache_dir
from analysis.verdict.gate import evaluate, load_policy, parse_policy
from dashboard.shown import Shown
from reporting.html import write_report

_WRITING: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def export(shown: Shown, policy: tuple[str, bytes] | None) -> Path:
    """Write the comparison's bundle and report (judged by the uploaded policy, if any) into
    a server folder named by the comparison's fingerprint; return the folder. Sessions
    exporting the same comparison at once take turns (each replaces the folder whole)."""
    with _GUARD:
        lock = _WRITING.setdefault(shown.fingerprint, threading.Lock())
    with lock:
        return _export(shown, policy)


def _export(shown: Shown, policy: tuple[str, bytes] | None) -> Path:
    folder = default_cache_dir() / "exports" / shown.fingerprint
    rules = (
        parse_policy(policy[1].decode("utf-8", errors="replace"), policy[0])
        if policy is not None
        else load_policy()
    )
    if shown.comparison is not None and shown.spec is not None:
        bundle = write_comparison(shown.comparison, folder, corpus_source=shown.spec.corpus)
    else:
        with replacing(folder) as staging:
            write_bundle(shown.bundle, staging)
        bundle = shown.bundle
    write_report(
        bundle,
        folder / "report.html",
        gate=evaluate(bundle.summary, rules),
        policy_source=rules.source,
    )
    return folder
