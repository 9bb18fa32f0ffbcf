"""One presenter per question, in the order the report and the dashboard show them."""

from __future__ import annotations

from reporting.sections import (
    answers,
    changed,
    drift,
    gate,
    llm,
    manifest,
    near_miss,
    overlap,
    overview,
    remedies,
    space,
    thresholds,
)
from reporting.sections.base import Section

SECTIONS: tuple[Section, ...] = (
    overview.SECTION,
    gate.SECTION,
    remedies.SECTION,
    overlap.SECTION,
    drift.SECTION,
    thresholds.SECTION,
    space.SECTION,
    changed.SECTION,
    answers.SECTION,
    near_miss.SECTION,
    llm.SECTION,
    manifest.SECTION,
)
