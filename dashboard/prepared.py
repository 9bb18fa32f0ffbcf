"""The one way a page gets what it shows: a :class:`Prepared` item, built from the
comparison on show, the sidebar's context and the page's options, once per server, then
shown again as it is.

Every item a page shows is named here, with the options a page's first visit shows (its
widgets start at them), so :mod:`dashboard.prebuild` can make the first visits' items
ahead of the visits, under the same keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analysis.verdict.gate import Policy, evaluate
from dashboard import cache
from dashboard.shown import Shown
from reporting.sections import (
    answers,
    changed,
    drift,
    gate,
    llm,
    overlap,
    overview,
    space,
    thresholds,
)
from reporting.sections.base import Block, Context, Section
from reporting.sections.documents import with_texts


def _no_options(shown: Shown) -> tuple[object, ...]:
    return ()


def _always(shown: Shown) -> bool:
    return True


@dataclass(frozen=True)
class Prepared:
    """Something a page shows (blocks, a figure, a table): its name in the cache, what
    builds it from the comparison on show, the sidebar's context and the page's options,
    and the options a first visit shows, for the comparisons it is shown for. What
    ``build`` returns is shared read-only by every rerun and session."""

    name: str
    build: Callable[..., Any]  # (shown, context, *options) -> blocks, a figure or a table
    first: Callable[[Shown], tuple[object, ...]] = _no_options
    shown_for: Callable[[Shown], bool] = _always

    def of(self, shown: Shown, *options: object) -> Any:
        """This item of the comparison on show, with the page's ``options``."""
        context = shown.context()
        return self.made(shown, context, options)

    def made(self, shown: Shown, context: Context, options: tuple[object, ...]) -> Any:
        """This item for ``context`` (a sidebar domain), built once per server."""
        return cache.store().get(
            "view",
            self.key(shown, context.domain, options),
            lambda: self.build(shown, context, *options),
        )

    def key(self, shown: Shown, domain: str | None, options: tuple[object, ...]) -> str:
        return json.dumps(
            [
                shown.key,
                shown.bundle.projection is not None,  # the same comparison, projected later
                self.name,
                domain,
                [repr(o) for o in options],
            ]
        )


def of_section(section: Section) -> Prepared:
    """A question without interaction of its own: its section's blocks."""
    return Prepared(section.key, lambda shown, context: section.blocks(shown.bundle, context))


def _judged(shown: Shown, context: Context, rules: Policy) -> Context:
    return Context(
        domain=context.domain,
        gate=evaluate(shown.bundle.summary, rules),
        policy_source=rules.source,
    )


def _threshold_curves(shown: Shown, context: Context) -> list[Block]:
    cut = thresholds.cut_from_bundle(shown.bundle)
    return [] if cut is None else thresholds.curve_blocks(cut, shown.bundle, context)


def threshold_cut(shown: Shown, at: float | None) -> thresholds.Cut | None:
    """The threshold section's cut: the saved one (``at`` None), or a re-cut at ``at``
    from pairs held for the slider (it needs the vectors)."""
    if at is None or shown.comparison is None:
        return thresholds.cut_from_bundle(shown.bundle)
    return cache.cut_for(shown.key, at, shown.comparison, shown.bundle.summary)


def _threshold_tables(shown: Shown, context: Context, at: float | None) -> list[Block]:
    cut = threshold_cut(shown, at)
    return [] if cut is None else thresholds.cut_tables(cut, shown.bundle, context)


def _changed_queries(
    shown: Shown, context: Context, only_changed: bool, max_overlap: float, order: str
) -> Any:
    return changed.changed_queries(
        shown.bundle,
        context.domain,
        only_changed=only_changed,
        max_overlap=max_overlap,
        order=order,
    )


OVERVIEW = Prepared(
    "overview",
    lambda shown, context, rules: overview.blocks(shown.bundle, _judged(shown, context, rules)),
)
GATE_CHECKS = Prepared(
    "gate_checks",
    lambda shown, context, rules: gate.blocks(shown.bundle, _judged(shown, context, rules)),
)
OVERLAP = Prepared("overlap", lambda shown, context: overlap.blocks(shown.bundle, context))
OVERLAP_SCATTER = Prepared(
    "overlap_scatter", lambda shown, context: overlap.query_scatter(shown.bundle, context)
)
DRIFT = Prepared("drift", lambda shown, context: drift.blocks(shown.bundle, context))
DRIFT_RANKED = Prepared(
    "drift_ranked",
    lambda shown, context: drift.most_drifted(shown.bundle, context.domain).head(drift.PAGE_ROWS),
)
THRESHOLD_CURVES = Prepared("threshold_curves", _threshold_curves)
THRESHOLD_TABLES = Prepared("threshold_tables", _threshold_tables, lambda shown: (None,))
# The Changed results page's filters start here (only changed queries, any overlap), and
# its ordering at the first of ``changed.orders``.
ONLY_CHANGED_AT_FIRST, MAX_OVERLAP_AT_FIRST = True, 1.0
CHANGED_QUERIES = Prepared(
    "changed_queries",
    _changed_queries,
    lambda shown: (ONLY_CHANGED_AT_FIRST, MAX_OVERLAP_AT_FIRST, changed.orders(shown.bundle)[0]),
)
CHANGED_LISTS = Prepared(
    "changed_lists", lambda shown, context, query_id: changed.side_by_side(shown.bundle, query_id)
)
CHANGED_LEFT = Prepared(
    "changed_left",
    lambda shown, context, query_id: with_texts(
        changed.left_documents(shown.bundle, query_id), shown.bundle
    ),
)
ANSWERS = Prepared("answers", lambda shown, context: answers.overview_blocks(shown.bundle, context))
LLM = Prepared("llm", lambda shown, context: llm.blocks(shown.bundle, context))
# (a projection not yet computed is computed by the page's first visit, which builds this)
SPACE = Prepared(
    "space",
    lambda shown, context, colour_by: space.blocks(shown.bundle, context, colour_by),
    lambda shown: ("domain",),
    lambda shown: shown.bundle.projection is not None,
)

# In the order a reader usually visits them: the first ones are built first.
FIRST_VISITS: tuple[Prepared, ...] = (
    OVERLAP,
    OVERLAP_SCATTER,
    DRIFT,
    DRIFT_RANKED,
    THRESHOLD_CURVES,
    THRESHOLD_TABLES,
    CHANGED_QUERIES,
    ANSWERS,
    LLM,
    SPACE,
)
