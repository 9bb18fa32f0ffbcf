"""Cancel, in a real browser on a real shared server with one worker: a comparison being
encoded stops when its Cancel button is clicked, the page says so, and the worker is free
for the next comparison (with one worker, a place still held would make it wait forever)."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from dashboard.state import RunSpec
from tests.dashboard_fixture import build
from tests.fakes import write_beir
from tests.streamlit_server import streamlit_server

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]
pytestmark = pytest.mark.real_model


def _big_corpus(root: Path) -> Path:
    """Two domains of 2,000 documents: tens of seconds of encoding on two cores."""
    words = [f"w{i}" for i in range(3000)]
    rng = random.Random(0)
    for domain in ("legal", "clinical"):
        docs = [
            {"_id": f"{domain}{i}", "text": " ".join(rng.choices(words, k=60))} for i in range(2000)
        ]
        queries = [{"_id": f"q{i}", "text": " ".join(rng.choices(words, k=6))} for i in range(5)]
        write_beir(root / domain, docs, queries)
    return root


def test_cancel_stops_a_running_comparison_and_frees_the_worker(tmp_path):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        if os.environ.get("RH_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    big = _big_corpus(tmp_path / "big")
    small = build(tmp_path / "small")
    config = tmp_path / "shared.toml"
    config.write_text(f'roots = ["{tmp_path}"]\nworkers = 1\n')
    slow = RunSpec(str(big), "default", "default", projection=False)
    quick = RunSpec(small["corpus"], small["baseline"], small["candidate"], k=3, projection=False)
    env = {"RECALL_HORIZON_SHARED": str(config)}
    with (
        sync_playwright() as playwright,
        streamlit_server(str(tmp_path / "cache"), env=env) as url,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(f"{url}/overview?{urlencode(slow.to_params())}", timeout=60_000)
        cancel = page.get_by_role("button", name="Cancel")
        cancel.wait_for(timeout=60_000)
        page.get_by_text("encoding", exact=False).first.wait_for(timeout=60_000)
        clicked = time.monotonic()
        cancel.click()
        page.get_by_text("The comparison was cancelled").wait_for(timeout=20_000)
        assert time.monotonic() - clicked < 20  # stopped, not run to its end
        # the same visitor in a new tab: the cancelled run no longer counts against them; it
        # holds the worker until its current encoding chunk ends, then the worker is free
        page.goto(f"{url}/overview?{urlencode(quick.to_params())}", timeout=60_000)
        page.get_by_text("Rollout verdict").first.wait_for(timeout=60_000)
        browser.close()
