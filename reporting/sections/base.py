"""What a presenter returns: a list of blocks that the report and the dashboard both render.

A section answers one question. Its ``blocks(bundle, context)`` function decides titles,
labels, columns, sort orders and figures once; ``reporting.html`` turns the blocks into
HTML and ``dashboard.render`` into Streamlit elements. A dashboard view adds only
interaction (filters, selection, a cutoff slider) around the same blocks, so the page and
the report cannot show different rows or orders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from analysis.bundle.files import Bundle
from analysis.verdict.gate import GateResult


@dataclass(frozen=True)
class Text:
    """A sentence or a paragraph (``muted``: an explanatory caption)."""

    text: str
    muted: bool = False


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Chart:
    key: str
    figure: go.Figure


@dataclass(frozen=True)
class Table:
    """A table, already in display order. The report shows its first ``report_rows`` rows
    (all when None); the page shows every row, paged."""

    key: str
    title: str
    frame: pd.DataFrame
    report_rows: int | None = None
    index: bool = False


@dataclass(frozen=True)
class Pair:
    """Two blocks side by side (two columns on the page, a flex row in the report)."""

    left: Block
    right: Block


@dataclass(frozen=True)
class Passage:
    """A piece of text as the LLM reads it, under a caption; ``span`` (start, end) is the
    part to highlight (an answer), ``marked`` says the passage carries what was needed."""

    caption: str
    text: str
    span: tuple[int, int] | None = None
    marked: bool = False


@dataclass(frozen=True)
class Stack:
    """Blocks one under the other (one side of a :class:`Pair`)."""

    blocks: tuple[Block, ...]


Block = Text | Heading | Bullets | Chart | Table | Pair | Passage | Stack


@dataclass(frozen=True)
class Context:
    """What a section may be told besides the bundle: the page's domain filter (the report
    shows every domain) and the gate's verdict with the policy it came from."""

    domain: str | None = None
    gate: GateResult | None = None
    policy_source: str = ""


@dataclass(frozen=True)
class Section:
    """One question: its anchor and page path (``key``), title, icon and blocks.

    ``on_page``: whether the dashboard gives it a page of its own (the manifest and the
    gate are shown inside other pages or only in the report).
    """

    key: str
    title: str
    icon: str
    blocks: Callable[[Bundle, Context], Sequence[Block]]
    on_page: bool = True


def in_domain(frame: pd.DataFrame, domain: str | None, column: str = "domain") -> pd.DataFrame:
    """Rows of one domain (all rows when ``domain`` is None)."""
    return frame if domain is None else frame[frame[column] == domain]


def present(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The listed columns that the frame has, in that order."""
    return frame[[c for c in columns if c in frame.columns]]
