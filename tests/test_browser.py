"""End to end in a real headless browser: the dashboard on the bundled sample corpus.

Two servers on loopback ports. The first runs the demo comparison (real models: the bundled
MiniLM and the demo candidate, tuned on first use) from the Setup page and visits every
page. The second opens the demo's saved output (``analysis demo --out``) with an empty
cache and the hub offline, so no model can be reached: it visits every page, follows a
shared link into Changed results, and opens the Export page's zip uploaded through the
Setup page. Each checks for real content and no error, and saves a screenshot of every
page under artifacts/screenshots/. Needs Debian's chromium (scripts/test installs it); set
RH_REQUIRE_BROWSER=1 to fail instead of skip when it is missing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.streamlit_server import ROOT, streamlit_server

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "artifacts" / "screenshots"
PAGES = [
    ("Overview", "overview", ".js-plotly-plot"),
    ("Remedies", "remedies", '[data-testid="stMarkdown"]'),  # the chart, when evaluated
    ("Retrieval overlap", "overlap", ".js-plotly-plot"),
    ("Neighbourhood drift", "drift", ".js-plotly-plot"),
    ("Threshold exclusions", "thresholds", '[data-testid="stMetric"]'),
    ("Embedding space", "space", ".js-plotly-plot"),
    ("Changed results", "changed", '[data-testid="stDataFrame"]'),
    ("Answers", "answers", "mark"),  # a lost query's answer, highlighted in its document
    ("LLM answers", "llm", '[data-testid="stMarkdown"]'),  # no LLM in the demo run: says how
    ("Export", "export", '[data-testid="stButton"]'),
]

# the Embedding space page's progress: its box's label, then the engine's stage name
PROJECTING = re.compile(r"Projecting both spaces|projection \(UMAP\) of both spaces")
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory) -> str:
    """The cache the computing server and the demo command share (models, embeddings)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("RH_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    return os.environ.get("RECALL_HORIZON_CACHE") or str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def server(model_cache, tmp_path_factory):
    with streamlit_server(model_cache, log=tmp_path_factory.mktemp("log") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def saved_demo(model_cache, tmp_path_factory):
    """The demo's saved output, and a server opened on it that cannot reach any model."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RECALL_HORIZON_CACHE": model_cache}
    ran = subprocess.run(
        [sys.executable, "-m", "analysis", "demo", "--remedies", "--out", str(folder)],
        cwd=ROOT,
        env=env,
        timeout=1200,
    )
    assert ran.returncode in (0, 1)  # 1: no remedy passes (the record says why)
    assert (folder / "remedies.json").is_file()
    empty = str(tmp_path_factory.mktemp("empty-cache"))
    log = tmp_path_factory.mktemp("log") / "saved.log"
    with streamlit_server(empty, "--open", str(folder), log=log) as url:
        yield url, folder


def test_demo_comparison_and_every_page_in_chromium(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(f"{server}/setup", wait_until="networkidle")
        page.get_by_role("button", name="Run comparison").click()
        page.get_by_test_id("stPageLink-NavLink").wait_for(timeout=900_000)
        _assert_no_error(page)
        page.screenshot(path=str(SHOTS / "setup.png"), full_page=True)
        assert not PROJECTING.search(page.content())  # nothing waited for the projection
        for title, slug, selector in PAGES:
            page.get_by_role("link", name=title, exact=True).first.click()
            if slug == "space":  # computed on its first visit, with visible progress
                page.get_by_text(PROJECTING).first.wait_for(timeout=60_000)
            page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=120_000)
            page.locator(selector).first.wait_for(timeout=300_000)
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


def test_the_saved_demo_opens_with_no_model_reachable(saved_demo, tmp_path):
    """Every page from the saved output; a shared link; the Export zip uploaded."""
    from playwright.sync_api import sync_playwright

    from analysis.bundle.files import load_bundle

    url, folder = saved_demo
    bundle = load_bundle(folder)
    fingerprint = bundle.summary.fingerprint
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(url, wait_until="networkidle")
        page.get_by_role("heading", name="Rollout verdict", exact=False).first.wait_for(
            timeout=60_000
        )
        assert f"comparison={fingerprint}" in page.url
        pages = [p if p[1] != "remedies" else (*p[:2], ".js-plotly-plot") for p in PAGES]
        for title, slug, selector in pages:
            page.get_by_role("link", name=title, exact=True).first.click()
            page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=60_000)
            page.locator(selector).first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            _assert_no_error(page)
            page.screenshot(path=str(SHOTS / f"saved-{slug}.png"), full_page=True)
        # the Export page's zip, downloaded, then uploaded into a fresh session
        page.get_by_role("button", name="Prepare the report and the bundle").click()
        with page.expect_download(timeout=120_000) as download:
            page.get_by_role("button", name="Data bundle (.zip)").click()
        archive = tmp_path / "bundle.zip"
        download.value.save_as(archive)
        # a shared link, in a new session: the Changed results page with its query selected
        query = str(bundle.queries["query_id"].iloc[7])
        shared = browser.new_page(viewport={"width": 1500, "height": 1100})
        shared.goto(f"{url}/changed?comparison={fingerprint}&query={query}")
        shared.get_by_role("heading", name=query, exact=True).wait_for(timeout=60_000)
        shared.locator('[data-testid="stDataFrame"]').nth(2).wait_for(timeout=60_000)
        shared.wait_for_timeout(1500)
        assert f"comparison={fingerprint}" in shared.url
        _assert_no_error(shared)
        shared.screenshot(path=str(SHOTS / "saved-shared-link.png"), full_page=True)
        uploader = browser.new_page(viewport={"width": 1500, "height": 1100})
        uploader.goto(f"{url}/setup", wait_until="networkidle")
        uploader.get_by_role("tab", name="Upload the Export zip").click()
        uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').last.set_input_files(
            str(archive)
        )
        uploader.locator("button", has_text="Open").filter(visible=True).first.click()
        uploader.locator('[data-testid="stAlertContentSuccess"]', has_text=fingerprint).wait_for(
            timeout=60_000
        )
        _assert_no_error(uploader)
        uploader.screenshot(path=str(SHOTS / "saved-upload.png"), full_page=True)
        browser.close()


DEMO_ROUNDS = [  # the demo recipe (analysis/tuning/demo.py) in two rounds of 50 epochs
    "--adapter",
    "--no-adapter-bias",
    "--epochs",
    "100",
    "--lr",
    "1e-2",
    "--train-batch-size",
    "16",
    "--scale",
    "30",
    "--anchor",
    "30",
    "--rounds",
    "2",
]


def test_the_rounds_page_in_chromium(model_cache, tmp_path):
    """A demo series of two rounds: `rounds` exits 1 or 0 as its verdict says, and the
    dashboard opened on its output shows the Rounds page with the verdict and the chart."""
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RECALL_HORIZON_CACHE": model_cache}
    corpus = str(ROOT / "sample_corpora" / "enterprise")
    series, out = tmp_path / "series", tmp_path / "rounds"
    command = [sys.executable, "-m", "analysis"]
    subprocess.run(
        [
            *command,
            "finetune",
            "--corpus",
            corpus,
            "--domain",
            "legal",
            "--base",
            "default",
            *DEMO_ROUNDS,
            "--out",
            str(series),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=900,
    )
    done = subprocess.run(
        [
            *command,
            "rounds",
            "--corpus",
            corpus,
            "--baseline",
            "default",
            "--checkpoints",
            str(series),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        timeout=900,
        capture_output=True,
        text=True,
    )
    advised = "roll back to" in done.stdout
    assert done.returncode == (1 if advised else 0), done.stdout + done.stderr
    assert "last safe round:" in done.stdout
    log = tmp_path / "rounds.log"
    with (
        streamlit_server(str(tmp_path / "empty"), "--open", str(out), log=log) as url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(f"{url}/rounds", wait_until="networkidle")
        page.get_by_role("heading", name="Rounds", exact=True).first.wait_for(timeout=60_000)
        page.get_by_role("heading", name="last safe round", exact=False).first.wait_for(
            timeout=60_000
        )
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        _assert_no_error(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "rounds.png"), full_page=True)
        browser.close()


def _assert_no_error(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.content()[:2000]
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
