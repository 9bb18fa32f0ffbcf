"""The postmortem report: self-contained, complete, offline; the bundle is reproducible."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from analysis.bundle.files import bundle_sha256
from analysis.cli import main
from tests.dashboard_fixture import build, compared
from tests.fakes import compare_args

CHROMIUM = "/usr/bin/chromium"
SECTIONS = ["overview", "gate", "overlap", "drift", "thresholds", "space", "changed", "manifest"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    out = root / "bundle"
    compared(root, out, "--projection")
    assert main(["report", "--from", str(out), "--report", str(root / "report.html")]) == 0
    return root / "report.html", out


def test_report_has_every_section_and_real_numbers(report):
    path, bundle = report
    text = path.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}">' in text
    summary = json.loads((bundle / "summary.json").read_text())
    assert summary["manifest"]["corpus"]["fingerprint"] in text
    assert bundle_sha256(bundle) in text
    assert "clinical" in text and "Rollout gate" in text
    assert text.count('class="plotly-graph-div"') >= 8


def test_report_references_no_external_resource(report):
    text = report[0].read_text(encoding="utf-8")
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?://', text)


def test_report_opens_offline_in_chromium_with_every_figure_and_no_error(report):
    if not Path(CHROMIUM).exists():
        if os.environ.get("RH_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    path = report[0]
    expected = path.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(offline=True)
        page = context.new_page()
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected}",
            timeout=60_000,
        )
        assert page.locator(".js-plotly-plot").count() == expected
        browser.close()
    assert errors == []
    assert [r for r in requests if not r.startswith("file://")] == []


def test_same_inputs_give_the_same_summary_apart_from_the_timestamp(tmp_path):
    specs = build(tmp_path)
    texts = []
    for name in ("one", "two"):
        assert (
            main(
                compare_args(
                    specs["corpus"],
                    specs["baseline"],
                    specs["candidate"],
                    str(tmp_path / name),
                    "--k",
                    "3",
                )
            )
            == 0
        )
        text = (tmp_path / name / "summary.json").read_text()
        texts.append(re.sub(r'"created_at": "[^"]+"', '"created_at": ""', text))
    assert texts[0] == texts[1]


def test_report_figures_carry_the_report_template_even_where_streamlit_set_the_default():
    """The dashboard's Export page writes reports in a process where Streamlit made its own
    template plotly's default: placeholder colours (#000001...) only its frontend fills in.
    The report sets its template on every figure, so none of those reach the file."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from reporting.html import REPORT_TEMPLATE, _figure

    previous = pio.templates.default
    placeholder = go.layout.Template(layout={"colorway": ["#000001", "#000002"]})
    pio.templates.default = placeholder  # stands in for Streamlit's template
    try:
        div = _figure(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])))
    finally:
        pio.templates.default = previous
    assert "#000001" not in div
    colorway = pio.templates[REPORT_TEMPLATE].layout.colorway
    assert json.dumps(list(colorway), separators=(",", ":")) in div
