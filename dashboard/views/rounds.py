"""Rounds: which fine-tuning round is the last safe one? Pick a round (and what it is
compared with) and every other page shows that comparison."""

from __future__ import annotations

import streamlit as st

from analysis.errors import InputError
from dashboard import cache, render, saved, state
from reporting.sections import rounds as section

st.title("Rounds")
fingerprint = state.get_rounds()
entry = saved.lookup(fingerprint) if fingerprint else None
if entry is None or entry.series is None:
    st.info(
        "No series of rounds is open. Run `python -m analysis rounds ... --out DIR`, then open "
        "DIR on the **Setup** page (or start the dashboard with `-- --open DIR`)."
    )
    st.page_link("views/setup.py", label="Go to Setup", icon=":material/tune:")
    st.stop()
folder = entry.series
try:
    record = cache.rounds_record(folder)
except InputError as err:
    st.error(f"This series cannot be read:\n\n{err}")
    st.stop()
rounds = record["rounds"]
names = [item["name"] for item in rounds]
shown = state.get_saved()
current = next(
    (
        (i, kind, c["seed"])
        for i, item in enumerate(rounds)
        for kind in ("cumulative", "marginal")
        for c in item[kind]
        if c["fingerprint"] == shown
    ),
    (len(rounds) - 1, "cumulative", 1),
)
left, middle, right = st.columns(3)
index = left.selectbox(
    "Round every page shows", range(len(names)), index=current[0], format_func=names.__getitem__
)
item = rounds[index]
kind = middle.radio(
    "Compared with",
    ("cumulative", "marginal"),
    index=0 if current[1] == "cumulative" or index == 0 else 1,
    format_func={"cumulative": "the baseline", "marginal": "the round before"}.get,
    horizontal=True,
    disabled=index == 0,
)
seeds = [c["seed"] for c in item[kind]]
seed = right.selectbox(
    "Seed",
    seeds,
    index=seeds.index(current[2]) if current[2] in seeds else 0,
    disabled=len(seeds) == 1,
)
chosen = next(c for c in item[kind] if c["seed"] == seed)
if chosen["fingerprint"] != shown:
    try:
        saved.open_inside(folder, chosen["folder"], read=cache.saved_bundle)
    except InputError as err:
        st.error(str(err))
        st.stop()
    state.set_saved(chosen["fingerprint"])
    state.set_rounds(fingerprint)
    state.write_url("rounds")
against = "the baseline" if kind == "cumulative" else f"{names[index - 1]}"
st.caption(f"Every page now shows **{item['name']}** (seed {seed}) against {against}.")
render.show(section.blocks(record))
