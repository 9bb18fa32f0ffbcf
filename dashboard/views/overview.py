"""Overview: the verdict at a glance — per-domain scorecard and headline sentences."""

from __future__ import annotations

import streamlit as st

from analysis.verdict.scorecard import COLUMNS, headlines, scorecard
from dashboard import session
from reporting import figures

st.title("Overview")
loaded = session.require_comparison()
summary = loaded.summary
st.caption(
    f"{summary['overall']['n_docs']:,} documents and {summary['overall']['n_queries']:,} "
    f"queries in {len(summary['domains'])} domains; top-{summary['manifest']['k']} retrieval."
)
for sentence in headlines(summary):
    st.markdown(f"- {sentence}")
card = scorecard(summary)
if card.empty:
    st.info("The corpus has no domains to score.")
else:
    st.plotly_chart(figures.scorecard_heatmap(card, COLUMNS), key="scorecard")
    st.caption(
        "Each cell is one number for one domain, coloured by how bad it is for the candidate. "
        "Overlap: share of top-k documents both models return. Neighbourhood kept: share of "
        "each document's 10 nearest neighbours that survive. Excluded: share of (query, "
        "document) pairs above the cutoff under the baseline that fall below it — at the same "
        "cutoff, and after recalibrating the candidate's. Δ: relative change in relevance "
        "(★: significant after Benjamini–Hochberg). Lost reach: documents no query reaches any "
        "more."
    )
    st.dataframe(card.drop(columns=["severity"]), width="stretch")
