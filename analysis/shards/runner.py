"""Running one pass over every document shard: here, one shard in memory at a time, or as
Ray tasks (one per shard, on whichever worker is free); either way each shard's result is
written to a work folder whole or not at all, so a rerun after a lost worker or an
interrupted run computes only the shards whose results are missing.

A result is named by a digest of the pass, the shard (its file, size and modification
time) and the pass's arguments; it holds arrays only (``numpy.savez``, read back without
pickle). Only those per-shard results travel between processes: no task returns a
shard's vectors, and the driver loads none.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import InputError
from analysis.inputs.ray_cluster import start_ray
from analysis.shards.layout import MemoryShard, Shard
from analysis.shards.passes import PASSES

Report = Callable[[str], None]


def run_pass(
    name: str, shard: Shard, arguments: dict[str, Any], work: str | None, digest: str
) -> tuple[dict[str, np.ndarray], bool]:
    """One pass on one shard, and whether it was computed: its result read from ``work``
    if an earlier run wrote it whole, else computed (the shard loaded, then dropped) and
    written there atomically; ``digest``: the arguments' (``arguments_digest``)."""
    path = result_path(Path(work), name, shard, digest) if work else None
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as stored:
                return {key: stored[key] for key in stored.files}, False
        except (OSError, ValueError):
            path.unlink(missing_ok=True)  # a damaged result is computed again
    result = PASSES[name](shard, **arguments)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(partial, **result)  # type: ignore[arg-type]  # numpy's stubs
        os.replace(partial, path)  # whole or not at all
    return result, True


def _remote_pass(
    name: str, shard: Shard, work: str, digest: str, keys: list[str], *values: Any
) -> dict[str, np.ndarray]:
    """``run_pass`` in a Ray task: the arguments' values come as top-level arguments, so
    Ray hands the task the arrays its object references stand for."""
    return run_pass(name, shard, dict(zip(keys, values, strict=True)), work, digest)[0]


class InProcess:
    """The passes over matrices already in this process, as shards in memory: how a
    comparison in one process does the same arithmetic as one over shards."""

    def __init__(self, shards: Sequence[MemoryShard]) -> None:
        self.shards = list(shards)

    def __call__(self, name: str, arguments: dict[str, Any]) -> list[dict[str, np.ndarray]]:
        return [PASSES[name](shard, **arguments) for shard in self.shards]


class LocalShards:
    """The passes on this machine, one shard in memory at a time (vectors that do not fit
    in memory are compared from disk)."""

    def __init__(
        self,
        shards: Sequence[Shard],
        *,
        work: Path | None = None,
        report: Report | None = None,
    ) -> None:
        self.shards, self.work, self.report = list(shards), work, report
        self.computed: list[tuple[str, int]] = []  # (pass, shard) computed, not read back

    def __call__(self, name: str, arguments: dict[str, Any]) -> list[dict[str, np.ndarray]]:
        digest, work = arguments_digest(arguments), self.work
        out = []
        for shard in self.shards:
            result, computed = run_pass(name, shard, arguments, str(work) if work else None, digest)
            out.append(result)
            if computed:
                self.computed.append((name, shard.number))
            if self.report:
                self.report(f"{name}: shard {shard.number + 1} of {len(self.shards)}")
        return out


class RayShards:
    """The passes as Ray tasks, one per shard: a cluster at ``address``, or a local one of
    ``workers`` processes (listening on 127.0.0.1 only). Workers read the shards and write
    results where the driver can read them (``work``: a shared folder on a cluster)."""

    def __init__(
        self,
        shards: Sequence[Shard],
        work: Path,
        *,
        address: str | None = None,
        workers: int = 2,
        report: Report | None = None,
    ) -> None:
        self.shards, self.work, self.report = list(shards), work, report
        ray = start_ray(address, local_cpus=workers)  # before anything is written
        work.mkdir(parents=True, exist_ok=True)
        self._task = ray.remote(num_cpus=1, max_retries=2)(_remote_pass)
        self.node_address = str(ray.nodes()[0]["NodeManagerAddress"])

    def __call__(self, name: str, arguments: dict[str, Any]) -> list[dict[str, np.ndarray]]:
        import ray
        from ray.exceptions import RayError

        digest, keys = arguments_digest(arguments), sorted(arguments)
        values = [ray.put(arguments[key]) for key in keys]  # once, not once per task
        pending = {
            self._task.remote(name, shard, str(self.work), digest, keys, *values): shard.number
            for shard in self.shards
        }
        results: dict[int, dict[str, np.ndarray]] = {}
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                number = pending.pop(done[0])
                results[number] = ray.get(done[0])
                if self.report:
                    self.report(f"{name}: shard {number + 1} of {len(self.shards)} done")
        except RayError as err:
            cause = getattr(err, "cause", None)  # a task's own exception, when it raised one
            said = str(cause if cause is not None else err).strip()
            first = said.splitlines()[0] if said else type(err).__name__
            raise InputError(
                f"a shard's {name} pass failed on Ray ({first}); the shards finished are kept "
                f"in {self.work}, and rerunning resumes after them"
            ) from None
        return [results[shard.number] for shard in self.shards]

    def close(self) -> None:
        import ray

        ray.shutdown()


def result_path(work: Path, name: str, shard: Shard, digest: str) -> Path:
    """Where a shard's result of a pass with these arguments is written: named by the
    pass, the shard (its files, sizes and modification times) and the arguments' digest."""
    which = hashlib.sha256(f"{shard.identity()}|{digest}".encode())
    return work / f"{name}-{shard.number:05d}-{which.hexdigest()[:16]}.npz"


def arguments_digest(arguments: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    for key in sorted(arguments):
        value = arguments[key]
        digest.update(key.encode())
        if isinstance(value, np.ndarray):
            digest.update(str(value.dtype).encode() + str(value.shape).encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        else:
            digest.update(repr(value).encode())
    return digest.hexdigest()
