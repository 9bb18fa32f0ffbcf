"""summary.json: the manifest (what was compared, with what) and the numbers per domain."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from analysis import __version__
from analysis.compare import Comparison
from analysis.embed import CorpusEmbeddings

_LIBRARIES = (
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "torch",
    "transformers",
    "sentence-transformers",
    "umap-learn",
)


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "recall-horizon": __version__}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def build_summary(comparison: Comparison, *, corpus_source: str) -> dict[str, Any]:
    corpus = comparison.corpus
    return {
        "manifest": {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "corpus": {
                "source": corpus_source,
                "name": corpus.name,
                "fingerprint": corpus.fingerprint,
                "n_docs": corpus.n_docs,
                "n_queries": corpus.n_queries,
                "n_judgments": corpus.n_judgments(),
                "notices": list(corpus.notices),
            },
            "models": {
                "baseline": _model_entry(comparison.baseline),
                "candidate": _model_entry(comparison.candidate),
            },
            "k": comparison.config.k,
            "exclude_identical_ids": comparison.config.exclude_identical_ids,
            "versions": library_versions(),
        },
        "overall": _counts(comparison, None),
        "domains": {d: _counts(comparison, d) for d in corpus.domains},
    }


def _model_entry(side: CorpusEmbeddings) -> dict[str, Any]:
    return {"spec": side.spec, "fingerprint": side.fingerprint, "dimension": side.dimension}


def _counts(comparison: Comparison, domain: str | None) -> dict[str, Any]:
    corpus = comparison.corpus
    in_domain = (lambda d: True) if domain is None else (lambda d: d == domain)
    query_domains = corpus.query_domains
    return {
        "n_docs": sum(1 for d in corpus.doc_domains if in_domain(d)),
        "n_queries": sum(1 for d in query_domains if in_domain(d)),
        "n_judged_queries": sum(
            1
            for q, d in zip(corpus.query_ids, query_domains, strict=True)
            if in_domain(d) and corpus.qrels.get(q)
        ),
    }


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Stable JSON (sorted keys), so identical inputs give identical files but the timestamp."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
