"""How the dashboard feels in a real browser: Playwright on Debian's Chromium, as the tests.

Usage: PYTHONPATH=. python benchmarks/browser_latency.py [--repeats 3] [--docs 20000]
                                                         [--queries 1000] [--cache DIR]
                                                         [--saved FOLDER] [--only CASE]

Two comparisons: the demo (``-- --demo``: the sample corpus, MiniLM and the demo candidate,
embeddings from the cache) and a synthetic 5-domain one from precomputed vectors
(``benchmarks/dashboard_latency.py``'s, ``--docs`` documents). For each, ``--repeats`` times:

* cold: a fresh server, the page opened, until the Overview's first chart is drawn;
* warm reload: the page reloaded, until that chart is drawn again;
* each page switch: the link clicked, until the page's own content is drawn and the app is
  idle (Streamlit's running indicator gone); the Embedding space's first visit, which
  computes the projection, is reported apart from its later visits;
* the cutoff slider moved one step with the keyboard, until the metrics under it change:
  three steps up, six down (three of them to cutoffs already shown, three below the start).

Times are taken in the page, on the browser's clock: from the input event (or the start of
the navigation) until the app's run has finished, the page's content and every chart on it
are drawn, and that frame is painted.

Prints medians (and maxima) per step. Run it with a warm embedding cache (``--cache``, the
demo's candidate built) so that what is timed is the dashboard, not the model encoding.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PAGES = [  # nav title, what shows the page is drawn
    ("Retrieval overlap", ".js-plotly-plot"),
    ("Neighbourhood drift", ".js-plotly-plot"),
    ("Threshold exclusions", '[data-testid="stMetric"]'),
    ("Changed results", '[data-testid="stDataFrame"]'),
    ("Answers", '[data-testid="stDataFrame"]'),
    ("Embedding space", ".js-plotly-plot"),
    ("Overview", ".js-plotly-plot"),
    ("Embedding space", ".js-plotly-plot"),
]
PROJECTED = "Embedding space"  # its first visit on a server computes the projection


def idle(page) -> None:
    """Wait until the script run has finished: the app root's script state, which Streamlit's
    own browser tests read (its "running" icon shows only after a delay, so it can be absent
    while a run is still going)."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=600_000,
    )


# Timing runs in the page, on the browser's clock: from the input event's timestamp (or the
# navigation's start) to the first frame painted once the page is settled. Playwright's own
# polling would add its round trips (0.1-0.2 s a step here) to every figure.
PROBE = """
window.__rh = { input: null, result: null };
for (const type of ['click', 'keydown'])
  document.addEventListener(type, e => { window.__rh.input = e.timeStamp; }, true);
window.__rhArm = (check) => {
  window.__rh.result = null;
  const settledNow = () => {
    const app = document.querySelector('[data-testid=stApp]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
      && [...document.querySelectorAll('.js-plotly-plot')]
           .every(p => p.querySelector('.main-svg')) && check();
  };
  const observer = new MutationObserver(() => {
    if (window.__rh.result !== null || !settledNow()) return;
    observer.disconnect();
    const since = window.__rh.input;
    requestAnimationFrame(() => { window.__rh.result = performance.now() - (since ?? 0); });
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true,
                               characterData: true });
};
"""
FIRST_CHART = "() => !!document.querySelector('.js-plotly-plot .main-svg')"


def settled(page, act, check: str | None = None) -> float:
    """Seconds from ``act``'s input (a click or a key) until the app has finished its run,
    ``check`` (a JS function) holds, every chart on the page has drawn, and the browser has
    painted that frame. Without ``check``, ``act`` loads a page: the probe armed itself when
    the document started, its clock starts at the navigation, and it waits for a chart."""
    if check is not None:
        page.evaluate(f"window.__rhArm({check})")
    act()
    page.wait_for_function("() => window.__rh && window.__rh.result !== null", timeout=600_000)
    return page.evaluate("window.__rh.result") / 1000


def record(times: dict[str, list[float]], step: str, spent: float) -> None:
    """Keep one measurement, and show it at once (on stderr) so a stuck step is visible."""
    times[step].append(spent)
    print(f"    {step}: {spent:.2f}s", file=sys.stderr, flush=True)


def page_drawn(title: str, selector: str) -> str:
    """JS: the page called ``title`` is on show with its content (``selector``) drawn."""
    return (
        f"() => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === {title!r})"
        f" && !!document.querySelector({selector!r})"
    )


def measure(browser, url: str, times: dict[str, list[float]]) -> None:
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.add_init_script(PROBE + f"window.__rhArm({FIRST_CHART});")
    record(times, "cold: first Overview chart", settled(page, lambda: page.goto(url)))
    idle(page)
    record(times, "warm reload: first Overview chart", settled(page, page.reload))
    idle(page)
    visited: set[str] = set()
    for title, selector in PAGES:
        key = f"switch to {title}"
        if title == PROJECTED:
            key += " (again)" if title in visited else " (first: computes the projection)"
        visited.add(title)
        link = page.get_by_role("link", name=title, exact=True).first
        record(times, key, settled(page, link.click, page_drawn(title, selector)))
        said = page.get_by_text(re.compile(r"Projection ready in [\d.]+ s")).all_inner_texts()
        if title == PROJECTED and said and "first" in key:  # the page times its computation
            spent = float(re.search(r"in ([\d.]+) s", said[0]).group(1))  # type: ignore[union-attr]
            record(times, "  of which the projection's computation (server)", spent)
    page.get_by_role("link", name="Threshold exclusions", exact=True).first.click()
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=600_000)
    idle(page)
    slider = page.get_by_role("slider").first
    values = "[...document.querySelectorAll('[data-testid=stMetricValue]')]"
    # three steps up from the comparison's cutoff, back down past it and three below: the
    # first step below needs one pass over the scores (pairs held for the steps after it)
    for key in ["ArrowRight"] * 3 + ["ArrowLeft"] * 6:
        before = page.evaluate(f"{values}.map(m => m.innerText).join('|')")
        slider.focus()
        changed = f"() => {values}.map(m => m.innerText).join('|') !== {before!r}"
        spent = settled(page, lambda key=key: slider.press(key), changed)
        record(times, "slider one step: metrics updated", spent)
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
        "--only", choices=("demo", "synthetic", "saved"), help="measure one case, not all"
    )
    parser.add_argument(
        "--saved",
        help="also open this saved comparison (a folder `compare --out` or `demo --out` wrote) "
        "with `-- --open`: nothing computed, its projection read from the folder",
    )
    args = parser.parse_args()
    if args.saved and not Path(args.saved, "summary.json").is_file():
        parser.error(f"--saved {args.saved}: no summary.json there (not a saved comparison)")
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
    if args.saved:
        cases.append((f"saved ({args.saved}, opened with --open)", ["--open", args.saved], ""))
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
