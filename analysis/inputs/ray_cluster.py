"""Joining a Ray cluster, or starting a local one, the one way every Ray user here does:
a bounded check that the address answers, a local cluster held to 127.0.0.1, Ray's own
logging quiet, and a clear InputError when Ray cannot start or join."""

from __future__ import annotations

import logging
import os
import socket
import sys
from typing import Any

from analysis.errors import InputError


def start_ray(address: str | None, *, local_cpus: int | None = None) -> Any:
    """Ray, initialised: at ``address`` (checked to answer first), or a local cluster of
    ``local_cpus`` listening on 127.0.0.1 only."""
    if address:
        check_reachable(address)
    elif "ray" not in sys.modules:
        # Ray 2.60 replaces _node_ip_address="127.0.0.1" by the machine's address; where
        # clusters are off it takes the loopback as the node's address (read at import)
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    try:
        ray.init(
            address=address,
            num_cpus=None if address else local_cpus,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.ERROR,  # the callers' per-shard lines are the progress
            ignore_reinit_error=True,
        )
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise InputError(f"--ray {address or ''}: cannot start or join Ray ({err})") from None
    return ray


def check_reachable(address: str, timeout: float = 10.0) -> None:
    """Fail fast on an address nothing answers at (Ray itself retries for minutes)."""
    host_port = address.removeprefix("ray://")
    if host_port == "auto" or ":" not in host_port:
        return  # Ray finds the local cluster itself, and says so when there is none
    host, _, port = host_port.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except (OSError, ValueError) as err:
        raise InputError(
            f"--ray {address}: nothing answers there ({err}); give the cluster's address as "
            "host:port (the head's GCS port, 6379) or ray://host:10001 (the Ray client)"
        ) from None
