"""summary.json: the manifest (what was compared, with what) and the numbers per domain.

Keys under ``overall`` and ``domains.<name>`` are documented in README.md ("What the
numbers mean"). Floats are rounded to 6 decimals and keys sorted, so the same inputs
give byte-identical files apart from ``manifest.created_at``.
"""

from __future__ import annotations

import json
import math
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from analysis import __version__
from analysis.compare import Comparison
from analysis.inputs.embed import CorpusEmbeddings
from analysis.metrics.grouping import OVERALL

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
    domains = comparison.corpus.domains
    sections = _domain_sections(comparison)
    return _clean(
        {
            "manifest": _manifest(comparison, corpus_source),
            "thresholds": _threshold_settings(comparison),
            "centroid_similarity": {
                "domains": list(comparison.geometry.domains),
                "baseline": comparison.geometry.centroid_similarity_baseline.tolist(),
                "candidate": comparison.geometry.centroid_similarity_candidate.tolist(),
            },
            "overall": sections[OVERALL],
            "domains": {name: sections[name] for name in domains},
        }
    )


def _manifest(comparison: Comparison, corpus_source: str) -> dict[str, Any]:
    corpus, config = comparison.corpus, comparison.config
    return {
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
        "k": config.k,
        "config": {
            "neighbours": config.neighbours,
            "rbo_p": config.rbo_p,
            "exclude_identical_ids": config.exclude_identical_ids,
            "random_state": config.random_state,
            "bootstrap_resamples": config.bootstrap_resamples,
            "permutation_resamples": config.permutation_resamples,
            "drift_docs_analysed": len(comparison.drift.positions),
            "drift_sampled": comparison.drift.sampled,
            "projection": comparison.projection is not None,
        },
        "versions": library_versions(),
    }


def _model_entry(side: CorpusEmbeddings) -> dict[str, Any]:
    return {"spec": side.spec, "fingerprint": side.fingerprint, "dimension": side.dimension}


def _threshold_settings(comparison: Comparison) -> dict[str, Any]:
    result = comparison.thresholds
    if result is None:
        return {"note": "no queries: threshold exclusions need queries"}
    return {
        "cutoff": result.cutoff,
        "cutoff_source": "user"
        if comparison.config.cutoff is not None
        else f"median over queries of the baseline's {comparison.config.k}-th best score",
        "calibrated_candidate_cutoff": result.calibrated_cutoff,
    }


def _domain_sections(comparison: Comparison) -> dict[str, dict[str, Any]]:
    corpus = comparison.corpus
    names = list(corpus.domains)
    overlap = comparison.overlap.by_domain(names, random_state=comparison.config.random_state)
    drift = comparison.drift.by_domain(names)
    reach = comparison.reach.by_domain(names)
    changed = comparison.changed.changed_count_by_domain(names)
    excluded = (
        comparison.thresholds.by_domain(corpus.doc_domains, names) if comparison.thresholds else {}
    )
    quality = (
        comparison.quality.by_domain(
            names,
            n_resamples=comparison.config.permutation_resamples,
            random_state=comparison.config.random_state,
        )
        if comparison.quality
        else {}
    )
    geometry = comparison.geometry
    ratios = geometry.ratios()
    sections = {}
    for name in [*names, OVERALL]:
        section: dict[str, Any] = {
            "n_docs": _count(corpus.doc_domains, name),
            "n_queries": _count(corpus.query_domains, name),
            "overlap_jaccard": overlap[name]["jaccard"].mean,
            "overlap_at_k": overlap[name]["overlap_at_k"].mean,
            "rbo": overlap[name]["rbo"].mean,
            "overlap_ci": {m: e.as_dict() for m, e in overlap[name].items()},
            "neighbourhood_jaccard": drift[name]["mean"],
            "drift": drift[name],
            "changed_queries": changed[name],
            **reach[name],
            **excluded.get(name, {}),
        }
        if name in geometry.baseline:
            section["geometry"] = {
                "baseline": geometry.baseline[name],
                "candidate": geometry.candidate[name],
                "ratio": ratios[name],
            }
        if quality.get(name, {}).get("n_judged_queries"):
            section["quality"] = quality[name]
        sections[name] = section
    return sections


def _count(labels, name: str) -> int:
    return len(labels) if name == OVERALL else sum(1 for label in labels if label == name)


def _clean(value: Any) -> Any:
    """JSON-safe: floats rounded to 6 decimals, nan/inf -> None, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
