"""Two checkouts of the dashboard side by side in one browser, their servers alternated.

Usage: PYTHONPATH=. python benchmarks/browser_ab.py --before DIR --after DIR
           [--rounds 4] [--cache DIR] [--saved FOLDER] [--docs 20000] [--queries 1000]
           [--only saved|synthetic]

Single runs of ``browser_latency.py`` differ by more than most changes do, so a change is
measured by alternating the two checkouts' servers round by round on one Chromium: each
round starts a fresh server of BEFORE, measures, then one of AFTER. Measured per server: the
cold start (until the Overview's first chart), then every page's first visit from the
Overview (``Overview -> page``, each page once), then the Threshold page's slider moved
three steps up and three down. Every time is taken in the page, on the browser's clock
(``browser_latency.settled``). Prints per step the median of each checkout over the
rounds, and its range.

Cases: a saved comparison opened with ``-- --open FOLDER`` (``--saved``; e.g. the demo's
``artifacts/demo``), and the synthetic comparison of ``browser_latency.py`` from vectors
(``--docs`` documents, projection on: its first computation is left out, as the pages are
timed, not UMAP).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.browser_latency import CHROMIUM, FIRST_CHART, FLAGS, PROBE, idle, settled

# nav title (a pattern: a page renamed between the checkouts), what shows the page is drawn
PAGES = [
    ("Retrieval overlap", ".js-plotly-plot"),
    ("Neighbourhood drift", ".js-plotly-plot"),
    ("Threshold exclusions", '[data-testid="stMetric"]'),
    ("Changed (answers|results)", '[data-testid="stDataFrame"]'),
    ("Answers", '[data-testid="stDataFrame"]'),
]


def _drawn(title: str, selector: str) -> str:
    return (
        "() => [...document.querySelectorAll('h1')]"
        f".some(h => /^{title}$/.test(h.innerText.trim()))"
        f" && !!document.querySelector({selector!r})"
    )


def _click(page, title: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("link", name=re.compile(f"^{title}$")).first.click


def measure(browser, url: str, times: dict[str, list[float]]) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.add_init_script(PROBE + f"window.__rhArm({FIRST_CHART});")
    times["cold start: first Overview chart"].append(settled(page, lambda: page.goto(url)))
    idle(page)
    for title, selector in PAGES:
        name = title.replace("(answers|results)", "results")
        times[f"first visit: {name}"].append(
            settled(page, _click(page, title), _drawn(title, selector))
        )
        idle(page)
        settled(page, _click(page, "Overview"), _drawn("Overview", ".js-plotly-plot"))
        idle(page)
    _click(page, "Threshold exclusions")()
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=600_000)
    idle(page)
    slider = page.get_by_role("slider").first
    values = "[...document.querySelectorAll('[data-testid=stMetricValue]')]"
    for key in ["ArrowRight"] * 3 + ["ArrowLeft"] * 3:
        before = page.evaluate(f"{values}.map(m => m.innerText).join('|')")
        slider.focus()
        changed = f"() => {values}.map(m => m.innerText).join('|') !== {before!r}"
        times["slider one step"].append(settled(page, lambda key=key: slider.press(key), changed))
        idle(page)
    page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", required=True, type=Path)
    parser.add_argument("--after", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--cache", default=tempfile.mkdtemp())
    parser.add_argument("--saved", help="a saved comparison folder, opened with -- --open")
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--only", choices=("saved", "synthetic"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from benchmarks.dashboard_latency import write_inputs
    from tests.streamlit_server import streamlit_server

    cases = []
    if args.saved and args.only in (None, "saved"):
        cases.append((f"saved ({args.saved})", ["--open", args.saved], ""))
    if args.only in (None, "synthetic"):
        specs = write_inputs(Path(tempfile.mkdtemp()), args.docs, args.queries)
        query = urlencode({**specs, "k": "10", "projection": "1"})
        cases.append((f"synthetic ({args.docs:,} documents, from vectors)", [], f"/?{query}"))
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for name, server_args, path in cases:
            times = {side: defaultdict(list) for side in sides}
            for round_ in range(args.rounds):
                for side, root in sides.items():
                    with streamlit_server(args.cache, *server_args, root=root) as url:
                        measure(browser, url + path, times[side])
                    print(f"  {name}: round {round_ + 1} {side} done", file=sys.stderr)
            print(f"\n{name}: median over {args.rounds} rounds, before -> after")
            for step in times["before"]:
                old, new = (statistics.median(times[s][step]) for s in sides)
                spread = "   ".join(
                    f"{s} {min(times[s][step]):.2f}-{max(times[s][step]):.2f}" for s in sides
                )
                print(f"  {step:<40} {old:6.2f} s -> {new:6.2f} s   ({spread})")
        browser.close()


if __name__ == "__main__":
    main()
