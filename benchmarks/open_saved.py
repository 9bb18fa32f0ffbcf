"""How fast a saved comparison opens in the dashboard, and what its bundle weighs.

Usage: python benchmarks/open_saved.py [--docs 10000] [--queries 1000] [--words 100]
                                       [--repeats 5] [--work DIR]

Writes the synthetic 5-domain corpus of ``dashboard_latency.py`` (384-dimension vectors,
``--words`` seeded filler words per document so that text columns weigh what passages
would), saves its comparison with ``python -m analysis compare --out --projection``, then,
in one process with streamlit's AppTest:

* warms the server: opens one copy of the folder and draws the Overview (imports, the
  plotly and Streamlit machinery, nothing of the copies timed below);
* opens ``--repeats`` further copies (each a different folder, so nothing is served from
  the server's cache), timing from the session's start with ``--open COPY`` to the
  Overview drawn, the verdict included (AppTest: server-side, not the browser's drawing).

Prints the bundle's size per file and the open times (median and max).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.bundle.files import bundle_files, load_bundle  # noqa: E402
from analysis.cli import main as cli  # noqa: E402
from benchmarks.dashboard_latency import APP, write_inputs  # noqa: E402


def open_overview(folder: Path) -> float:
    """Seconds from a new session opened with ``--open folder`` to its Overview drawn."""
    sys.argv = ["app.py", "--open", str(folder)]
    at = AppTest.from_file(APP, default_timeout=300)
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    assert not at.exception, at.exception
    assert at.subheader and at.subheader[0].value.startswith("Rollout verdict"), at.subheader
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--words", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp())
    specs = write_inputs(work, args.docs, args.queries, words=args.words)
    saved = work / "saved"
    command = ["compare", "--corpus", specs["corpus"], "--baseline", specs["baseline"]]
    command += ["--candidate", specs["candidate"], "--out", str(saved), "--projection"]
    started = time.perf_counter()
    assert cli(command) == 0
    print(f"compare --out: {time.perf_counter() - started:.1f}s")
    files = bundle_files(saved)
    total = sum(f.stat().st_size for f in files)
    print(
        f"bundle of {args.docs:,} documents, {args.queries:,} queries: {total / 1e6:.1f} MB "
        + "("
        + ", ".join(f"{f.name} {f.stat().st_size / 1e6:.2f}" for f in files)
        + ")"
    )
    copies = []
    for i in range(args.repeats + 1):
        copy = work / f"copy{i}"
        shutil.copytree(saved, copy)
        copies.append(copy)
    started = time.perf_counter()
    load_bundle(copies[0])
    print(f"load_bundle, cold files: {time.perf_counter() - started:.2f}s")
    warm = open_overview(copies[0])
    print(f"warming open (imports included): {warm:.2f}s")
    times = [open_overview(copy) for copy in copies[1:]]
    print(
        f"open a saved comparison -> Overview drawn, warm server: median "
        f"{statistics.median(times):.2f}s, max {max(times):.2f}s over {len(times)} folders"
    )


if __name__ == "__main__":
    main()
