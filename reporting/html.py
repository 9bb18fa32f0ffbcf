"""One self-contained HTML report from a data bundle: opens offline, no request to any server.

plotly.js is inlined once; every figure is a div drawn by it. All text taken from the data
(ids, query texts, model specs) is HTML-escaped.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs

from analysis.verdict.gate import GateResult
from analysis.verdict.scorecard import COLUMNS, headlines, scorecard
from reporting import figures
from reporting.bundle import Bundle, load_bundle

CHANGED_SHOWN = 10
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#222}
main{max-width:1200px;margin:0 auto;padding:24px 32px}
h1{margin-bottom:4px}h2{border-bottom:2px solid #eee;padding-bottom:4px;margin-top:40px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}.pass{color:#1a7f37;font-weight:600}.fail{color:#b2182b;font-weight:600}
.muted{color:#666;font-size:13px}.pair{display:flex;gap:24px}.pair>div{flex:1}
nav a{margin-right:12px}
"""


def write_report(folder: Path, out: Path, *, gate: GateResult, policy_source: str) -> int:
    """Render the bundle in ``folder`` to ``out``; return the file size in bytes."""
    bundle = load_bundle(folder)
    document = render(bundle, gate=gate, policy_source=policy_source)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    return out.stat().st_size


def render(bundle: Bundle, *, gate: GateResult, policy_source: str) -> str:
    summary = bundle.summary
    colors = figures.domain_colors(list(summary["domains"]))
    sections = [
        ("overview", "Overview", _overview(summary)),
        ("gate", "Rollout gate", _gate(gate, policy_source)),
        ("overlap", "Retrieval overlap", _overlap(bundle, colors)),
        ("drift", "Neighbourhood drift", _drift(bundle, colors)),
        ("thresholds", "Threshold exclusions", _thresholds(bundle, colors)),
        ("space", "Embedding space", _space(bundle, colors)),
        ("changed", "Changed answers", _changed(bundle)),
        ("manifest", "Manifest", _manifest(bundle, policy_source)),
    ]
    nav = "".join(f'<a href="#{key}">{title}</a>' for key, title, _ in sections)
    body = "".join(
        f'<section id="{key}"><h2>{title}</h2>{content}</section>'
        for key, title, content in sections
    )
    verdict = (
        '<span class="pass">PASS</span>'
        if gate.passed
        else f'<span class="fail">FAIL</span> in {_e(", ".join(gate.failed_domains()))}'
    )
    models = summary["manifest"]["models"]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Recall Horizon report</title>"
        f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head><body><main>"
        f"<h1>Recall Horizon report</h1><p class='muted'>Baseline <code>"
        f"{_e(models['baseline']['spec'])}</code> vs candidate <code>"
        f"{_e(models['candidate']['spec'])}</code> on <code>"
        f"{_e(summary['manifest']['corpus']['name'])}</code>. Rollout gate: {verdict}</p>"
        f"<nav>{nav}</nav>{body}</main></body></html>"
    )


def _figure(fig) -> str:
    return pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        config={"displaylogo": False, "responsive": True},
    )


def _e(text: Any) -> str:
    return html.escape(str(text))


def _table(frame: pd.DataFrame, *, index: bool = False) -> str:
    return frame.to_html(
        index=index, escape=True, float_format=lambda v: f"{v:.3f}", na_rep="–", border=0
    )


def _overview(summary: dict[str, Any]) -> str:
    items = "".join(f"<li>{_e(sentence)}</li>" for sentence in headlines(summary))
    card = scorecard(summary)
    if card.empty:
        return f"<ul>{items}</ul>"
    return (
        f"<ul>{items}</ul>{_figure(figures.scorecard_heatmap(card, COLUMNS))}"
        f"{_table(card.drop(columns=['severity']), index=True)}"
    )


def _gate(gate: GateResult, policy_source: str) -> str:
    frame = gate.to_frame()
    if frame.empty:
        return "<p>No guardrail applied (the policy checks nothing these results hold).</p>"
    frame["result"] = frame["passed"].map({True: "ok", False: "FAIL"})
    return f"<p class='muted'>Policy: <code>{_e(policy_source)}</code></p>" + _table(
        frame[["domain", "guardrail", "result", "detail"]]
    )


def _overlap(bundle: Bundle, colors) -> str:
    queries = bundle.table("queries")
    if queries is None or queries.empty:
        return "<p>No queries: retrieval overlap needs queries.</p>"
    labels = {"jaccard": "top-k Jaccard", "rbo": "rank-biased overlap"}
    return _figure(
        figures.distributions(
            queries,
            ["jaccard", "rbo"],
            colors,
            "Agreement of the two top-k lists, per domain",
            labels,
        )
    )


def _drift(bundle: Bundle, colors) -> str:
    docs = bundle.table("documents")
    if docs is None or "neighbourhood_jaccard" not in docs:
        return "<p>No drift table in this bundle.</p>"
    analysed = docs.dropna(subset=["neighbourhood_jaccard"])
    fig = figures.distributions(
        analysed,
        ["neighbourhood_jaccard", "purity_candidate"],
        colors,
        "Per document: neighbours kept, and share of same-domain neighbours (candidate)",
        {"neighbourhood_jaccard": "neighbours kept", "purity_candidate": "same-domain share"},
    )
    columns = [
        c
        for c in [
            "doc_id",
            "domain",
            "neighbourhood_jaccard",
            "purity_baseline",
            "purity_candidate",
            "reach_baseline",
            "reach_candidate",
        ]
        if c in docs
    ]
    worst = analysed.sort_values("neighbourhood_jaccard").head(15)[columns]
    return _figure(fig) + "<h3>Most drifted documents</h3>" + _table(worst)


def _thresholds(bundle: Bundle, colors) -> str:
    settings = bundle.summary.get("thresholds", {})
    curve = bundle.table("horizon_curve")
    if curve is None or "cutoff" not in settings:
        return "<p>No queries: threshold exclusions need queries.</p>"
    cutoff, calibrated = settings["cutoff"], settings.get("calibrated_candidate_cutoff")
    marks = {"cutoff": cutoff, "calibrated": calibrated}
    shown = curve[
        (curve["domain"] != "(all)") & (curve["cutoff"].between(cutoff - 0.4, cutoff + 0.4))
    ]
    parts = [
        f"<p>Cutoff {cutoff:.3f} ({_e(settings.get('cutoff_source', ''))}); calibrated "
        f"candidate cutoff {'–' if calibrated is None else f'{calibrated:.3f}'}.</p>",
        _figure(
            figures.horizon_curves(
                shown, "mean_admitted", marks, colors, "documents admitted per query"
            )
        ),
    ]
    if shown["recall"].notna().any():
        parts.append(_figure(figures.horizon_curves(shown, "recall", marks, colors, "recall")))
    shares = pd.DataFrame(
        [
            {
                "domain": name,
                "excluded @ same cutoff": s.get("excluded_share_same_cutoff"),
                "excluded @ calibrated": s.get("excluded_share_calibrated"),
                "judged-relevant excluded": s.get("relevant_excluded_same_cutoff"),
                "of judged-relevant admitted": s.get("relevant_excluded_share_same_cutoff"),
            }
            for name, s in sorted(bundle.summary["domains"].items())
        ]
    )
    parts.append(_table(shares))
    pairs = bundle.table("threshold_pairs")
    if pairs is not None:
        excluded = (
            pairs[pairs["excluded_same_cutoff"]]
            .sort_values(["grade", "score_baseline"], ascending=False)
            .head(20)
        )
        parts.append(
            "<h3>Excluded pairs, judged-relevant first</h3>"
            + _table(excluded[["query_id", "doc_id", "grade", "score_baseline", "score_candidate"]])
        )
    return "".join(parts)


def _space(bundle: Bundle, colors) -> str:
    parts = []
    projection = bundle.table("projection")
    if projection is not None:
        pair = "".join(
            f"<div>{_figure(figures.projection_scatter(projection, side, 'domain', colors))}</div>"
            for side in ("baseline", "candidate")
        )
        parts.append(
            f"<div class='pair'>{pair}</div><p class='muted'>Aligned UMAP projection: "
            "the candidate's picture is fitted onto the baseline's frame.</p>"
        )
    else:
        parts.append(
            "<p class='muted'>The projection was not computed for this run "
            "(compare --projection).</p>"
        )
    geometry = bundle.table("geometry")
    if geometry is not None:
        for measure, label in (
            ("mean_cosine_to_centroid", "mean cosine to the domain centroid"),
            ("effective_rank", "effective rank"),
        ):
            parts.append(_figure(figures.geometry_bars(geometry, measure, label)))
    centroids = bundle.summary.get("centroid_similarity")
    if centroids:
        for model in ("baseline", "candidate"):
            matrix = pd.DataFrame(
                centroids[model], index=centroids["domains"], columns=centroids["domains"]
            )
            parts.append(
                _figure(figures.centroid_heatmap(matrix, f"Domain centroid similarity: {model}"))
            )
    return "".join(parts)


def _changed(bundle: Bundle) -> str:
    queries, changes = bundle.table("queries"), bundle.table("changes")
    if queries is None or changes is None or queries.empty:
        return "<p>No queries.</p>"
    changed = queries[queries["changed"]]
    order = "relevance_lost" if "relevance_lost" in changed else "jaccard"
    top = changed.sort_values(order, ascending=order == "jaccard").head(CHANGED_SHOWN)
    parts = [
        f"<p>{len(changed):,} of {len(queries):,} queries changed their top-k; the "
        f"{len(top)} with the most {'relevance lost' if order != 'jaccard' else 'change'}:</p>"
    ]
    for _, row in top.iterrows():
        side = changes[changes["query_id"] == row["query_id"]]
        lists = "".join(_ranked_list(side, model) for model in ("baseline", "candidate"))
        text = f" — {_e(row['text'])}" if "text" in row and pd.notna(row["text"]) else ""
        parts.append(
            f"<h3>{_e(row['query_id'])} ({_e(row['domain'])}){text}</h3>"
            f"<div class='pair'>{lists}</div>"
        )
    return "".join(parts)


def _ranked_list(side: pd.DataFrame, model: str) -> str:
    ranked = side[side[f"rank_{model}"].notna()].sort_values(f"rank_{model}")
    frame = ranked[[f"rank_{model}", "doc_id", f"score_{model}", "grade", "change"]].rename(
        columns={f"rank_{model}": "rank", f"score_{model}": "score"}
    )
    return f"<div><b>{model.capitalize()}</b>{_table(frame)}</div>"


def _manifest(bundle: Bundle, policy_source: str) -> str:
    manifest = bundle.summary["manifest"]
    rows = [
        ("report written", datetime.now(UTC).isoformat(timespec="seconds")),
        ("comparison run", manifest.get("created_at")),
        ("data bundle sha256", bundle.sha256),
        ("corpus", f"{manifest['corpus']['name']} ({manifest['corpus']['source']})"),
        ("corpus fingerprint", manifest["corpus"]["fingerprint"]),
        ("k", manifest["k"]),
        ("policy", policy_source),
    ]
    for side in ("baseline", "candidate"):
        model = manifest["models"][side]
        rows += [
            (f"{side} spec", model["spec"]),
            (f"{side} fingerprint", model["fingerprint"]),
            (f"{side} dimension", model["dimension"]),
        ]
    rows += [(f"setting: {k}", v) for k, v in sorted(manifest.get("config", {}).items())]
    rows += [(f"version: {k}", v) for k, v in sorted(manifest["versions"].items())]
    rows += [("corpus notice", n) for n in manifest["corpus"].get("notices", [])]
    return _table(pd.DataFrame(rows, columns=["item", "value"]))
