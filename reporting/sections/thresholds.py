"""Threshold exclusions: what passes the similarity cutoff under the baseline and not any more?

The section presents one *cut*: the pairs, curves and per-domain shares at one cutoff. The
report shows the cut saved in the bundle; the dashboard's slider makes new cuts from the
engine (``cut_from_result``) and shows them with the same blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.bundle.files import Bundle
from analysis.bundle.summary import Summary
from analysis.metrics.grouping import OVERALL
from analysis.metrics.thresholds import CutoffSettings, ExclusionFigures, ThresholdResult
from reporting import charts
from reporting.sections.base import Block, Chart, Context, Section, Table, Text
from reporting.sections.documents import with_texts

CURVE_HALF_WIDTH = 0.45  # the curves show cutoffs within this distance of the saved cutoff
REPORT_ROWS = 20
PAGE_ROWS = 1000
PAIR_COLUMNS = (
    "query_id",
    "doc_id",
    "doc_domain",
    "grade",
    "score_baseline",
    "score_candidate",
    "score_drop",
)
NO_QUERIES = "This corpus has no queries, so no similarity cutoff applies."


@dataclass(frozen=True)
class Cut:
    """Everything the section shows at one cutoff."""

    settings: CutoffSettings
    centre: float  # the saved cutoff: the curves' window stays put while the slider moves
    pairs: pd.DataFrame  # threshold_pairs rows at this cutoff (at least the excluded ones)
    curve: pd.DataFrame  # the horizon_curve table
    shares: Mapping[str, ExclusionFigures]  # per document domain, and OVERALL

    def counts(self, domain: str | None) -> ExclusionFigures:
        """One domain's admitted and excluded pairs (every domain's when None)."""
        return self.shares[domain or OVERALL]


@dataclass(frozen=True)
class Counter:
    """One count the Threshold page shows over its slider, with its share of the pairs it
    is counted among (None: no share) and how to read it (None: no help)."""

    label: str
    count: int
    of: int | None = None  # the pairs it is a share of
    help: str | None = None

    def share_text(self) -> str | None:
        if not self.of:
            return None
        return f"{100 * self.count / self.of:.1f}% of {self.of:,} admitted"


def counters(counts: ExclusionFigures) -> list[Counter]:
    """The cut's headline counts in one domain: admitted pairs, and the excluded ones at
    the same and the calibrated cutoff, all pairs and judged-relevant pairs."""
    admitted = counts.admitted_pairs_baseline
    return [
        Counter("Pairs the baseline admits", admitted),
        Counter("Excluded at the same cutoff", counts.excluded_same_cutoff, admitted),
        Counter("Excluded at the calibrated cutoff", counts.excluded_calibrated, admitted),
        Counter(
            "Judged-relevant pairs excluded",
            counts.relevant_excluded_same_cutoff,
            counts.relevant_admitted_baseline,
            "The useful documents lost at the same cutoff. Unjudged pairs excluded in the "
            "tuning domain are often pruned on purpose; judged-relevant ones never are.",
        ),
    ]


def cut_from_bundle(bundle: Bundle) -> Cut | None:
    settings = bundle.summary.get(CutoffSettings)
    pairs, curve = bundle.threshold_pairs, bundle.horizon_curve
    if settings is None or pairs is None or curve is None:
        return None
    sections = [*bundle.summary.domains.values(), bundle.summary.overall]
    shares = {s.name: s.get(ExclusionFigures) for s in sections}
    return Cut(
        settings,
        settings.cutoff,
        pairs,
        curve,
        {name: figures for name, figures in shares.items() if figures is not None},
    )


def cut_from_result(result: ThresholdResult, summary: Summary) -> Cut:
    """A cut the engine computed at another cutoff (the dashboard's slider)."""
    saved = summary.get(CutoffSettings)
    return Cut(
        result.settings(),
        saved.cutoff if saved else result.cutoff,
        result.excluded_frame(),
        result.curve.to_frame(),
        result.by_domain(summary.domain_names),
    )


def excluded_pairs(cut: Cut, documents: pd.DataFrame | None, domain: str | None) -> pd.DataFrame:
    """Pairs excluded at the same cutoff: judged-relevant first, then the largest score drop."""
    pairs = cut.pairs[cut.pairs["excluded_same_cutoff"]].copy()
    if documents is not None:
        pairs["doc_domain"] = pairs["doc_id"].map(documents.set_index("doc_id")["domain"])
    if domain is not None and "doc_domain" in pairs:
        pairs = pairs[pairs["doc_domain"] == domain]
    pairs["score_drop"] = pairs["score_baseline"] - pairs["score_candidate"]
    pairs = pairs.sort_values(["grade", "score_drop"], ascending=[False, False], kind="stable")
    return pairs[[c for c in PAIR_COLUMNS if c in pairs]].reset_index(drop=True)


def share_table(cut: Cut, names: Sequence[str]) -> pd.DataFrame:
    rows = []
    for name in names:
        figures = cut.shares.get(name)
        if figures is None:
            continue
        rows.append(
            {
                "domain": name,
                "admitted by the baseline": figures.admitted_pairs_baseline,
                "excluded @ same cutoff": figures.excluded_share_same_cutoff,
                "excluded @ calibrated": figures.excluded_share_calibrated,
                "judged-relevant excluded": figures.relevant_excluded_same_cutoff,
                "of judged-relevant admitted": figures.relevant_excluded_share_same_cutoff,
            }
        )
    return pd.DataFrame(rows)


def cutoff_text(settings: CutoffSettings) -> str:
    calibrated = settings.calibrated_candidate_cutoff
    return (
        f"Cutoff {settings.cutoff:.3f} ({settings.cutoff_source}); calibrated candidate cutoff "
        + ("– (the baseline admits nothing)" if calibrated is None else f"{calibrated:.3f}")
        + ": where the candidate admits as many pairs overall as the baseline does."
    )


def cut_blocks(cut: Cut, bundle: Bundle, context: Context) -> list[Block]:
    """The whole section at ``cut``: its cutoffs, the curves, the shares and the pairs."""
    return [
        Text(cutoff_text(cut.settings)),
        *curve_blocks(cut, bundle, context),
        *cut_tables(cut, bundle, context),
    ]


def curve_blocks(cut: Cut, bundle: Bundle, context: Context) -> list[Block]:
    """Documents admitted per query, and recall, as the cutoff sweeps around ``cut``'s
    centre; vertical lines at ``cut``'s cutoff and calibrated cutoff."""
    domain = context.domain
    curve = cut.curve
    curve = (
        curve[curve["domain"] != OVERALL] if domain is None else curve[curve["domain"] == domain]
    )
    curve = curve[
        curve["cutoff"].between(cut.centre - CURVE_HALF_WIDTH, cut.centre + CURVE_HALF_WIDTH)
    ]
    marks = {"cutoff": cut.settings.cutoff, "calibrated": cut.settings.calibrated_candidate_cutoff}
    colors = charts.domain_colors(bundle.summary.domain_names)
    panels = [("mean_admitted", "documents admitted per query")]
    judged = curve["recall"].notna().any()
    if judged:
        panels.append(("recall", "recall"))
    chart = Chart("horizon_curves", charts.horizon_curves(curve, panels, marks, colors))
    if judged:
        return [chart]
    return [chart, Text("No judgments: recall curves need relevance judgments.")]


def cut_tables(cut: Cut, bundle: Bundle, context: Context) -> list[Block]:
    """The excluded shares per document domain and the excluded pairs at ``cut``."""
    domain = context.domain
    names = [domain] if domain else [*bundle.summary.domain_names, OVERALL]
    pairs = excluded_pairs(cut, bundle.documents, domain)
    return [
        Table("exclusion_shares", "Excluded shares per document domain", share_table(cut, names)),
        Table(
            "excluded_pairs",
            "Excluded at the same cutoff, judged-relevant first",
            with_texts(pairs.head(PAGE_ROWS), bundle),
            REPORT_ROWS,
        ),
        Text(
            f"{len(pairs):,} excluded pairs"
            + (f"; the page lists the first {PAGE_ROWS:,}." if len(pairs) > PAGE_ROWS else "."),
            muted=True,
        ),
    ]


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    cut = cut_from_bundle(bundle)
    return [Text(NO_QUERIES)] if cut is None else cut_blocks(cut, bundle, context)


SECTION = Section("thresholds", "Threshold exclusions", ":material/filter_alt:", blocks)
