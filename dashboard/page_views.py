"""What the pages show before anyone touches them, by name: each page shows these views
through ``PageView.of``, and ``dashboard.prebuild`` makes all of them ahead of the pages'
first visits with the options a first visit shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analysis.bundle.files import Bundle
from reporting.sections import answers, changed, drift, llm, overlap, space, thresholds
from reporting.sections.base import Block, Context

if TYPE_CHECKING:
    from dashboard.session import Loaded


def _no_options(bundle: Bundle) -> tuple[object, ...]:
    return ()


def _always(bundle: Bundle) -> bool:
    return True


@dataclass(frozen=True)
class PageView:
    """A view of a comparison a page shows: its name in the view cache, what builds it
    from the bundle, the sidebar's context and the page's options, and the options a
    page's first visit shows (its widgets' defaults), for the bundles it is shown for."""

    name: str
    build: Callable[..., Any]  # (bundle, context, *options) -> blocks, a figure or a table
    first: Callable[[Bundle], tuple[object, ...]] = _no_options
    shown_for: Callable[[Bundle], bool] = _always

    def of(self, loaded: Loaded, *options: object) -> Any:
        """This view of the comparison on show, with the page's ``options``."""
        bundle, context = loaded.bundle, loaded.context()
        return loaded.view(self.name, lambda: self.build(bundle, context, *options), *options)


def _threshold_curves(bundle: Bundle, context: Context) -> list[Block]:
    cut = thresholds.cut_from_bundle(bundle)
    return [] if cut is None else thresholds.curve_blocks(cut, bundle, context)


def _saved_cut_tables(bundle: Bundle, context: Context, at: None) -> list[Block]:
    """The tables at the saved cutoff (``at`` None: a slider moved elsewhere re-cuts with
    the vectors, which the page does itself)."""
    cut = thresholds.cut_from_bundle(bundle)
    return [] if cut is None else thresholds.cut_tables(cut, bundle, context)


def _changed_queries(
    bundle: Bundle, context: Context, only_changed: bool, max_overlap: float, order: str
) -> Any:
    return changed.changed_queries(
        bundle, context.domain, only_changed=only_changed, max_overlap=max_overlap, order=order
    )


def _most_drifted(bundle: Bundle, context: Context) -> Any:
    return drift.most_drifted(bundle, context.domain).head(drift.PAGE_ROWS)


OVERLAP = PageView("overlap", overlap.blocks)
OVERLAP_SCATTER = PageView("overlap_scatter", overlap.query_scatter)
DRIFT = PageView("drift", drift.blocks)
DRIFT_RANKED = PageView("drift_ranked", _most_drifted)
THRESHOLD_CURVES = PageView("threshold_curves", _threshold_curves)
SAVED_CUT_TABLES = PageView("threshold_tables", _saved_cut_tables, lambda bundle: (None,))
# The Changed answers page's filters start here (only changed queries, any overlap), and
# its ordering at the first of ``changed.orders``.
ONLY_CHANGED_AT_FIRST, MAX_OVERLAP_AT_FIRST = True, 1.0
CHANGED_QUERIES = PageView(
    "changed_queries",
    _changed_queries,
    lambda bundle: (ONLY_CHANGED_AT_FIRST, MAX_OVERLAP_AT_FIRST, changed.orders(bundle)[0]),
)
ANSWERS = PageView("answers", answers.overview_blocks)
LLM = PageView("llm", llm.blocks)
# (a projection not yet computed is computed by the page's first visit, which builds this)
SPACE = PageView(
    "space", space.blocks, lambda bundle: ("domain",), lambda bundle: bundle.projection is not None
)

# In the order a reader usually visits them: the first ones are built first.
FIRST_VISITS: tuple[PageView, ...] = (
    OVERLAP,
    OVERLAP_SCATTER,
    DRIFT,
    DRIFT_RANKED,
    THRESHOLD_CURVES,
    SAVED_CUT_TABLES,
    CHANGED_QUERIES,
    ANSWERS,
    LLM,
    SPACE,
)
