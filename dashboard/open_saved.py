"""The Setup page's first panel: open a saved comparison (a folder on this server, or the
Export page's zip uploaded), with no model and no corpus needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from analysis.bundle.files import Bundle
from analysis.errors import InputError
from dashboard import cache, saved, shared, state, uploads


def panel() -> None:
    st.subheader("Open a saved comparison")
    st.caption(
        "A `python -m analysis compare --out` or `check` folder, a `rounds --out` folder, or "
        "the Export page's zip: every page works from it without the models or the corpus."
    )
    from_folder, from_zip = st.tabs(["A folder or zip on this server", "Upload the Export zip"])
    with from_folder:
        path = st.text_input("Folder (or .zip)", key="open_folder", placeholder="artifacts/demo")
        if st.button("Open", key="open_folder_button", disabled=not path.strip()):
            _opened(lambda: _open_folder(path.strip()))
    with from_zip:
        upload = st.file_uploader(
            f"Bundle zip (up to {uploads.MAX_UPLOAD_MB} MB)", type=["zip"], key="open_zip"
        )
        if upload is not None and st.button("Open", key="open_zip_button"):
            _opened(lambda: (_open_zip(upload.getvalue(), upload.name), None))


def _open_zip(data: bytes, name: str) -> Bundle:
    into = uploads.zip_folder_for_this_visitor(data)  # shared: the tab's own, bounded
    return saved.open_zip(data, name, read=cache.saved_bundle, into=into)


def _open_folder(path: str) -> tuple[Bundle, str | None]:
    mode = shared.current()
    if mode is not None:
        mode.check_path(path, "Folder")
    return saved.open_path(Path(path), read=cache.saved_bundle)


def _opened(open_it: Callable[[], tuple[Bundle, str | None]]) -> None:
    try:
        bundle, series = open_it()
    except InputError as err:
        st.error(f"{err}\n\nThe comparison on show, if any, is unchanged.")
        return
    state.set_saved(bundle.summary.fingerprint)
    state.set_rounds(series)
    state.set_remedies(None)  # a new output: its own remedies, if any
    state.select_query(None)
    state.write_url("setup")  # the link names the opened comparison from now on
    manifest = bundle.summary.manifest
    st.success(
        f"Opened comparison `{bundle.summary.fingerprint}`: {manifest.baseline.spec} vs "
        f"{manifest.candidate.spec} on {manifest.corpus.name} "
        f"({manifest.corpus.n_docs:,} documents, {manifest.corpus.n_queries:,} queries)."
    )
    if series is not None:
        st.info(
            "A series of fine-tuning rounds: the **Rounds** page picks the round every page "
            "shows (now: the last one, against the baseline)."
        )
        st.page_link("views/rounds.py", label="Open Rounds", icon=":material/timeline:")
    st.page_link("views/overview.py", label="Open the Overview", icon=":material/dashboard:")
