"""How the dashboard feels in a real browser: Playwright on Debian's Chromium, as the tests.

Usage: PYTHONPATH=. python benchmarks/browser_latency.py [--repeats 3] [--docs 20000]
                                                         [--queries 1000] [--cache DIR]

Two comparisons: the demo (``-- --demo``: the sample corpus, MiniLM and the demo candidate,
embeddings from the cache) and a synthetic 5-domain one from precomputed vectors
(``benchmarks/dashboard_latency.py``'s, ``--docs`` documents). For each, ``--repeats`` times:

* cold: a fresh server, the page opened, until the Overview's first chart is drawn;
* warm reload: the page reloaded, until that chart is drawn again;
* each page switch: the link clicked, until the page's own content is drawn and the app is
  idle (Streamlit's running indicator gone); the Embedding space's first visit, which
  computes the projection, is reported apart from its later visits;
* the cutoff slider moved one step with the keyboard, until the metrics above it change.

Prints medians (and maxima) per step. Run it with a warm embedding cache (``--cache``, the
demo's candidate built) so that what is timed is the dashboard, not the model encoding.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PAGES = [  # nav title, what shows the page is drawn
    ("Retrieval overlap", ".js-plotly-plot"),
    ("Neighbourhood drift", ".js-plotly-plot"),
    ("Threshold exclusions", '[data-testid="stMetric"]'),
    ("Changed answers", '[data-testid="stDataFrame"]'),
    ("Answers", '[data-testid="stDataFrame"]'),
    ("Embedding space", ".js-plotly-plot"),
    ("Overview", ".js-plotly-plot"),
    ("Embedding space", ".js-plotly-plot"),
]
PROJECTED = "Embedding space"  # its first visit on a server computes the projection


def idle(page) -> None:
    """Wait until Streamlit's "running" indicator is gone (the script run has finished)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=600_000
    )


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(browser, url: str, times: dict[str, list[float]]) -> None:
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    chart = page.locator(".js-plotly-plot").first

    def first_chart() -> None:
        chart.wait_for(timeout=600_000)

    times["cold: first Overview chart"].append(timed(lambda: (page.goto(url), first_chart())))
    idle(page)
    times["warm reload: first Overview chart"].append(timed(lambda: (page.reload(), first_chart())))
    idle(page)
    visited: set[str] = set()
    for title, selector in PAGES:
        key = f"switch to {title}"
        if title == PROJECTED:
            key += " (again)" if title in visited else " (first: computes the projection)"
        visited.add(title)
        spent = timed(
            lambda title=title, selector=selector: (
                page.get_by_role("link", name=title, exact=True).first.click(),
                page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=600_000),
                page.locator(selector).first.wait_for(timeout=600_000),
                idle(page),
            )
        )
        times[key].append(spent)
    page.get_by_role("link", name="Threshold exclusions", exact=True).first.click()
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=600_000)
    idle(page)
    slider = page.get_by_role("slider").first
    metric = page.locator('[data-testid="stMetricValue"]').nth(1)
    for _ in range(3):
        before = metric.inner_text()
        slider.focus()
        started = time.perf_counter()
        slider.press("ArrowRight")
        page.wait_for_function(
            "(b) => { const m = document.querySelectorAll('[data-testid=stMetricValue]'); "
            "return m.length > 1 && m[1].innerText !== b; }",
            arg=before,
            timeout=120_000,
        )
        times["slider one step: metrics updated"].append(time.perf_counter() - started)
        idle(page)
    page.close()


def report(name: str, times: dict[str, list[float]]) -> None:
    print(f"\n{name}")
    for step, values in times.items():
        print(
            f"  {step:<48} median {statistics.median(values):6.2f}s  "
            f"max {max(values):6.2f}s  (n={len(values)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--cache", default=os.environ.get("RECALL_HORIZON_CACHE"))
    parser.add_argument(
        "--only", choices=("demo", "synthetic"), help="measure one comparison, not both"
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from benchmarks.dashboard_latency import write_inputs
    from tests.streamlit_server import streamlit_server

    cache = args.cache or tempfile.mkdtemp()
    work = Path(tempfile.mkdtemp())
    specs = write_inputs(work, args.docs, args.queries)
    synthetic = urlencode({**specs, "k": "10", "projection": "1"})
    size = f"{args.docs:,} documents, {args.queries:,} queries, 5 domains, from vectors"
    cases = [
        ("demo (400 documents, 110 queries, projection on)", ["--demo"], ""),
        (f"synthetic ({size}, projection on)", [], f"/?{synthetic}"),
    ]
    if args.only:
        cases = [c for c in cases if c[0].startswith(args.only)]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for name, server_args, path in cases:
            times: dict[str, list[float]] = defaultdict(list)
            for _ in range(args.repeats):
                with streamlit_server(cache, *server_args) as url:
                    measure(browser, url + path, times)
            report(name, times)
        browser.close()


if __name__ == "__main__":
    main()
