"""Near misses: what the fine-tune bought (sensitivity to near misses) next to what it cost
(relevance), per domain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.bundle.files import Bundle
from analysis.metrics.near_miss import ALL_RULES, NearMissFigures
from analysis.metrics.quality import QualityFigures
from reporting import charts
from reporting.sections.base import (
    Block,
    Chart,
    Context,
    Pair,
    Passage,
    Section,
    Table,
    Text,
    present,
)

DOMAINS_KEY = "near_miss_domains"
RULES_KEY = "near_miss_rules"
ITEMS_KEY = "near_miss_items"
REPORT_ROWS = 20
REPORT_PAIRS = 3  # items the report prints in full, original beside near miss
ITEM_COLUMNS = (
    "domain", "rule", "query", "doc_id", "passage", "near_miss", "margin_baseline",
    "margin_candidate",
)  # fmt: skip
RULE_NAMES = {
    "negation": "negation",
    "role_swap": "role swap",
    "number": "number changed",
    "condition": "condition flipped",
    "file": "your file",
    ALL_RULES: "all rules",
}
NOT_RUN = (
    "This comparison measured no near misses. Run it with --near-misses rules (a negation, "
    "two roles swapped, a number changed and a condition flipped in each judged pair's "
    "passage; both sides must be models), or --near-misses FILE with your own."
)
EXPLAINED = (
    "A near miss is a passage with one edit that changes its meaning and keeps its words. A "
    "model is sensitive on an item when it scores the query closer to the passage than to "
    "its near miss. Sensitivity is the share of items where it is; the margin is the mean "
    "difference of the two cosines; p tests the candidate's margins against the baseline's "
    "(paired sign flips, Benjamini–Hochberg across domains). This is what precision tuning "
    "is meant to buy; the chart sets it against the relevance each domain lost."
)


def domain_table(bundle: Bundle, context: Context) -> Table | None:
    """The per-domain table alone (what the terminal prints; None when the comparison
    measured no near misses), without the chart and the items the page adds."""
    if bundle.summary.overall.get(NearMissFigures) is None:
        return None
    return Table(DOMAINS_KEY, "Sensitivity to near misses per domain", _domains(bundle, context))


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    summary = bundle.summary
    table = domain_table(bundle, context)
    if table is None:
        return [Text(NOT_RUN)]
    out: list[Block] = [Text(EXPLAINED, muted=True), table]
    tradeoff = _tradeoff(bundle)
    if not tradeoff.empty:
        colors = {name: charts.PALETTE[i] for i, name in enumerate(RULE_NAMES.values())}
        out.append(
            Chart(
                "near_miss_tradeoff",
                charts.near_miss_tradeoff(tradeoff, colors, overall=RULE_NAMES[ALL_RULES]),
            )
        )
    out.append(Table(RULES_KEY, "Per domain and rule", _per_rule(bundle, context)))
    skipped = summary.raw.get("near_miss", {}).get("skipped") or {}
    if skipped:
        counts = ", ".join(
            f"{domain} {sum(rules.values())}" for domain, rules in sorted(skipped.items())
        )
        out.append(
            Text(
                f"Pairs no rule could edit, skipped and never faked (per domain): {counts}.",
                muted=True,
            )
        )
    items = item_table(bundle, context.domain)
    if items is not None and not items.empty:
        out.append(
            Table(
                ITEMS_KEY,
                "Items, where the candidate lost the distinction first",
                present(items, ITEM_COLUMNS),
                report_rows=REPORT_ROWS,
            )  # fmt: skip
        )
        out.extend(pair_blocks(items.head(REPORT_PAIRS)))
    return out


def _domains(bundle: Bundle, context: Context) -> pd.DataFrame:
    rows = []
    sections = [*bundle.summary.domains.values(), bundle.summary.overall]
    for section in sections:
        figures = section.get(NearMissFigures)
        if figures is None or (context.domain is not None and section.name != context.domain):
            continue
        values = figures.rules.get(ALL_RULES) or {}
        rows.append(_row(section.name, values, figures.gain()))
    return pd.DataFrame(rows)


def _per_rule(bundle: Bundle, context: Context) -> pd.DataFrame:
    rows = []
    for section in bundle.summary.domains.values():
        figures = section.get(NearMissFigures)
        if figures is None or (context.domain is not None and section.name != context.domain):
            continue
        for rule, values in figures.rules.items():
            if rule != ALL_RULES:
                row = _row(section.name, values, figures.gain(rule))
                rows.append(
                    {"domain": row.pop("domain"), "rule": RULE_NAMES.get(rule, rule), **row}
                )
    return pd.DataFrame(rows)


def _row(domain: str, values: Mapping[str, Any], gain: float | None) -> dict[str, Any]:
    return {
        "domain": domain,
        "items": values.get("n"),
        "sensitivity baseline": values.get("sensitivity_baseline"),
        "sensitivity candidate": values.get("sensitivity_candidate"),
        "Δ sensitivity": gain,
        "margin baseline": values.get("margin_baseline"),
        "margin candidate": values.get("margin_candidate"),
        "p (BH)": values.get("p_value_bh"),
    }


def _tradeoff(bundle: Bundle) -> pd.DataFrame:
    """Per domain and rule: the sensitivity gain against the domain's nDCG@10 change."""
    rows = []
    for section in bundle.summary.domains.values():
        figures, quality = section.get(NearMissFigures), section.get(QualityFigures)
        change = quality.relative_change("ndcg@10") if quality else None
        if figures is None or change is None:
            continue
        for rule in figures.rules:
            gain = figures.gain(rule)
            if gain is not None:
                rows.append(
                    {"domain": section.name, "rule": RULE_NAMES.get(rule, rule),
                     "ndcg_change": change, "gain": gain, "n": figures.rules[rule].get("n")}
                )  # fmt: skip
    return pd.DataFrame(rows)


def item_table(bundle: Bundle, domain: str | None) -> pd.DataFrame | None:
    """Every item, those the candidate lost (the baseline told them apart, it does not)
    first, then by how much its margin fell."""
    frame = bundle.table("near_misses")
    if frame is None:
        return None
    frame = frame if domain is None else frame[frame["domain"] == domain]
    lost = frame["sensitive_baseline"] & ~frame["sensitive_candidate"]
    order = (frame["margin_candidate"] - frame["margin_baseline"]).rank(method="first")
    shown = frame.assign(_lost=~lost, _order=order).sort_values(["_lost", "_order"])
    return (
        shown.drop(columns=["_lost", "_order"])
        .assign(rule=lambda f: f["rule"].map(lambda r: RULE_NAMES.get(r, r)))
        .reset_index(drop=True)
    )


def pair_blocks(items: pd.DataFrame) -> list[Block]:
    """Each item's passage beside its near miss, the edit highlighted in both."""
    out: list[Block] = []
    for _, item in items.iterrows():
        caption = f"{item['domain']} · {item['rule']} · query: {item['query']}"
        before = (int(item["edit_start"]), int(item["edit_end"]))
        after = (int(item["near_miss_edit_start"]), int(item["near_miss_edit_end"]))
        out.append(
            Pair(
                Passage(
                    f"{caption} — passage (margin baseline {item['margin_baseline']:+.3f})",
                    str(item["passage"]),
                    before if before[1] > before[0] else None,
                ),
                Passage(
                    f"near miss (margin candidate {item['margin_candidate']:+.3f})",
                    str(item["near_miss"]),
                    after if after[1] > after[0] else None,
                ),
            )
        )
    return out


SECTION = Section("near_miss", "Near misses", ":material/compare:", blocks)
