"""Many analysts at once on one dashboard server: N headless Chromium sessions open the same
saved comparison and switch pages for a while, each on its own sidebar domain.

Usage: PYTHONPATH=. python benchmarks/load_shared.py SAVED_FOLDER [--sessions 8]
                                  [--seconds 120] [--cache DIR] [--no-computing-visitor]

One server in shared mode (roots: the saved folder's parent; one worker) opened on the
saved folder (``-- --open SAVED_FOLDER``); each session opens it, picks a domain in the
sidebar (session i takes the i-th domain, round robin) and cycles through the pages until
the time is up, timing each switch on the browser's clock (``browser_latency.settled``).
Meanwhile one more visitor computes a comparison from scratch (the bundled sample corpus,
the bundled model on both sides, an empty embedding cache, the projection on) by following
its link, and waits for its Overview. Reported: page loads, any page that showed an
exception, whether a session ever saw another session's domain, the switch median and p95
under load against one session alone (run first), the computing visitor's time to its
verdict, and the server's memory (RSS, with its children) before the sessions and at the
end, per extra session.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.browser_latency import CHROMIUM, FIRST_CHART, FLAGS, PROBE, idle, settled

PAGES = [
    ("Retrieval overlap", ".js-plotly-plot"),
    ("Neighbourhood drift", ".js-plotly-plot"),
    ("Threshold exclusions", '[data-testid="stMetric"]'),
    ("Changed results", '[data-testid="stDataFrame"]'),
    ("Answers", '[data-testid="stDataFrame"]'),
    ("Overview", ".js-plotly-plot"),
]


def drawn(title: str, selector: str) -> str:
    return (
        f"() => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === {title!r})"
        f" && !!document.querySelector({selector!r})"
    )


def session(url: str, domain: str, seconds: float, out: dict) -> None:
    from playwright.sync_api import sync_playwright

    times, errors, crossed, loads = [], [], 0, 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(PROBE + f"window.__rhArm({FIRST_CHART});")
        settled(page, lambda: page.goto(url))
        idle(page)
        picker = page.locator('[data-testid="stSidebar"] input[role="combobox"]').first
        picker.click()
        page.keyboard.type(domain)
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => location.search.includes('domain={domain}')")
        idle(page)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for title, selector in PAGES:
                link = page.get_by_role("link", name=title, exact=True).first
                times.append(settled(page, link.click, drawn(title, selector)))
                loads += 1
                content = page.content()
                if 'data-testid="stException"' in content:
                    errors.append(title)
                # the session's own domain: in its link (which mirrors its state) and its picker
                if f"domain={domain}" not in page.url or picker.input_value() != domain:
                    crossed += 1
        browser.close()
    out.update(times=times, errors=errors, crossed=crossed, loads=loads)


def computing_visitor(url: str, out: dict) -> None:
    """A visitor who follows a link to a comparison nobody has computed, and waits for it."""
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    from analysis.tuning.demo import SAMPLE_CORPUS
    from dashboard.state import RunSpec

    spec = RunSpec(str(SAMPLE_CORPUS), "default", "default")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        started = time.monotonic()
        page.goto(f"{url}/overview?{urlencode(spec.to_params())}", timeout=120_000)
        page.get_by_text("Rollout verdict").first.wait_for(timeout=900_000)
        out["seconds"] = time.monotonic() - started
        out["exception"] = 'data-testid="stException"' in page.content()
        browser.close()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    import subprocess

    pids = [
        str(pid),
        *subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split(),
    ]
    total = 0
    for item in pids:
        try:
            for line in Path(f"/proc/{item}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("saved")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--cache", default=tempfile.mkdtemp())
    parser.add_argument("--computing-visitor", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    from analysis.bundle.files import load_bundle
    from tests.streamlit_server import streamlit_server

    domains = load_bundle(Path(args.saved)).summary.domain_names
    shared = Path(args.cache) / "shared.toml"
    shared.parent.mkdir(parents=True, exist_ok=True)
    shared.write_text(f'roots = ["{Path(args.saved).resolve().parent}"]\nworkers = 1\n')
    env = {"RECALL_HORIZON_SHARED": str(shared)}
    with streamlit_server(args.cache, "--open", args.saved, env=env) as url:
        import psutil

        server = next(
            p
            for p in psutil.process_iter(["pid", "cmdline"])
            if p.info["cmdline"]
            and "streamlit" in " ".join(p.info["cmdline"])
            and url.rsplit(":", 1)[1] in " ".join(p.info["cmdline"])
        )
        alone: dict = {}
        session(url, domains[0], min(args.seconds, 40), alone)
        before = rss_mb(server.pid)
        results = [dict() for _ in range(args.sessions)]
        threads = [
            threading.Thread(target=session, args=(url, domains[i % len(domains)], args.seconds, r))
            for i, r in enumerate(results)
        ]
        computed: dict = {}
        if args.computing_visitor:
            threads.append(threading.Thread(target=computing_visitor, args=(url, computed)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after = rss_mb(server.pid)
    under = [t for r in results for t in r.get("times", [])]
    print(f"{args.sessions} sessions x {args.seconds:.0f} s on {args.saved}")
    print(
        f"  page loads: {sum(r.get('loads', 0) for r in results)}; pages with an exception: "
        f"{sum(len(r.get('errors', [])) for r in results)}; a session seeing another's domain: "
        f"{sum(r.get('crossed', 0) for r in results)} times"
    )
    for name, values in (("one session alone", alone["times"]), ("under load", under)):
        p95 = statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
        print(
            f"  page switch, {name}: median {statistics.median(values):.2f} s, p95 {p95:.2f} s "
            f"(n={len(values)})"
        )
    if args.computing_visitor:
        print(
            f"  the computing visitor: verdict after {computed.get('seconds', float('nan')):.1f} s"
            f"; exception on its page: {computed.get('exception', 'did not finish')}"
        )
    print(
        f"  server memory: {before:.0f} MB after one session, {after:.0f} MB after "
        f"{args.sessions}: {(after - before) / max(args.sessions - 1, 1):.0f} MB per extra session"
    )
    failed = any(r.get("errors") for r in results) or computed.get("exception", False)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
