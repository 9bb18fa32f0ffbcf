"""One self-contained HTML report from a data bundle: opens offline, no request to any server.

The report is a loop over ``reporting.sections``: each section's blocks rendered as HTML.
plotly.js is inlined once; every figure is a div drawn by it. All text taken from the data
(ids, query texts, model specs) is HTML-escaped. Every table carries ``data-key``, the key
of its block, so a test can set it beside the dashboard page that shows the same block.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs

from analysis.bundle.files import Bundle
from analysis.verdict.gate import GateResult
from reporting.labels import PeopleTable, cell_text, for_people
from reporting.sections import SECTIONS
from reporting.sections.base import (
    Block,
    Bullets,
    Chart,
    Context,
    Heading,
    Passage,
    Stack,
    Table,
    Text,
)

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#222}
main{max-width:1200px;margin:0 auto;padding:24px 32px}
h1{margin-bottom:4px}h2{border-bottom:2px solid #eee;padding-bottom:4px;margin-top:40px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}.pass{color:#1a7f37;font-weight:600}.fail{color:#b2182b;font-weight:600}
.muted{color:#666;font-size:13px}.pair{display:flex;gap:24px}.pair>div{flex:1;min-width:0}
nav a{margin-right:12px}
"""
PASSAGE_STYLE = """
.passage{border-left:3px solid #ddd;padding:2px 10px;margin:8px 0;font-size:13px}
.passage.marked{border-left-color:#1a7f37}.passage p{white-space:pre-wrap;margin:4px 0}
.passage .muted{color:#666}mark{background:#ffe08a}
"""


def write_report(bundle: Bundle, out: Path, *, gate: GateResult, policy_source: str) -> int:
    """Render a bundle (read from a folder) to ``out``; return the file size in bytes."""
    document = render(bundle, gate=gate, policy_source=policy_source)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    return out.stat().st_size


def render(bundle: Bundle, *, gate: GateResult, policy_source: str) -> str:
    context = Context(gate=gate, policy_source=policy_source)
    nav = "".join(f'<a href="#{s.key}">{_e(s.title)}</a>' for s in SECTIONS)
    body = "".join(
        f'<section id="{s.key}"><h2>{_e(s.title)}</h2>'
        + "".join(render_block(b) for b in s.blocks(bundle, context))
        + "</section>"
        for s in SECTIONS
    )
    verdict = (
        '<span class="pass">PASS</span>'
        if gate.passed
        else f'<span class="fail">FAIL</span> in {_e(", ".join(gate.failed_domains()))}'
    )
    manifest = bundle.summary.manifest
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Recall Horizon report</title>"
        f"<style>{STYLE}{PASSAGE_STYLE}</style><script>{get_plotlyjs()}</script></head><body><main>"
        f"<h1>Recall Horizon report</h1><p class='muted'>Baseline <code>"
        f"{_e(manifest.baseline.spec)}</code> vs candidate <code>"
        f"{_e(manifest.candidate.spec)}</code> on <code>"
        f"{_e(manifest.corpus.name)}</code>. Rollout gate: {verdict}</p>"
        f"<nav>{nav}</nav>{body}</main></body></html>"
    )


def write_rounds_report(record: dict[str, Any], out: Path) -> int:
    """The series report (``rounds --out DIR`` writes DIR/report.html); return its size.
    Each round's own comparison reports come from ``report --from DIR/<round>/cumulative``."""
    from reporting.sections import rounds

    body = "".join(render_block(b) for b in rounds.blocks(record))
    document = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Recall Horizon: fine-tuning rounds</title>"
        f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head><body><main>"
        f"<h1>Recall Horizon: fine-tuning rounds</h1>"
        f'<section id="rounds"><h2>Rounds</h2>{body}</section></main></body></html>'
    )
    out.write_text(document, encoding="utf-8")
    return out.stat().st_size


def render_block(block: Block) -> str:
    if isinstance(block, Text):
        return f"<p{' class=muted' if block.muted else ''}>{_e(block.text)}</p>"
    if isinstance(block, Heading):
        return f"<h3>{_e(block.text)}</h3>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Chart):
        return _figure(block.figure)
    if isinstance(block, Table):
        title = f"<h3>{_e(block.title)}</h3>" if block.title else ""
        rows = block.frame if block.report_rows is None else block.frame.head(block.report_rows)
        return title + _table(rows, key=block.key, index=block.index)
    if isinstance(block, Passage):
        return passage_html(block)
    if isinstance(block, Stack):
        return "".join(render_block(b) for b in block.blocks)
    return (
        f"<div class='pair'><div>{render_block(block.left)}</div>"
        f"<div>{render_block(block.right)}</div></div>"
    )


def passage_html(passage: Passage) -> str:
    """A passage with its span in <mark>, every piece of text escaped (the dashboard shows
    passages through this too)."""
    text = passage.text
    if passage.span is not None:
        start, end = passage.span
        body = f"{_e(text[:start])}<mark>{_e(text[start:end])}</mark>{_e(text[end:])}"
    else:
        body = _e(text)
    marked = " marked" if passage.marked else ""
    return (
        f"<div class='passage{marked}'><div class='muted'>{_e(passage.caption)}</div>"
        f"<p>{body}</p></div>"
    )


REPORT_TEMPLATE = "plotly_white"


def _figure(fig: Any) -> str:
    """One figure as a div, in the report's template. Set here, not on the figure: a figure
    made without one carries plotly's default template, which inside the dashboard is
    Streamlit's (placeholder colours only its frontend fills in)."""
    spec = fig.to_plotly_json()
    spec["layout"] = {
        **spec.get("layout", {}),
        "template": pio.templates[REPORT_TEMPLATE].to_plotly_json(),
    }
    return pio.to_html(
        spec,
        validate=False,
        full_html=False,
        include_plotlyjs=False,
        config={"displaylogo": False, "responsive": True},
    )


def _e(text: Any) -> str:
    return html.escape(str(text))


def _table(frame: pd.DataFrame, *, key: str, index: bool) -> str:
    return people_html(for_people(frame), key=key, index=index)


def people_html(people: PeopleTable, *, key: str, index: bool) -> str:
    """A table already labelled for people, each cell printed by its column's kind."""
    shown = people.frame.copy()
    for column in shown.columns:
        kind = people.kinds.get(column)
        shown[column] = [cell_text(value, kind) for value in shown[column]]
    table = shown.to_html(index=index, escape=True, na_rep="–", border=0)
    return table.replace("<table ", f'<table data-key="{_e(key)}" ', 1)
