"""Rendering: plotly figures and the self-contained HTML report (never computes a metric)."""
