"""The data bundle: summary.json plus the Parquet tables of one comparison.

The one contract between the engine and every presenter (dashboard, report, gate,
terminal table). It is made from a comparison, written and read here and nowhere else,
and loads from a folder without models or corpus.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.bundle.out import REMEDIES_FILE, SUMMARY_FILE, replacing
from analysis.bundle.summary import Summary, build_summary, summary_text
from analysis.bundle.trec import write_trec_qrels, write_trec_run
from analysis.compare import Comparison
from analysis.errors import InputError
from analysis.metrics.answers import KINDS
from analysis.metrics.llm_judge import JudgeAgreement
from analysis.metrics.thresholds import CutoffSettings
from analysis.retrieval import Ranking


@dataclass(frozen=True)
class Bundle:
    """A comparison's summary and tables (``folder``: where it was read from, if anywhere)."""

    summary: Summary
    tables: Mapping[str, pd.DataFrame]
    folder: Path | None = field(default=None, compare=False)
    # records written beside the comparison, by file stem ("remedies": remedies.json)
    extras: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    @property
    def queries(self) -> pd.DataFrame | None:
        """One row per query: every family's per-query columns."""
        return self.table("queries")

    @property
    def documents(self) -> pd.DataFrame | None:
        """One row per document: every family's per-document columns."""
        return self.table("documents")

    @property
    def changes(self) -> pd.DataFrame | None:
        """One row per (query, document) in either top-k."""
        return self.table("changes")

    @property
    def threshold_pairs(self) -> pd.DataFrame | None:
        return self.table("threshold_pairs")

    @property
    def horizon_curve(self) -> pd.DataFrame | None:
        return self.table("horizon_curve")

    @property
    def geometry(self) -> pd.DataFrame | None:
        return self.table("geometry")

    @property
    def projection(self) -> pd.DataFrame | None:
        return self.table("projection")


def make_bundle(comparison: Comparison, *, corpus_source: str) -> Bundle:
    """The bundle of a comparison, in memory (exactly what ``write_comparison`` writes)."""
    raw = build_summary(comparison, corpus_source=corpus_source)
    tables = bundle_tables(comparison)
    raw["manifest"]["tables"] = sorted(tables)  # what a reader can check the folder against
    return Bundle(Summary(raw), tables)


def bundle_tables(comparison: Comparison) -> dict[str, pd.DataFrame]:
    """``queries`` and ``documents`` (keys, then each family's columns in family order) and
    every family's own tables, by file name."""
    corpus = comparison.corpus
    keys: dict[str, tuple[str, ...] | tuple[int, ...]] = {
        "query_id": corpus.query_ids,
        "domain": corpus.query_domains,
    }
    if corpus.query_weights:  # a query log: how often each question was asked
        keys["asks"] = corpus.query_weights
    query_parts = [pd.DataFrame(keys)]
    doc_parts = [pd.DataFrame({"doc_id": corpus.doc_ids, "domain": corpus.doc_domains})]
    own: dict[str, pd.DataFrame] = {}
    for family in comparison.families:
        result = comparison.results.get(family.name)
        if result is None:
            continue
        for parts, columns in (
            (query_parts, result.query_columns()),
            (doc_parts, result.document_columns()),
        ):
            if columns is not None:
                parts.append(columns.reset_index(drop=True))
        own.update(result.tables())
    return {
        "queries": pd.concat(query_parts, axis=1),
        "documents": pd.concat(doc_parts, axis=1),
        **own,
    }


def write_comparison(
    comparison: Comparison, out: Path, *, corpus_source: str, bundle: Bundle | None = None
) -> Bundle:
    """Write the TREC runs, the qrels and the bundle (``bundle``, when it is already made)
    as ``out``; return the bundle.

    ``out`` is replaced whole (see ``analysis.bundle.out``): an earlier output's files never
    survive into this one, and a folder that is not ours is refused.
    """
    with replacing(out) as staging:
        bundle = write_comparison_into(
            comparison, staging, corpus_source=corpus_source, bundle=bundle
        )
    return Bundle(bundle.summary, bundle.tables, out, bundle.extras)


def write_comparison_into(
    comparison: Comparison, out: Path, *, corpus_source: str, bundle: Bundle | None = None
) -> Bundle:
    """Write the TREC runs, the qrels and the bundle into ``out`` as it is (a folder being
    staged: ``write_comparison`` replaces an output whole)."""
    corpus = comparison.corpus
    k = comparison.config.k
    for label, ranking in (
        ("baseline", comparison.baseline_ranking),
        ("candidate", comparison.candidate_ranking),
    ):
        top_k = Ranking(ranking.indices[:, :k], ranking.scores[:, :k])
        write_trec_run(
            out / "runs" / f"{label}.trec", top_k, corpus.query_ids, corpus.doc_ids, tag=label
        )
    if corpus.qrels:
        write_trec_qrels(out / "qrels.trec", corpus.qrels)
    bundle = bundle or make_bundle(comparison, corpus_source=corpus_source)
    write_bundle(bundle, out)
    return bundle


def write_bundle(bundle: Bundle, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in bundle.tables.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    (out / SUMMARY_FILE).write_text(summary_text(bundle.summary.raw), encoding="utf-8")
    for name, record in bundle.extras.items():  # remedies.json: beside the tables it judges
        text = json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (out / f"{name}.json").write_text(text, encoding="utf-8")


def bundle_files(folder: Path) -> list[Path]:
    """summary.json, remedies.json where remedies were evaluated, and every Parquet table of
    a comparison, in name order."""
    extras = [folder / REMEDIES_FILE] if (folder / REMEDIES_FILE).is_file() else []
    return [folder / SUMMARY_FILE, *extras, *sorted(folder.glob("*.parquet"))]


def bundle_sha256(folder: Path) -> str:
    """sha256 over the bundle's file names and contents, in a fixed order."""
    digest = hashlib.sha256()
    for path in bundle_files(folder):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load_summary(folder: Path) -> Summary:
    """A folder's summary.json, checked to be ours (a clear InputError otherwise)."""
    path = folder / SUMMARY_FILE
    if not path.is_file():
        raise InputError(f"{folder}: no {SUMMARY_FILE} (not a compare --out folder)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read ({err})") from None
    return Summary.from_json(raw, source=str(path))


def load_bundle(folder: Path) -> Bundle:
    """A bundle from a folder: no model and no corpus needed; a missing table is an error."""
    summary = load_summary(folder)
    files = [f"{name}.parquet" for name in expected_tables(summary)]
    missing = [name for name in files if not (folder / name).is_file()]
    if missing:
        raise InputError(
            f"{folder}: the data bundle is incomplete: {', '.join(missing)} missing "
            "(its summary.json says the comparison wrote them)"
        )
    try:
        found = bundle_files(folder)
        tables = {p.stem: pd.read_parquet(p) for p in found if p.suffix == ".parquet"}
        extras = {p.stem: json.loads(p.read_text("utf-8")) for p in found if p.suffix == ".json"}
        extras.pop("summary", None)
    except (OSError, ValueError) as err:
        raise InputError(f"{folder}: cannot read the data bundle ({err})") from None
    return Bundle(summary, tables, folder, extras)


def expected_tables(summary: Summary) -> list[str]:
    """The tables a comparison with this summary writes (as its manifest lists them; worked
    out from its sections for summaries written before the manifest listed them)."""
    if summary.manifest.tables is not None:
        return list(summary.manifest.tables)
    names = ["queries", "documents", "changes", "geometry"]
    if summary.get(CutoffSettings) is not None:
        names += ["threshold_pairs", "horizon_curve"]
    if summary.manifest.config.get("projection"):
        names.append("projection")
    for kind in KINDS:
        if summary.overall.get(kind.figures) is not None:
            names += kind.tables()
    if summary.get(JudgeAgreement) is not None:
        names += ["llm_judgments", "llm_agreement", "llm_contexts"]
    return names


def bundle_contents(folder: Path) -> dict[str, bytes]:
    """Every file of an output folder by its path in the folder, ``summary.json`` without
    the manifest's creation time: what two runs of the same comparison share byte for byte."""
    files = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name == SUMMARY_FILE:
            summary = json.loads(data)
            summary.get("manifest", {}).pop("created_at", None)
            data = json.dumps(summary, sort_keys=True).encode()
        files[str(path.relative_to(folder))] = data
    return files
