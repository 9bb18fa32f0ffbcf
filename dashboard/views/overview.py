"""Overview: did the candidate get worse anywhere? The headlines, scorecard and gate verdict."""

from __future__ import annotations

import streamlit as st

from dashboard import render, session
from reporting.sections import gate, overview

st.title("Overview")
loaded = session.require_comparison()
render.show(overview.blocks(loaded.bundle, loaded.context()))
st.subheader("Rollout gate (default policy)")
render.show(gate.blocks(loaded.bundle, loaded.gate_context()))
