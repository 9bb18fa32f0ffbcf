"""Overview: did the candidate get worse anywhere? The verdict, headlines and scorecard."""

from __future__ import annotations

import streamlit as st

from analysis.verdict.gate import evaluate, load_policy
from dashboard import render, session
from reporting.sections import gate, overview
from reporting.sections.base import Context

st.title("Overview")
loaded = session.require_comparison()
bundle = loaded.bundle
render.show(overview.blocks(bundle, loaded.context()))
policy = load_policy()
st.subheader("Rollout gate (default policy)")
render.show(
    gate.blocks(bundle, Context(gate=evaluate(bundle.summary, policy), policy_source=policy.source))
)
