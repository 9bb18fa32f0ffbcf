"""Runs the dashboard can start by itself: a saved comparison recomputed from its corpus
and models when both are on this server, and the bundled demo."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analysis.errors import InputError
from analysis.tuning.demo import DEMO_CANDIDATE, SAMPLE_CORPUS, demo_candidate_folder
from dashboard import shared, state
from dashboard.shown import Shown


def recompute_spec(shown: Shown) -> tuple[state.RunSpec | None, str]:
    """For a saved comparison: the run that recomputes it from its corpus and models when
    both are on this server, and a sentence saying so (or what is missing)."""
    if shown.spec is not None:
        return shown.spec, "This comparison was computed on this server."
    manifest = shown.bundle.summary.manifest
    mode = shared.current()
    if mode is not None:  # a saved bundle (an upload, too) names paths: checked, not probed
        try:
            mode.check_path(manifest.corpus.source or "", "Its corpus")
            for label, side in (("baseline", manifest.baseline), ("candidate", manifest.candidate)):
                mode.check_model(side.spec, f"Its {label}")
        except InputError as err:
            return None, f"Recomputing is not possible here: {err}."
    missing = []
    if not manifest.corpus.source or not Path(manifest.corpus.source).exists():
        missing.append(f"the corpus `{manifest.corpus.source or '(not recorded)'}`")
    for side in (manifest.baseline, manifest.candidate):
        path = side.spec.removeprefix("vectors:")
        if side.spec != "default" and not Path(path).exists():
            missing.append(f"the model `{side.spec}`")
    if missing:
        return None, (
            f"Recomputing needs {' and '.join(missing)}, which this server does not have."
        )
    config = manifest.config
    spec = state.RunSpec(
        corpus=manifest.corpus.source,
        baseline=manifest.baseline.spec,
        candidate=manifest.candidate.spec,
        k=manifest.k,
        neighbours=int(config.get("neighbours", 10)),
        projection=True,
    )
    return spec, "Its corpus and both models are on this server."


def offer_recompute(shown: Shown, need: str) -> None:
    """Say what this saved comparison cannot show without its vectors, and offer to
    recompute it when its corpus and models are here."""
    spec, why = recompute_spec(shown)
    st.info(f"{need} This comparison was opened from a saved folder, which holds no vectors. {why}")
    if spec is not None and st.button("Recompute from the corpus and models", key="recompute"):
        state.set_run(spec)
        st.rerun()


def demo_run() -> state.RunSpec:
    """The bundled demo: the sample corpus, MiniLM as baseline, the legal-tuned candidate."""
    return state.RunSpec(corpus=str(SAMPLE_CORPUS), baseline="default", candidate=DEMO_CANDIDATE)


def demo_candidate_ready() -> bool:
    return demo_candidate_folder().is_dir()
