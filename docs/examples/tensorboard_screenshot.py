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

FILTER = r"ndcg@10_rel_change|_headroom$"


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
            page = browser.new_page(viewport={"width": 1600, "height": 1500})
            page.goto(f"{address}/?smoothing=0#timeseries", wait_until="networkidle")
            page.get_by_placeholder("Filter tags (regex)").fill(FILTER)
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
