"""Draw docs/guard_tensorboard.png: TensorBoard's scalars of a guarded training run.

Usage (after ``guarded_training.py --out RUN`` with ``--report-to tensorboard``):

    PYTHONPATH=. python docs/examples/tensorboard_screenshot.py RUN docs/guard_tensorboard.png

Starts TensorBoard on 127.0.0.1 on the run's logs, opens its scalars page in headless
Chromium (Debian's, never a downloaded one), filtered to the guard's per-domain nDCG@10
change and headroom, takes the screenshot and stops the server.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# each domain's nDCG@10 change and smallest headroom, and the worst headroom of all
FILTER = r"rh_[a-z0-9.-]+_headroom$|ndcg@10_rel_change"


def main() -> None:
    run, picture = Path(sys.argv[1]), Path(sys.argv[2])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(run)]
        + ["--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        address = f"http://127.0.0.1:{port}"
        _wait_for(address, seconds=60)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(viewport={"width": 1600, "height": 1900})
            page.goto(f"{address}/?smoothing=0#timeseries", wait_until="networkidle")
            page.get_by_role("combobox", name="Filter tags (regex)").fill(FILTER)
            page.keyboard.press("Escape")  # close the tag suggestions over the charts
            outliers = page.get_by_role("checkbox", name="Ignore outliers in chart scaling")
            if outliers.count() and outliers.first.is_checked():
                outliers.first.click()  # every point on the chart, the breach included
            settings = page.get_by_role("button", name="Close side pane")
            if settings.count():
                settings.first.click()
            page.wait_for_timeout(4000)  # the charts draw after the filter settles
            page.screenshot(path=str(picture), full_page=False)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"wrote {picture}")


def _wait_for(address: str, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(address, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"TensorBoard did not answer at {address} within {seconds:.0f} s")


if __name__ == "__main__":
    main()
