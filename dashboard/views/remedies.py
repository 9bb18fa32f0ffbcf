"""Remedies: what to ship instead of a candidate that fails the gate? Each setting's verdict,
what it keeps of the candidate's gain and what it costs; pick a setting and every other page
shows its comparison (as the Rounds page does with a round)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from analysis.bundle.files import Bundle
from analysis.errors import InputError
from dashboard import cache, render, saved, state
from dashboard.shown import Shown, require_comparison
from reporting.sections import remedies as section

st.title(section.SECTION.title)
on_show = require_comparison()


def _origin(shown: Shown) -> Bundle | None:
    """The comparison whose remedies are open: the one on show when it has them, else the one
    whose setting is on show (the page keeps its table while a setting is shown)."""
    if shown.bundle.extras.get("remedies"):
        return shown.bundle
    origin = state.get_remedies()
    entry = saved.lookup(origin) if origin else None
    if entry is None or entry.folder is None:
        return None
    try:
        bundle = cache.saved_bundle(entry.folder)
    except InputError:
        return None
    record = bundle.extras.get("remedies") or {}
    named = {s.get("fingerprint") for s in record.get("settings", [])}
    return bundle if shown.fingerprint in named else None


def _choose(origin: Bundle, record: dict[str, Any], shown: Shown) -> None:
    """The setting every page shows: the candidate as it is, or one whose comparison was
    written beside the record."""
    choices = [record["candidate"], *(s for s in record["settings"] if s.get("folder"))]
    if len(choices) == 1 or origin.folder is None:
        st.caption(
            "Each setting's own comparison is written by `remedies --out` (or `compare "
            "--remedies`); open that output folder to show a setting on every page."
        )
        return
    # the candidate as it is: the origin itself
    fingerprints = [origin.summary.fingerprint, *(c["fingerprint"] for c in choices[1:])]
    at = fingerprints.index(shown.fingerprint) if shown.fingerprint in fingerprints else 0
    labels = [
        c["label"] + ("  (the best that passes)" if c["label"] == record.get("best") else "")
        for c in choices
    ]
    chosen = st.selectbox(
        "Setting every page shows", range(len(choices)), index=at, format_func=labels.__getitem__
    )
    entry = choices[chosen]
    if fingerprints[chosen] != shown.fingerprint:
        try:
            if entry.get("folder"):
                saved.open_inside(origin.folder, entry["folder"], read=cache.saved_bundle)
            else:
                saved.open_folder(origin.folder, read=cache.saved_bundle)
        except InputError as err:
            st.error(str(err))
            return
        state.set_saved(fingerprints[chosen])
        state.set_remedies(origin.summary.fingerprint)
        state.write_url("remedies")
        st.rerun()  # the sidebar and the link name the setting now on show
    verdict = "passes" if entry["passed"] else "fails"
    st.caption(
        f"Every page now shows **{entry['label']}** against the baseline (it {verdict} the policy)."
    )


origin = _origin(on_show)
if origin is None:
    render.show(section.blocks(on_show.bundle, on_show.context()), on_show.bundle)
else:
    _choose(origin, origin.extras["remedies"], on_show)
    render.show(section.blocks(origin, on_show.context()), origin)
