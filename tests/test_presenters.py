"""One presenter per question: the dashboard page and the report section show the same rows,
in the same order, for the same comparison.

The report is parsed from its HTML (every table carries its block's ``data-key``); each
page runs under AppTest on the same corpus and models. Page tables are rendered with the
report's own table formatter, so the two are compared cell by cell as a reader sees them.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.bundle.files import load_bundle
from analysis.verdict.gate import evaluate, load_policy
from dashboard.state import RunSpec
from reporting.html import people_html, render
from reporting.labels import KIND_OF_LABEL, PeopleTable, for_people
from tests.dashboard_fixture import compared

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
Rows = list[list[str]]


class _Tables(HTMLParser):
    """Every ``<table data-key=...>`` of a document, as rows of cell texts (header first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, Rows] = {}
        self._key: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._key = dict(attrs).get("data-key")
            if self._key is not None:
                self.tables[self._key] = []
        elif self._key is not None and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._key is not None:
            self.tables[self._key].append(self._row)
            self._row = None
        elif tag == "table":
            self._key = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(document: str) -> dict[str, Rows]:
    parser = _Tables()
    parser.feed(document)
    return parser.tables


def as_report_rows(frame: pd.DataFrame, rows: int, *, index: bool) -> Rows:
    """A page's table (already labelled for people) as the report would print its first
    ``rows`` rows."""
    kinds = {label: KIND_OF_LABEL[label] for label in frame.columns if label in KIND_OF_LABEL}
    people = PeopleTable(frame.head(rows), kinds)
    return tables_of(people_html(people, key="page", index=index))["page"]


def disagreements(report: dict[str, Rows], page_frames: list[pd.DataFrame]) -> list[str]:
    """Report tables that no page table shows with the same header, rows and order."""
    problems = []
    for key, rows in report.items():
        header, body = rows[0], rows[1:]
        shown = [
            as_report_rows(frame, len(body), index=index)
            for frame in page_frames
            for index in (False, True)
        ]
        if [header, *body] not in shown:
            same_header = [s for s in shown if s[0] == header]
            problems.append(
                f"{key}: " + ("rows or order differ" if same_header else "not on the page")
            )
    return problems


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The report's tables and a function giving a page's tables, for one comparison."""
    root = tmp_path_factory.mktemp("presenters")
    out = root / "out"
    specs = compared(root, out, "--neighbours", "10")  # neighbours as the dashboard computes
    bundle = load_bundle(out)
    policy = load_policy()
    report = tables_of(
        render(bundle, gate=evaluate(bundle.summary, policy), policy_source=policy.source)
    )
    spec = RunSpec(
        corpus=specs["corpus"],
        baseline=specs["baseline"],
        candidate=specs["candidate"],
        k=3,
        projection=False,
    )

    def page(view: str) -> list[pd.DataFrame]:
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["run"] = spec.__dict__
        at.session_state["_url_loaded"] = True
        at.run()
        at.switch_page(f"views/{view}.py").run()
        assert not at.exception and not at.error
        return [element.value for element in at.dataframe]

    return report, page, bundle


def _report_part(report: dict[str, Rows], keys: set[str]) -> dict[str, Rows]:
    missing = keys - set(report)
    assert not missing, f"the report lacks {missing}"
    return {key: report[key] for key in keys}


@pytest.mark.parametrize(
    ("view", "keys"),
    [
        ("overview", {"scorecard_table", "gate_checks"}),
        ("overlap", {"least_overlap"}),
        ("drift", {"most_drifted"}),
        ("thresholds", {"exclusion_shares", "excluded_pairs"}),
    ],
)
def test_page_and_report_show_the_same_rows_in_the_same_order(
    both, monkeypatch, tmp_path, view, keys
):
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path))
    report, page, _ = both
    assert disagreements(_report_part(report, keys), page(view)) == []


def test_changed_answers_page_and_report_agree_on_queries_and_both_lists(
    both, monkeypatch, tmp_path
):
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path))
    report, page, _ = both
    first = report["changed_queries"][1][0]  # the page opens on the first query listed
    keys = {"changed_queries", f"baseline_{first}", f"candidate_{first}"}
    assert disagreements(_report_part(report, keys), page("changed")) == []


def test_the_comparison_catches_a_different_order():
    frame = for_people(
        pd.DataFrame({"query_id": ["a", "b", "c"], "jaccard": [0.1, 0.5, 0.9]})
    ).frame
    report = {"t": as_report_rows(frame, 3, index=False)}
    assert disagreements(report, [frame]) == []
    assert disagreements(report, [frame.iloc[::-1]]) == ["t: rows or order differ"]
    assert disagreements(report, [frame.drop(columns="Top-k overlap")]) == ["t: not on the page"]


def test_answers_page_and_report_agree_on_coverage_lost_queries_and_contexts(monkeypatch, tmp_path):
    """The fixture has judgments and no answers: both show judged-relevant coverage; at k = 1
    the perturbed clinical domain loses some. Page and report list the same lost queries,
    and the page shows the first one's two contexts, passage by passage."""
    from reporting.sections import answers as section
    from reporting.sections.base import Pair, Passage, Stack

    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    specs = compared(tmp_path, out, "--neighbours", "10", "--k", "1")
    bundle = load_bundle(out)
    policy = load_policy()
    report = tables_of(
        render(bundle, gate=evaluate(bundle.summary, policy), policy_source=policy.source)
    )
    at = AppTest.from_file(APP, default_timeout=120)
    spec = RunSpec(specs["corpus"], specs["baseline"], specs["candidate"], k=1, projection=False)
    at.session_state["run"] = spec.__dict__
    at.session_state["_url_loaded"] = True
    at.run()
    at.switch_page("views/answers.py").run()
    assert not at.exception and not at.error
    keys = {"judged_coverage", "lost_coverage"}
    page_frames = [element.value for element in at.dataframe]
    assert disagreements(_report_part(report, keys), page_frames) == []
    lost = report["lost_coverage"][1:]
    assert lost, "the fixture's perturbed clinical domain must lose coverage at k = 1"
    kind = section.coverage_kind(bundle)
    assert kind is not None and kind.name == "judged"
    shown = section.contexts(bundle, kind, lost[0][0])
    assert isinstance(shown, Pair) and isinstance(shown.left, Stack)
    assert isinstance(shown.right, Stack)
    left = [b for b in shown.left.blocks if isinstance(b, Passage)]
    right = [b for b in shown.right.blocks if isinstance(b, Passage)]
    assert any(p.marked for p in left) and not any(p.marked for p in right)
    html = " ".join(str(element.proto.body) for element in at.get("html"))
    for passage in left + right:
        assert passage.caption in html
    at.button(key="answers_open_changed").click().run()
    assert at.session_state["query"] == lost[0][0]
    at.switch_page("views/answers.py").run()
    carrier = bundle.queries.set_index("query_id").loc[lost[0][0], "judged_doc_baseline"]
    at.button(key="answers_open_drift").click().run()
    assert not at.exception and at.session_state["drift_doc"] == carrier
    assert at.selectbox(key="drift_doc").value == carrier  # the drift page inspects it
