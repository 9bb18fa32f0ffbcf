"""The sidebar every page shares: what is being compared, and the domain filter."""

from __future__ import annotations

import streamlit as st

from analysis.errors import InputError
from dashboard import cache, state


def render() -> None:
    with st.sidebar:
        st.markdown("### Recall Horizon")
        spec = state.get_run()
        if spec is None:
            st.caption("No comparison yet: start on the Setup page.")
            return
        st.caption(
            f"**Corpus** `{spec.corpus}`  \n**Baseline** `{spec.baseline}`  \n"
            f"**Candidate** `{spec.candidate}`  \n**k** {spec.k}"
        )
        try:
            corpus = cache.corpus_for(spec.corpus, spec.queries, spec.qrels, spec.answers)
        except InputError:
            return  # the page itself shows the error
        options = [state.ALL_DOMAINS, *corpus.domains]
        if st.session_state.get(state.DOMAIN) not in options:
            st.session_state[state.DOMAIN] = state.ALL_DOMAINS
        st.selectbox(
            "Domain",
            options,
            key=state.DOMAIN,
            help="Filters the tables and highlights one domain on every page.",
        )
