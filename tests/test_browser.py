"""End to end in a real headless browser: the dashboard on the bundled sample corpus.

Starts Streamlit on a loopback port, runs the demo comparison (real models: the bundled
MiniLM and the demo candidate, tuned on first use) from the Setup page, visits every
page, checks for real content and no error, and saves a screenshot of each page under
artifacts/screenshots/. Needs Debian's chromium (scripts/test installs it); set
RH_REQUIRE_BROWSER=1 to fail instead of skip when it is missing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "artifacts" / "screenshots"
PAGES = [
    ("Overview", "overview", ".js-plotly-plot"),
    ("Retrieval overlap", "overlap", ".js-plotly-plot"),
    ("Neighbourhood drift", "drift", ".js-plotly-plot"),
    ("Threshold exclusions", "thresholds", '[data-testid="stMetric"]'),
    ("Embedding space", "space", ".js-plotly-plot"),
    ("Changed answers", "changed", '[data-testid="stDataFrame"]'),
    ("Answers", "answers", "mark"),  # a lost query's answer, highlighted in its document
    ("LLM answers", "llm", '[data-testid="stMarkdown"]'),  # no LLM in the demo run: says how
    ("Export", "export", '[data-testid="stButton"]'),
]

pytestmark = pytest.mark.real_model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("RH_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    port = _free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "RECALL_HORIZON_CACHE": os.environ.get("RECALL_HORIZON_CACHE")
        or str(tmp_path_factory.mktemp("cache")),
    }
    log = (tmp_path_factory.mktemp("log") / "streamlit.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=20)


def test_demo_comparison_and_every_page_in_chromium(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(f"{server}/setup", wait_until="networkidle")
        page.get_by_role("button", name="Run comparison").click()
        page.get_by_test_id("stPageLink-NavLink").wait_for(timeout=900_000)
        _assert_no_error(page)
        page.screenshot(path=str(SHOTS / "setup.png"), full_page=True)
        for title, slug, selector in PAGES:
            page.get_by_role("link", name=title, exact=True).first.click()
            page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=120_000)
            page.locator(selector).first.wait_for(timeout=120_000)
            page.wait_for_timeout(1500)  # let plotly finish drawing before the screenshot
            _assert_no_error(page)
            assert "No comparison yet" not in page.content()
            page.screenshot(path=str(SHOTS / f"{slug}.png"), full_page=True)
        page.get_by_role("link", name="Overview").first.click()
        page.get_by_role("heading", name="Overview").first.wait_for()
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        assert "legal" in page.content() and "clinical" in page.content()
        for address in ("/overview", "/", "/thresholds"):  # bookmarks open their page
            fresh = browser.new_page(viewport={"width": 1500, "height": 1100})
            fresh.goto(f"{server}{address}", wait_until="networkidle")
            fresh.get_by_role("heading").first.wait_for(timeout=60_000)
            assert "Page not found" not in fresh.content(), address
            _assert_no_error(fresh)
            fresh.close()
        browser.close()


def _assert_no_error(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.content()[:2000]
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
