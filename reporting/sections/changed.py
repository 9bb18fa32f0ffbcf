"""Changed results: which queries got different documents, and what entered and left?"""

from __future__ import annotations

import pandas as pd

from analysis.bundle.files import Bundle
from reporting.sections.base import Block, Context, Pair, Section, Table, Text, in_domain, present
from reporting.sections.documents import with_texts

ORDERS = {
    "relevance lost": ("relevance_lost", False),
    "overlap (lowest first)": ("jaccard", True),
    "rank shift": ("rank_shift", False),
}
COLUMNS = (
    "query_id",
    "domain",
    "jaccard",
    "rbo",
    "rank_shift",
    "n_left",
    "n_entered",
    "relevant_left",
    "relevance_lost",
    "text",
)
LEFT_COLUMNS = (
    "doc_id",
    "doc_domain",
    "rank_baseline",
    "score_baseline",
    "grade",
    "doc_neighbourhood_jaccard",
)
QUERIES_SHOWN = 10  # in the report: the most changed queries, each with both lists


def orders(bundle: Bundle) -> list[str]:
    """The orderings this bundle supports (relevance lost needs judgments), default first."""
    queries = bundle.queries
    has_relevance = queries is not None and "relevance_lost" in queries
    return [name for name in ORDERS if has_relevance or ORDERS[name][0] != "relevance_lost"]


def changed_queries(
    bundle: Bundle,
    domain: str | None,
    *,
    only_changed: bool = True,
    max_overlap: float = 1.0,
    order: str | None = None,
) -> pd.DataFrame:
    """Queries in display order: most relevance lost first (lowest overlap without judgments)."""
    queries = bundle.queries
    if queries is None:
        return pd.DataFrame(columns=list(COLUMNS[:2]))
    shown = in_domain(queries, domain)
    shown = shown[shown["jaccard"] <= max_overlap + 1e-9]
    if only_changed:
        shown = shown[shown["changed"]]
    column, ascending = ORDERS[order or orders(bundle)[0]]
    shown = shown.sort_values(column, ascending=ascending, na_position="last", kind="stable")
    return present(shown, COLUMNS).reset_index(drop=True)


def ranked_lists(bundle: Bundle, query_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both models' top-k for one query, rank first: what each would pass the LLM."""
    changes = bundle.changes
    lists = []
    for model in ("baseline", "candidate"):
        if changes is None:
            lists.append(pd.DataFrame())
            continue
        side = changes[(changes["query_id"] == query_id) & changes[f"rank_{model}"].notna()]
        ranked = side.sort_values(f"rank_{model}", kind="stable")
        lists.append(
            ranked[[f"rank_{model}", "doc_id", f"score_{model}", "grade", "change"]]
            .rename(columns={f"rank_{model}": "rank", f"score_{model}": "score"})
            .reset_index(drop=True)
        )
    return lists[0], lists[1]


def left_documents(bundle: Bundle, query_id: str) -> pd.DataFrame:
    """The documents that left the query's top-k, with their own neighbourhood drift."""
    changes = bundle.changes
    if changes is None:
        return pd.DataFrame()
    left = changes[(changes["query_id"] == query_id) & (changes["change"] == "left")]
    return present(left, LEFT_COLUMNS).reset_index(drop=True)


def query_heading(row: pd.Series) -> str:
    text = row.get("text")
    return f"{row['query_id']} ({row['domain']})" + (
        f" — {text}" if isinstance(text, str) and text else ""
    )


def side_by_side(bundle: Bundle, query_id: str) -> Pair:
    k = bundle.summary.manifest.k
    baseline, candidate = ranked_lists(bundle, query_id)
    return Pair(
        Table(f"baseline_{query_id}", f"Baseline top-{k}", with_texts(baseline, bundle)),
        Table(f"candidate_{query_id}", f"Candidate top-{k}", with_texts(candidate, bundle)),
    )


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    queries = bundle.queries
    if queries is None or queries.empty:
        return [Text("This corpus has no queries.")]
    table = changed_queries(bundle, context.domain)
    scope = in_domain(queries, context.domain)
    out: list[Block] = [
        Text(
            f"{int(scope['changed'].sum()):,} of {len(scope):,} queries changed their top-k, "
            f"ranked by {orders(bundle)[0]}."
        ),
        Table("changed_queries", "Changed queries", table, QUERIES_SHOWN),
    ]
    for _, row in table.head(QUERIES_SHOWN).iterrows():
        out += [Text(query_heading(row)), side_by_side(bundle, row["query_id"])]
    return out


SECTION = Section("changed", "Changed results", ":material/compare_arrows:", blocks)
