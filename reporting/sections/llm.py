"""The team's LLM: what it answers from each model's context, what it says of the documents
that entered and left, and how far its judgments can be trusted (shown first)."""

from __future__ import annotations

import pandas as pd

from analysis.bundle.files import Bundle
from analysis.metrics.llm import LLMFigures
from analysis.metrics.llm_judge import JudgeAgreement
from reporting.labels import COLUMNS
from reporting.sections.base import (
    Block,
    Context,
    Pair,
    Passage,
    Section,
    Table,
    Text,
    in_domain,
    present,
)
from reporting.sections.documents import with_texts

REPORT_ROWS = 20
NO_LLM = (
    "No LLM took part in this comparison. Run it with your own model (--llm-base-url URL "
    "--llm-model NAME, the key in the variable --llm-api-key-env names) to see the answers "
    "each model's context leads to; --llm default runs a tiny embedded model offline, for "
    "trying the machinery only."
)
EXPLAINED = (
    "The LLM answered each sampled query from the baseline's context and from the "
    "candidate's. With reference answers, its answers are scored (exact match, token F1); "
    "without, it judged which answer is better, twice with the order swapped (a disagreement "
    "counts as a tie). It also judged the documents that entered or left each top-k."
)
ANSWER_COLUMNS = (
    "query_id",
    "domain",
    "text",
    "reference_answers",
    "llm_answer_baseline",
    "llm_answer_candidate",
    "llm_f1_baseline",
    "llm_f1_candidate",
    "llm_preference",
)


def query_blocks(answers: pd.DataFrame, contexts: pd.DataFrame, query_id: str) -> list[Block]:
    """One sampled query: its text and reference answers, the LLM's two answers side by
    side (labelled as the answers table labels them), and the two contexts it read."""
    row = answers[answers["query_id"] == query_id].iloc[0]
    shown: list[Block] = []
    if isinstance(row.get("text"), str):
        shown.append(Text(f"> {row['text']}"))
    if isinstance(row.get("reference_answers"), str):
        shown.append(Text(f"Reference answers: {row['reference_answers']}", muted=True))
    given = contexts[contexts["query_id"] == query_id].set_index("model")["context"]
    sides = [
        (
            Text(f"**{COLUMNS[f'llm_answer_{side}'].label}:** {row[f'llm_answer_{side}']}"),
            Passage(f"the {side}'s context, as the LLM read it", str(given.get(side, ""))),
        )
        for side in ("baseline", "candidate")
    ]
    return [
        *shown,
        Pair(sides[0][0], sides[1][0]),
        Pair(sides[0][1], sides[1][1]),
    ]


def agreement_line(judge: JudgeAgreement) -> str:
    if judge.kappa is None:
        checked = "could not be checked: the corpus has no usable judgments"
    else:
        checked = (
            f"agrees with the corpus' judgments at Cohen's κ = {judge.kappa:.2f}, accuracy "
            f"{judge.accuracy:.0%} on {judge.n_pairs} pairs (negatives: {judge.negatives})"
        )
    return f"LLM: {judge.model}. As a relevance judge it {checked}."


def domain_table(bundle: Bundle, domain: str | None) -> pd.DataFrame:
    rows = []
    for section in [*bundle.summary.domains.values(), bundle.summary.overall]:
        f = section.get(LLMFigures)
        if f is None or (domain is not None and section.name != domain):
            continue
        rows.append(
            {
                "domain": section.name,
                "queries": f.n_queries,
                "F1 baseline": f.f1.get("baseline"),
                "F1 candidate": f.f1.get("candidate"),
                "ΔF1": f.f1_delta,
                "ΔF1 p (BH)": f.f1_p_value_bh,
                "EM baseline": f.exact_match.get("baseline"),
                "EM candidate": f.exact_match.get("candidate"),
                "candidate wins / ties / losses": f"{f.wins} / {f.ties} / {f.losses}",
                "preference p (BH)": f.preference_p_value_bh,
                "dropped: judged relevant": f.dropped_relevant_share(),
                "added: judged relevant": f.added_relevant_share(),
                "net relevant per query": f.net_relevant_per_query,
                "net p (BH)": f.net_p_value_bh,
                "unreadable verdicts": f.unreadable_verdicts,
            }
        )
    frame = pd.DataFrame(rows)
    # what this comparison did not measure (F1 without reference answers, verdicts with
    # them) is left out rather than shown as empty columns or 0 / 0 / 0
    if frame.empty or frame["preference p (BH)"].isna().all():
        frame = frame.drop(columns=["candidate wins / ties / losses"], errors="ignore")
    return frame.dropna(axis=1, how="all")


def answers_table(bundle: Bundle, domain: str | None) -> pd.DataFrame:
    """Both of the LLM's answers for every sampled query, side by side."""
    queries = bundle.queries
    if queries is None or "llm_sampled" not in queries:
        return pd.DataFrame()
    sampled = in_domain(queries[queries["llm_sampled"]], domain)
    return present(sampled, ANSWER_COLUMNS).reset_index(drop=True)


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    judge = bundle.summary.get(JudgeAgreement)
    if judge is None:
        return [Text(NO_LLM)]
    out: list[Block] = []
    warning = judge.warning()
    if warning:
        out.append(Text(f"⚠ Read every number below with this in mind: {warning}"))
    out += [
        Text(agreement_line(judge)),
        Text(EXPLAINED, muted=True),
        Table("llm_domains", "The LLM's verdict per domain", domain_table(bundle, context.domain)),
        Table(
            "llm_answers",
            "Both answers, per sampled query",
            answers_table(bundle, context.domain),
            REPORT_ROWS,
        ),
    ]
    judged = bundle.table("llm_judgments")
    if judged is not None and not judged.empty:
        domains = (
            bundle.queries.set_index("query_id")["domain"] if bundle.queries is not None else None
        )
        if domains is not None:
            judged = judged.assign(domain=judged["query_id"].map(domains))
            judged = in_domain(judged, context.domain)
        out.append(
            Table(
                "llm_judgments",
                "Documents that entered or left a top-k, as the LLM judged them",
                with_texts(judged.reset_index(drop=True), bundle),
                REPORT_ROWS,
            )
        )
    return out


SECTION = Section("llm", "LLM answers", ":material/smart_toy:", blocks)
