"""Rendering: plotly charts (``reporting.charts``), the presenters (``reporting.sections``)
and the self-contained HTML report. Nothing here computes a metric."""
