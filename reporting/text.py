"""A comparison as the terminal prints it: the presenters' own blocks, in plain text.

The command line shows what the report's Overview shows (the headlines and the scorecard),
then each domain's answer or judged-relevant coverage and the LLM's verdict, from the same
sections, labels and number formats as the report and the pages; charts are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.bundle.files import Bundle
from analysis.text_table import format_table
from reporting.labels import cell_text, for_people
from reporting.sections import answers, llm, near_miss, overview, thresholds
from reporting.sections.base import Block, Bullets, Context, Heading, Pair, Stack, Table, Text

# The tables the terminal prints (the others list queries or documents: the report's).
DOMAIN_TABLES = (
    "scorecard_table",
    "answer_coverage",
    "judged_coverage",
    "near_miss_domains",
    "llm_domains",
)


def comparison_text(bundle: Bundle) -> str:
    """The terminal's account of a comparison, every domain (no gate: ``check`` adds it)."""
    context = Context()
    shown = [
        *overview.blocks(bundle, context),
        *_domain_part(answers.overview_blocks(bundle, context)),
        *_near_misses(bundle, context),
        *_domain_part(llm.blocks(bundle, context)),
    ]
    text = blocks_text(shown)
    cut = thresholds.cut_from_bundle(bundle)
    if cut is not None:
        text += "\n\n" + thresholds.cutoff_text(cut.settings).replace("**", "")
    return text


def _near_misses(bundle: Bundle, context: Context) -> list[Block]:
    """The near-miss table, when the comparison measured near misses (not the page's chart
    and items: building them was a third of what near misses added to a comparison)."""
    table = near_miss.domain_table(bundle, context)
    return [Heading("Sensitivity to near misses"), table] if table is not None else []


def blocks_text(blocks: Sequence[Block]) -> str:
    """Headings, sentences, bullets and the domain tables, as plain text."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{block.text}\n{'-' * len(block.text)}")
        elif isinstance(block, Text):
            parts.append(block.text.replace("**", ""))
        elif isinstance(block, Bullets):
            parts.append("\n".join(f"- {item}" for item in block.items))
        elif isinstance(block, Table) and block.key in DOMAIN_TABLES:
            parts.append(_table_text(block))
        elif isinstance(block, Stack):
            parts.append(blocks_text(block.blocks))
        elif isinstance(block, Pair):
            parts.append(blocks_text([block.left, block.right]))
    return "\n\n".join(p for p in parts if p)


def _domain_part(blocks: Sequence[Block]) -> list[Block]:
    """A section's sentences and its per-domain table (not its per-query tables)."""
    return [
        b
        for b in blocks
        if (isinstance(b, Text) and not b.muted)
        or (isinstance(b, Table) and b.key in DOMAIN_TABLES)
    ]


def _table_text(block: Table) -> str:
    frame = block.frame.reset_index() if block.index else block.frame
    people = for_people(frame)
    headers = [str(c) for c in people.frame.columns]
    rows = [
        [
            cell_text(value, people.kinds.get(label))
            for label, value in zip(headers, row, strict=True)
        ]
        for row in people.frame.itertuples(index=False)
    ]
    title = f"{block.title}\n" if block.title else ""
    return title + format_table(headers, rows)
