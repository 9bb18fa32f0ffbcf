"""Encoder backends side by side on this machine: documents per second for torch, ONNX
Runtime and OpenVINO, float32 and int8, on the same texts with the same batch size, and how
far each is from torch's vectors.

Usage: PYTHONPATH=. python benchmarks/backends.py [--long CORPUS_JSONL ...] [--long-docs 5000]
                                                  [--batch-size 64] [--model default]

Two text sets: the bundled demo corpus (400 short documents) and up to ``--long-docs``
documents of BEIR corpus.jsonl files (title and text, as the loader joins them; e.g. every
../shared/data/*/corpus.jsonl). Each backend encodes each set once after a warm-up
batch (the export and the session's start are not timed; the export's own time is
printed). Agreement with torch: the minimum and median cosine over every text, and the
mean top-10 agreement of retrieval for 100 documents used as queries against the set.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from analysis.inputs.backend_audit import top_agreement
from analysis.inputs.specs import resolve_source
from analysis.tuning.demo import SAMPLE_CORPUS

BACKENDS = ["torch", "onnx", "onnx-int8", "openvino", "openvino-int8"]


def demo_texts() -> list[str]:
    texts = []
    for path in sorted(SAMPLE_CORPUS.rglob("corpus.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts.append(" ".join(p for p in (row.get("title"), row.get("text")) if p))
    return texts


def long_texts(path: Path, n: int) -> list[str]:
    texts = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            texts.append(" ".join(p for p in (row.get("title"), row.get("text")) if p))
            if len(texts) == n:
                break
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--long", type=Path, nargs="*", default=[], help="BEIR corpus.jsonl files: longer texts"
    )
    parser.add_argument("--long-docs", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    sets = {"demo (400 short documents)": demo_texts()}
    if args.long:
        texts = [t for path in args.long for t in long_texts(path, args.long_docs)]
        texts = texts[: args.long_docs]
        words = np.mean([len(t.split()) for t in texts])
        names = "+".join(path.parent.name for path in args.long)
        sets[f"{names} ({len(texts):,} documents, {words:.0f} words on average)"] = texts
    exports = Path(tempfile.mkdtemp())
    sources = {}
    for backend in BACKENDS:
        spec = args.model if backend == "torch" else f"{args.model}@{backend}"
        source = resolve_source(spec, batch_size=args.batch_size, exports=exports)
        started = time.perf_counter()
        source.embed(["w"], ["warm up"], role="document")  # loads, exports, starts a session
        print(f"{backend:>14}: ready in {time.perf_counter() - started:5.1f} s (export included)")
        sources[backend] = source
    for name, texts in sets.items():
        print(f"\n{name}, batch size {args.batch_size}:")
        print(
            f"{'backend':>14}  {'docs/s':>8}  {'× torch':>7}  {'min cos':>8}  "
            f"{'median cos':>10}  {'top-10 agreement':>16}"
        )
        ids = [str(i) for i in range(len(texts))]
        vectors, rates = {}, {}
        for backend, source in sources.items():
            started = time.perf_counter()
            vectors[backend] = source.embed(ids, texts, role="document")
            rates[backend] = len(texts) / (time.perf_counter() - started)
        reference = vectors["torch"]
        probe = np.random.default_rng(0).choice(len(texts), min(100, len(texts)), replace=False)
        for backend, got in vectors.items():
            cos = np.sum(got * reference, axis=1) / (
                np.linalg.norm(got, axis=1) * np.linalg.norm(reference, axis=1)
            )
            agree = top_agreement(got[probe], got, reference[probe], reference)
            print(
                f"{backend:>14}  {rates[backend]:8.1f}  {rates[backend] / rates['torch']:7.2f}  "
                f"{cos.min():8.5f}  {np.median(cos):10.5f}  {agree:16.3f}"
            )


if __name__ == "__main__":
    main()
