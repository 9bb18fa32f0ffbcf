"""Overview: would the rollout gate pass, and where did the candidate get worse? The verdict
per domain first, then the worst changes in plain words, then the scorecard and every check."""

from __future__ import annotations

import streamlit as st

from dashboard import policy, render, session
from reporting.sections import gate, overview

st.title("Overview")
loaded = session.require_comparison()
policy.chooser()
context = loaded.gate_context()
render.show(overview.blocks(loaded.bundle, context))
with st.expander("Every guardrail check"):
    render.show(gate.blocks(loaded.bundle, context))
