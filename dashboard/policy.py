"""The rollout policy the pages judge by: the shipped default, or one the analyst uploads.

The uploaded TOML's text (a few hundred bytes) is kept in session state and parsed by the
engine's own validator; a bad file is refused with the engine's message, and the default
stays in force.
"""

from __future__ import annotations

import streamlit as st

from analysis.errors import InputError
from analysis.verdict.gate import Policy, load_policy, parse_policy

POLICY = "policy"  # session state: (file name, TOML text) of the uploaded policy, or absent
ROUND = "policy_round"  # bumped to clear the uploader when the default comes back


def chosen() -> Policy:
    """The uploaded policy when one is in force, else the shipped default."""
    uploaded = st.session_state.get(POLICY)
    if uploaded:
        name, text = uploaded
        try:
            return parse_policy(text, name)
        except InputError:
            st.session_state.pop(POLICY, None)
    return load_policy()


def chooser() -> None:
    """Upload a policy file, or go back to the default (the verdict follows at once)."""
    current = st.session_state.get(POLICY)
    label = f"Rollout policy: {current[0]}" if current else "Rollout policy: the shipped default"
    with st.expander(label):
        upload = st.file_uploader(
            "Your policy (TOML, as for `python -m analysis check --policy`)",
            type=["toml"],
            key=f"policy_upload_{st.session_state.get(ROUND, 0)}",  # a new key clears it
        )
        if upload is not None:
            text = upload.getvalue().decode("utf-8", errors="replace")
            try:
                parse_policy(text, upload.name)
            except InputError as err:
                st.error(f"{err}\n\nThe verdict still uses the previous policy.")
            else:
                st.session_state[POLICY] = (upload.name, text)
        if current and st.button("Use the shipped default again", key="policy_default"):
            st.session_state.pop(POLICY, None)
            st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
            st.rerun()
