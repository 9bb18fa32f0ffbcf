"""The sidebar every page shares: what is being compared, and the domain filter."""

from __future__ import annotations

import streamlit as st

from analysis.errors import InputError
from analysis.pipeline.run import load_corpus
from dashboard import cache, saved, sign_in, state


def render() -> None:
    with st.sidebar:
        st.markdown("### Recall Horizon")
        who = sign_in.signed_in_as()
        if who is not None:
            st.caption(f"Signed in as {who}")
            st.button("Sign out", key="sign_out", on_click=st.logout)
        domains = _describe()
        if domains is None:
            return
        options = [state.ALL_DOMAINS, *domains]
        if st.session_state.get(state.DOMAIN) not in options:
            st.session_state[state.DOMAIN] = state.ALL_DOMAINS
        st.selectbox(
            "Domain",
            options,
            key=state.DOMAIN,
            help="Filters the tables and highlights one domain on every page.",
        )


def _describe() -> list[str] | None:
    """Say what is on show; return its domains (None when nothing is, or it cannot load:
    the page itself shows why)."""
    fingerprint, spec = state.get_saved(), state.get_run()
    if fingerprint is not None:
        entry = saved.lookup(fingerprint)
        if entry is None or entry.folder is None:
            return None
        try:
            summary = cache.saved_bundle(entry.folder).summary
        except InputError:
            return None
        manifest = summary.manifest
        st.caption(
            f"**Saved comparison** `{fingerprint}`  \n**Corpus** {manifest.corpus.name}  \n"
            f"**Baseline** `{manifest.baseline.spec}`  \n"
            f"**Candidate** `{manifest.candidate.spec}`  \n**k** {manifest.k}  \n"
            f"Saved {manifest.created_at or '(time not recorded)'}"
        )
        return summary.domain_names
    if spec is None:
        st.caption("No comparison yet: start on the Setup page.")
        return None
    st.caption(
        f"**Corpus** `{spec.corpus}`  \n**Baseline** `{spec.baseline}`  \n"
        f"**Candidate** `{spec.candidate}`  \n**k** {spec.k}"
    )
    try:
        return list(load_corpus(spec.request(), memo=cache.store()).domains)
    except InputError:
        return None
