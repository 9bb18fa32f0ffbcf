"""Export: the same data bundle and HTML report the command line writes, for this comparison."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import streamlit as st

from analysis.bundle.files import bundle_files
from analysis.errors import InputError
from dashboard import exporting
from dashboard.shown import require_comparison, with_projection

st.title("Export")
on_show = require_comparison()
st.write(
    "The data bundle (summary.json and the Parquet tables) and the self-contained HTML "
    "report, exactly as `python -m analysis compare` and `python -m analysis report` "
    "write them: attach them to a review or a postmortem."
)
policy_file = st.file_uploader(
    "Rollout policy (TOML, optional; default: the shipped policy)",
    type=["toml"],
    key="export_policy",
)
if st.button("Prepare the report and the bundle", type="primary", key="export_prepare"):
    policy = (policy_file.name, policy_file.getvalue()) if policy_file is not None else None
    try:
        with st.spinner("Writing the bundle and rendering the report…"):
            folder = exporting.export(with_projection(on_show), policy)
        st.session_state["export_folder"] = str(folder)
    except InputError as err:
        st.error(str(err))
exported = st.session_state.get("export_folder")
if (
    exported
    and Path(exported).name == on_show.fingerprint
    and Path(exported, "report.html").is_file()
):
    folder = Path(exported)
    report = (folder / "report.html").read_bytes()
    st.download_button(
        f"report.html ({len(report) / 1e6:.1f} MB)",
        report,
        file_name="recall-horizon-report.html",
        mime="text/html",
        key="export_report",
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in bundle_files(folder):
            archive.write(path, path.name)
    st.download_button(
        "Data bundle (.zip)",
        buffer.getvalue(),
        file_name="recall-horizon-bundle.zip",
        mime="application/zip",
        key="export_bundle",
    )
    st.caption(f"Written to `{folder}` on the server.")
else:
    st.info("Press the button to write the bundle and render the report.")
