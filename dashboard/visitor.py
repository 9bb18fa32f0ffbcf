"""Who is asking, on a shared dashboard: the visitor (what per-visitor limits count) and the
browser tab (a Streamlit session: what a new run replaces)."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx


def visitor() -> str:
    """The signed-in user where sign-in is on, else the client's address (behind a proxy
    without sign-in every visitor has the proxy's: the operator sets limits accordingly)."""
    try:
        if st.user.is_logged_in:
            return f"user:{st.user.get('email') or st.user.get('sub')}"
    except Exception:  # sign-in not configured: st.user has nothing to say
        pass
    try:
        address = st.context.ip_address
    except Exception:  # no request (a test harness): one anonymous visitor
        address = None
    return f"address:{address or 'unknown'}"


def tab() -> str | None:
    """This browser tab's session id (None outside a script run)."""
    context = get_script_run_ctx()
    return None if context is None else context.session_id
