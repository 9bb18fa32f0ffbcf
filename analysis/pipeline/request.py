"""What a front end asks for: the inputs and every setting of one comparison.

:meth:`Request.config` is the one place settings become a :class:`CompareConfig`, and
:meth:`Request.chat_model` the one place the LLM options become a chat model, for the
command line and the dashboard alike. A bad value raises an :class:`InputError` that names
the command-line option.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.errors import InputError
from analysis.settings import DEFAULT_DRIFT_EXACT_MAX_DOCS, DEFAULT_DRIFT_MAX_DOCS, CompareConfig

if TYPE_CHECKING:
    from analysis.llm.chat import ChatModel


@dataclass(frozen=True)
class Request:
    """A comparison's inputs (corpus, two model specs, encoding) and settings.

    Model specs: ``default``, a model folder, a hub id, ``vectors:PATH``, or
    ``demo-candidate`` (the bundled demo's tuned model, built on first use).
    """

    corpus: str
    baseline: str
    candidate: str
    queries: str | None = None
    qrels: str | None = None
    answers: str | None = None
    split: str = "test"
    strict: bool = False  # corpus notices are errors
    cache_dir: Path | None = None  # None: $RECALL_HORIZON_CACHE or ~/.cache/recall-horizon
    batch_size: int = 64
    max_seq_length: int | None = None
    trust_remote_code: bool = False
    k: int = 10
    cutoff: float | None = None
    neighbours: int = 10
    drift_exact_max_docs: int = DEFAULT_DRIFT_EXACT_MAX_DOCS
    drift_max_docs: int = DEFAULT_DRIFT_MAX_DOCS
    rbo_p: float = 0.9
    projection: bool = False
    seed: int = 0
    keep_identical_ids: bool = False
    context_budget: int | None = None
    context_by: str = "top-k"
    context_tokenizer: str | None = None  # None: the baseline's; "characters"
    llm: str | None = None  # "default": the embedded model; None with llm_base_url: yours
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key_env: str | None = None  # the variable's name, never the key
    # a key as a value (a shared dashboard's visitor pasted it): never shown, never written
    llm_api_key: str | None = field(default=None, repr=False, compare=False)
    llm_queries: int | None = None
    max_llm_calls: int | None = None
    llm_concurrency: int = 4
    llm_timeout: float = 60.0
    llm_agreement_pairs: int = 40
    near_misses: str | None = None  # "rules", or a file of the user's own near misses
    query_log: str | None = None  # production questions (analysis.inputs.query_log)
    redact_queries: bool = False  # the bundle keeps a salted hash of each question, no text
    # documents' vectors left in embed --ray's shards: None (read into this process),
    # "local" (one shard in memory at a time) or "ray" (Ray tasks; ray_address: a cluster's)
    shards: str | None = None
    ray_address: str | None = None  # None: a local Ray cluster of ray_workers workers
    ray_workers: int = 2
    shard_work: Path | None = None  # where per-shard results are kept for a rerun to resume

    @property
    def chat_model(self) -> ChatModel | None:
        """The chat model the LLM options name (None: no LLM)."""
        settings = (self.llm, self.llm_base_url, self.llm_model, self.llm_api_key_env)
        if self.llm_api_key:  # a pasted key is kept in no cache, not even this process's
            return _chat_model.__wrapped__(*settings, self.llm_timeout, self.llm_api_key)
        return _chat_model(*settings, self.llm_timeout)

    def config(self) -> CompareConfig:
        """The comparison's settings, validated (a bad LLM option or a tokenizer that
        cannot load fails here, before any work)."""
        from analysis.context import measure_for
        from analysis.inputs.tokenizers import context_tokenizer

        model = self.chat_model
        config = CompareConfig(
            k=self.k,
            cutoff=self.cutoff,
            neighbours=self.neighbours,
            drift_exact_max_docs=self.drift_exact_max_docs,
            drift_max_docs=self.drift_max_docs,
            rbo_p=self.rbo_p,
            projection=self.projection,
            random_state=self.seed,
            exclude_identical_ids=not self.keep_identical_ids,
            context_budget=self.context_budget,
            context_by=self.context_by,
            context_tokenizer=context_tokenizer(
                self.context_tokenizer, baseline=self.baseline, budget=self.context_budget
            ),
            llm=model.identity if model is not None else None,
            llm_queries=self.llm_queries,
            llm_agreement_pairs=self.llm_agreement_pairs,
            near_misses=_near_miss_identity(self.near_misses),
        )
        measure_for(config.context_tokenizer)
        return config


def _near_miss_identity(choice: str | None) -> str | None:
    """What enters the comparison's settings: "rules", or the file's content digest."""
    if not choice or choice == "rules":
        return choice or None
    path = Path(choice)
    if not path.is_file():
        raise InputError(f"--near-misses {choice}: no such file (or give 'rules')")
    return "file:" + hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@lru_cache(maxsize=8)
def _chat_model(
    llm: str | None,
    base_url: str | None,
    model: str | None,
    api_key_env: str | None,
    timeout: float,
    api_key: str | None = None,
) -> ChatModel | None:
    """One chat model per setting, per process (the embedded one hashes its file once)."""
    from analysis.llm.resolve import chat_model

    if timeout <= 0:
        raise InputError(f"--llm-timeout must be a number of seconds above 0, got {timeout}")
    return chat_model(
        llm,
        base_url=base_url,
        model=model,
        api_key_env=api_key_env,
        api_key=api_key,
        timeout=timeout,
    )
