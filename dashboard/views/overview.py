"""Overview: would the rollout gate pass, and where did the candidate get worse? The verdict
per domain first, then the worst changes in plain words, then the scorecard and every check."""

from __future__ import annotations

import streamlit as st

from dashboard import policy, prepared, render
from dashboard.shown import require_comparison

st.title("Overview")
on_show = require_comparison()
policy.chooser()
rules = policy.chosen()
render.show(prepared.OVERVIEW.of(on_show, rules))
with st.expander("Every guardrail check"):
    render.show(prepared.GATE_CHECKS.of(on_show, rules))
