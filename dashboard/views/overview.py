"""Overview: would the rollout gate pass, and where did the candidate get worse? The verdict
per domain first, then the worst changes in plain words, then the scorecard and every check."""

from __future__ import annotations

import streamlit as st

from dashboard import policy, render, session
from reporting.sections import gate, overview

st.title("Overview")
loaded = session.require_comparison()
policy.chooser()
rules = policy.chosen()
context = loaded.gate_context(rules)
render.show(loaded.view("overview", lambda: overview.blocks(loaded.bundle, context), rules))
with st.expander("Every guardrail check"):
    render.show(loaded.view("gate_checks", lambda: gate.blocks(loaded.bundle, context), rules))
