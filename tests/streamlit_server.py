"""A dashboard server on a free loopback port for the browser tests and the browser
benchmark: started in the repository, stopped when the block ends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(
    cache: str,
    *args: str,
    log: Path | None = None,
    root: Path = ROOT,
    env: dict[str, str] | None = None,
    options: tuple[str, ...] = (),
) -> Iterator[str]:
    """``streamlit run dashboard/app.py [OPTIONS] [-- ARGS]`` in the checkout ``root`` with
    ``cache`` as the tool's cache, the hub offline and ``env`` added to the environment;
    yields its URL once the port answers. Output goes to ``log`` (or nowhere)."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RECALL_HORIZON_CACHE": cache, **(env or {})}
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    command += ["--server.headless", "true", *options, *(["--", *args] if args else [])]
    out = log.open("w") if log is not None else subprocess.DEVNULL
    try:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]  # the child keeps its own handle
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
