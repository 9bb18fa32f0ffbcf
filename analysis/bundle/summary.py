"""summary.json: the manifest (what was compared, with what) and the numbers per domain.

Built by a loop over the comparison's metric families (each writes its own keys, see
``analysis.metrics.family``) and read back through :class:`Summary`, whose typed accessors
every presenter uses. Floats are rounded to 6 decimals and keys sorted, so the same inputs
give byte-identical files apart from ``manifest.created_at``.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from typing import Any, Protocol, Self, TypeVar

from analysis import __version__
from analysis.compare import Comparison
from analysis.errors import InputError
from analysis.inputs.embed import CorpusEmbeddings
from analysis.metrics.grouping import OVERALL

_LIBRARIES = (
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "faiss-cpu",
    "scikit-learn",
    "torch",
    "transformers",
    "sentence-transformers",
    "umap-learn",
)


class _Readable(Protocol):
    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> Self | None: ...


F = TypeVar("F", bound=_Readable)


def library_versions() -> dict[str, str]:
    """The versions the manifest records (a copy: the lookup is done once per process)."""
    return dict(_library_versions())


@cache
def _library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "recall-horizon": __version__}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def build_summary(comparison: Comparison, *, corpus_source: str) -> dict[str, Any]:
    """The summary of a comparison as the JSON-ready dict that summary.json holds."""
    corpus = comparison.corpus
    names = list(corpus.domains)
    sections: dict[str, dict[str, Any]] = {
        name: {
            "n_docs": _count(corpus.doc_domains, name),
            "n_queries": _count(corpus.query_domains, name),
        }
        for name in [*names, OVERALL]
    }
    top: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    for family in comparison.families:
        result = comparison.results.get(family.name)
        if result is None:
            top.update(family.absent_summary)
            settings.update(family.absent_manifest)
            continue
        for name, figures in result.by_domain(names).items():
            sections[name].update(figures.to_json())
        top.update(result.summary_entries())
        settings.update(result.manifest_entries())
    return _clean(
        {
            "manifest": _manifest(comparison, corpus_source, settings),
            **top,
            "overall": sections[OVERALL],
            "domains": {name: sections[name] for name in names},
        }
    )


def _manifest(
    comparison: Comparison, corpus_source: str, family_settings: dict[str, Any]
) -> dict[str, Any]:
    corpus, config = comparison.corpus, comparison.config
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "fingerprint": comparison.fingerprint,
        "corpus": {
            "source": corpus_source,
            "name": corpus.name,
            "fingerprint": corpus.fingerprint,
            "n_docs": corpus.n_docs,
            "n_queries": corpus.n_queries,
            "n_judgments": corpus.n_judgments(),
            "notices": list(corpus.notices),
            **({"queries_from": dict(corpus.query_source)} if corpus.query_source else {}),
        },
        "models": {
            "baseline": _model_entry(comparison.baseline),
            "candidate": _model_entry(comparison.candidate),
        },
        "k": config.k,
        "config": {
            "neighbours": config.neighbours,
            "drift_exact_max_docs": config.drift_exact_max_docs,
            "rbo_p": config.rbo_p,
            "exclude_identical_ids": config.exclude_identical_ids,
            "random_state": config.random_state,
            "bootstrap_resamples": config.bootstrap_resamples,
            "permutation_resamples": config.permutation_resamples,
            **family_settings,
        },
        "versions": library_versions(),
    }


def _model_entry(side: CorpusEmbeddings) -> dict[str, Any]:
    entry = {"spec": side.spec, "fingerprint": side.fingerprint, "dimension": side.dimension}
    if side.backend_audit is not None:
        entry["backend_audit"] = dict(side.backend_audit)
    return entry


def _count(labels: tuple[str, ...], name: str) -> int:
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


def summary_text(summary: Mapping[str, Any]) -> str:
    """summary.json's exact text: sorted keys, two-space indent, final newline."""
    return json.dumps(summary, indent=2, sort_keys=True) + "\n"


# Reading ---------------------------------------------------------------------------------


def _not_numbers(value: Any, where: str) -> str | None:
    """The first place in a domain section that is not a number (sections hold only numbers,
    nulls and booleans, nested in objects), or None."""
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _not_numbers(item, f"{where}.{key}")
            if problem:
                return problem
        return None
    if value is None or isinstance(value, bool | int | float):
        return None
    kind = "a list" if isinstance(value, list) else f"{type(value).__name__} {value!r}"
    if where.count(".") <= 1 and not isinstance(value, dict):
        return f"{where} is {kind}, expected an object of numbers"
    return f"{where} is {kind}, expected a number"


@dataclass(frozen=True)
class ModelEntry:
    spec: str
    fingerprint: str
    dimension: int
    # a model run in another backend: its agreement with the float model (backend_audit)
    backend_audit: dict[str, Any] | None = None


@dataclass(frozen=True)
class CorpusEntry:
    source: str
    name: str
    fingerprint: str
    n_docs: int
    n_queries: int
    n_judgments: int
    notices: tuple[str, ...]
    # a query log's record: the file, its rows and asks, how domains were inferred
    queries_from: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """What was compared, with what and how (``manifest`` in summary.json)."""

    created_at: str
    corpus: CorpusEntry
    baseline: ModelEntry
    candidate: ModelEntry
    k: int
    config: dict[str, Any]
    versions: dict[str, str]
    fingerprint: str = ""  # the comparison's (absent from summaries written before it)
    tables: tuple[str, ...] | None = None  # the tables written with it (None: not recorded)

    @classmethod
    def from_json(cls, manifest: Mapping[str, Any]) -> Manifest:
        corpus, models = manifest["corpus"], manifest["models"]
        k = manifest["k"]
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise TypeError(f"'k' = {k!r}")
        for side in ("baseline", "candidate"):
            if not isinstance(models[side].get("spec"), str):
                raise TypeError(f"'models.{side}.spec'")
        return cls(
            created_at=manifest.get("created_at", ""),
            corpus=CorpusEntry(
                corpus.get("source", ""),
                corpus["name"],
                corpus["fingerprint"],
                corpus["n_docs"],
                corpus["n_queries"],
                corpus.get("n_judgments", 0),
                tuple(corpus.get("notices", ())),
                dict(corpus.get("queries_from") or {}),
            ),
            baseline=ModelEntry(**models["baseline"]),
            candidate=ModelEntry(**models["candidate"]),
            k=manifest["k"],
            config=dict(manifest.get("config", {})),
            versions=dict(manifest.get("versions", {})),
            fingerprint=str(manifest.get("fingerprint", "")),
            tables=tuple(manifest["tables"]) if "tables" in manifest else None,
        )


@dataclass(frozen=True)
class DomainSection:
    """One domain's numbers (or the overall ones); each family's read with ``get``."""

    name: str
    raw: Mapping[str, Any]

    @property
    def n_docs(self) -> int:
        return int(self.raw.get("n_docs") or 0)

    @property
    def n_queries(self) -> int:
        return int(self.raw.get("n_queries") or 0)

    def get(self, kind: type[F]) -> F | None:
        """One family's figures for this domain, e.g. ``section.get(OverlapFigures)``."""
        return kind.from_json(self.raw)


@dataclass(frozen=True)
class Summary:
    """summary.json, read through typed accessors (``raw`` is the exact JSON value)."""

    raw: dict[str, Any]

    @classmethod
    def from_json(cls, raw: Any, *, source: str = "summary.json") -> Summary:
        """Check the shape of a summary read from a file; a foreign file is an InputError."""
        if not isinstance(raw, dict):
            raise InputError(f"{source}: not a Recall Horizon summary (not a JSON object)")
        missing = [key for key in ("manifest", "overall", "domains") if key not in raw]
        if missing or not isinstance(raw.get("domains"), dict):
            raise InputError(
                f"{source}: not a Recall Horizon summary (missing {', '.join(missing)})"
            )
        summary = cls(raw)
        try:
            summary.manifest  # noqa: B018 - validates the manifest's shape once
        except (KeyError, TypeError, AttributeError) as err:
            raise InputError(
                f"{source}: its manifest is not a Recall Horizon manifest (bad or missing {err})"
            ) from None
        sections = {
            "overall": raw["overall"],
            **{f"domains.{name}": value for name, value in raw["domains"].items()},
        }
        for where, section in sections.items():
            problem = _not_numbers(section, where)
            if problem:
                raise InputError(f"{source}: {problem}")
        return summary

    @property
    def manifest(self) -> Manifest:
        return Manifest.from_json(self.raw["manifest"])

    @property
    def fingerprint(self) -> str:
        """The comparison's fingerprint; for a summary written before fingerprints existed,
        16 hex digits of the sha256 of its own text (stable for that file)."""
        recorded = self.manifest.fingerprint
        if recorded:
            return recorded
        return hashlib.sha256(summary_text(self.raw).encode("utf-8")).hexdigest()[:16]

    @property
    def domain_names(self) -> list[str]:
        return sorted(self.raw["domains"])

    @property
    def domains(self) -> dict[str, DomainSection]:
        """Every domain's section, in name order."""
        return {name: DomainSection(name, self.raw["domains"][name]) for name in self.domain_names}

    @property
    def overall(self) -> DomainSection:
        return DomainSection(OVERALL, self.raw["overall"])

    def get(self, kind: type[F]) -> F | None:
        """A top-level entry, e.g. ``summary.get(CutoffSettings)``."""
        return kind.from_json(self.raw)

    def text(self) -> str:
        return summary_text(self.raw)
