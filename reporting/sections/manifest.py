"""Manifest: what was compared, with what, how, and from which data bundle."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from analysis.bundle.files import Bundle, bundle_sha256
from reporting.sections.base import Block, Context, Section, Table


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    manifest = bundle.summary.manifest
    corpus = manifest.corpus
    rows: list[tuple[str, object]] = [
        ("report written", datetime.now(UTC).isoformat(timespec="seconds")),
        ("comparison run", manifest.created_at),
        ("data bundle sha256", bundle_sha256(bundle.folder) if bundle.folder else "–"),
        ("corpus", f"{corpus.name} ({corpus.source})"),
        ("corpus fingerprint", corpus.fingerprint),
        ("k", manifest.k),
        ("policy", context.policy_source),
    ]
    for side, model in (("baseline", manifest.baseline), ("candidate", manifest.candidate)):
        rows += [
            (f"{side} spec", model.spec),
            (f"{side} fingerprint", model.fingerprint),
            (f"{side} dimension", model.dimension),
        ]
    rows += [(f"setting: {k}", v) for k, v in sorted(manifest.config.items())]
    rows += [(f"version: {k}", v) for k, v in sorted(manifest.versions.items())]
    rows += [("corpus notice", n) for n in corpus.notices]
    frame = pd.DataFrame(rows, columns=["item", "value"]).astype({"value": str})
    return [Table("manifest", "", frame)]


SECTION = Section("manifest", "Manifest", ":material/info:", blocks, on_page=False)
