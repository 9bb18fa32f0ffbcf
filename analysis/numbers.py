"""How numbers read in sentences and tables: one wording for every front end."""

from __future__ import annotations

SMALLEST_P = 0.001  # below this a p-value reads "< 0.001", never "0.000"


def p_text(p: float | None) -> str:
    """A p-value as people write it.

    >>> p_text(0.0004), p_text(0.0123), p_text(None)
    ('< 0.001', '0.012', '–')
    """
    if p is None or p != p:  # None or nan
        return "–"
    return f"< {SMALLEST_P}" if p < SMALLEST_P else f"{p:.3f}"


def p_clause(p: float | None) -> str:
    """``p = 0.012`` or ``p < 0.001``, for a sentence."""
    text = p_text(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"
