"""Each side that runs in another backend than torch (ONNX Runtime, OpenVINO), audited
against the same model on torch before its numbers are used (``backend_audit``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from analysis.pipeline.request import Request
from analysis.progress import Progress

if TYPE_CHECKING:
    from analysis.inputs.cache import EmbeddingCache
    from analysis.inputs.corpus import Corpus
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.inputs.source import EmbeddingSource


def audited_sides(
    request: Request,
    corpus: Corpus,
    sides: tuple[CorpusEmbeddings, CorpusEmbeddings],
    cache: EmbeddingCache,
    progress: Progress,
    float_model: Callable[[str], EmbeddingSource],
) -> tuple[CorpusEmbeddings, CorpusEmbeddings]:
    """Each side that runs in another backend than torch, with its agreement audit against
    the same model on torch (``backend_audit``); ``float_model(spec)``: that model's source."""
    from dataclasses import replace

    from analysis.inputs.backend_audit import audit_backend
    from analysis.inputs.backends import SUFFIX

    out = []
    for spec, side in zip((request.baseline, request.candidate), sides, strict=True):
        found = SUFFIX.match(spec)
        if found is None or found["runtime"] == "torch":
            out.append(side)
            continue
        reference = float_model(found["spec"])
        backend = spec.rsplit("@", 1)[1]
        with progress.stage(f"auditing {backend} against the float model"):
            audit = audit_backend(corpus, side, reference, backend, cache, progress=progress)
        progress.note(audit.sentence(spec))
        out.append(replace(side, backend_audit=audit.to_json()))
    return out[0], out[1]
