"""The tokenizer of a model spec, for counting a context budget in tokens.

Only the tokenizer is read (``tokenizer.json``, or the slow tokenizer's files converted by
``transformers``), never the weights, so counting tokens costs no model load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.errors import InputError
from analysis.inputs.specs import VECTORS_PREFIX, model_folder

CHARACTERS = "characters"


def context_tokenizer(choice: str | None, *, baseline: str, budget: int | None) -> str | None:
    """The model spec whose tokenizer counts the context budget (None: characters).

    The user's ``choice`` wins ('characters' counts characters); otherwise the baseline
    model's tokenizer, or characters when the baseline is precomputed vectors. Without a
    budget nothing is counted, so nothing is loaded.

    >>> context_tokenizer(None, baseline="default", budget=512)
    'default'
    >>> context_tokenizer(None, baseline="vectors:base.parquet", budget=512) is None
    True
    >>> context_tokenizer("characters", baseline="default", budget=512) is None
    True
    """
    if budget is None:
        return None
    choice = (choice or "").strip()
    if choice == CHARACTERS:
        return None
    if choice:
        return choice
    return None if baseline.strip().startswith(VECTORS_PREFIX) else baseline.strip()


def load_tokenizer(spec: str) -> Any:
    """A ``tokenizers.Tokenizer`` for the model ``spec`` names (a folder, a hub id, ``default``)."""
    if spec.startswith(VECTORS_PREFIX):
        raise InputError(
            f"--context-tokenizer {spec}: precomputed vectors have no tokenizer; name a model "
            f"(its folder or hub id) or use --context-tokenizer {CHARACTERS}"
        )
    local = Path(spec).expanduser()
    if local.is_file() and local.name == "tokenizer.json":
        return _from_folder(spec, local.parent)
    if local.is_dir() and (local / "tokenizer.json").is_file():
        return _from_folder(spec, local)  # a tokenizer folder needs no model config
    return _from_folder(spec, model_folder(spec))


def _from_folder(spec: str, folder: Path) -> Any:
    from tokenizers import Tokenizer

    if (folder / "tokenizer.json").is_file():
        try:
            return Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as err:
            raise InputError(
                f"{folder / 'tokenizer.json'}: not a readable tokenizer: {err}"
            ) from None
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(
            str(folder), use_fast=True, local_files_only=True, trust_remote_code=False
        )
    except Exception as err:
        raise InputError(
            f"--context-tokenizer {spec}: cannot load a tokenizer from {folder}: {err}"
        ) from None
    if not getattr(tokenizer, "is_fast", False):
        raise InputError(
            f"--context-tokenizer {spec}: {folder} has no fast tokenizer, so token offsets are "
            f"unknown; use --context-tokenizer {CHARACTERS}"
        )
    return tokenizer.backend_tokenizer
