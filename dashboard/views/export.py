"""Export: the data bundle of the comparison on show (summary and tables)."""

from __future__ import annotations

import io
import json
import zipfile

import streamlit as st

from analysis.outputs import tables
from dashboard import session

st.title("Export")
loaded = session.require_comparison()
summary = loaded.summary
st.write("Download what this comparison found, to attach to a review or a postmortem.")
st.download_button(
    "summary.json",
    json.dumps(summary, indent=2, sort_keys=True),
    file_name="summary.json",
    mime="application/json",
    key="export_summary",
)
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    archive.writestr("summary.json", json.dumps(summary, indent=2, sort_keys=True))
    for name, frame in tables(loaded.comparison).items():
        archive.writestr(f"{name}.parquet", frame.to_parquet(index=False))
st.download_button(
    "Data bundle (summary + Parquet tables, .zip)",
    buffer.getvalue(),
    file_name="recall-horizon-bundle.zip",
    mime="application/zip",
    key="export_bundle",
)
