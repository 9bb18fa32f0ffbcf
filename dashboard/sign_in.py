"""Sign-in on a shared dashboard, where the operator asks for it (``sign_in`` in the
shared-mode file): Streamlit's own OIDC sign-in (``st.login``), configured by the operator
in ``.streamlit/secrets.toml``'s ``[auth]`` section. Until a visitor has signed in, no page
runs: they see the sign-in button only. (A reverse proxy with its own authentication in
front of the server is the alternative: docs/dashboard.md.)"""

from __future__ import annotations

import streamlit as st

from analysis.errors import InputError
from dashboard import shared


def require() -> None:
    """Stop the script with the sign-in button unless the visitor may see the pages."""
    try:
        mode = shared.current()
    except InputError as err:
        st.error(f"This dashboard's shared-mode file cannot be read:\n\n{err}")
        st.stop()
    if mode is None or not mode.sign_in:
        return
    provider = mode.sign_in if isinstance(mode.sign_in, str) else None
    problem = _auth_problem(provider)
    if problem:
        st.error(
            f"This shared dashboard requires sign-in ({mode.source}: sign_in), but {problem}. "
            "The operator configures it: see docs/dashboard.md, *Sign-in*."
        )
        st.stop()
    if st.user.is_logged_in:
        return
    st.title("Recall Horizon")
    st.markdown("This shared dashboard is for its team only: sign in to open it.")
    st.button("Sign in", type="primary", on_click=st.login, args=(provider,) if provider else ())
    st.stop()


def signed_in_as() -> str | None:
    """Who is signed in (None where sign-in is off or nobody is)."""
    try:
        mode = shared.current()
    except InputError:
        return None
    if mode is None or not mode.sign_in or not st.user.is_logged_in:
        return None
    return str(st.user.get("email") or st.user.get("name") or st.user.get("sub") or "you")


def _auth_problem(provider: str | None) -> str | None:
    """What keeps st.login from working, in words (None: nothing)."""
    try:
        auth = st.secrets.get("auth")
    except (FileNotFoundError, OSError, ValueError):
        auth = None
    if not auth:
        return "the server's .streamlit/secrets.toml has no [auth] section"
    if provider is not None and provider not in auth:
        return f"its [auth] section has no [auth.{provider}] provider"
    try:
        import authlib  # noqa: F401  (st.login needs it)
    except ImportError:
        return "the Authlib package st.login needs is not installed"
    return None
