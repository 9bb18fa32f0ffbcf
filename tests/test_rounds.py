"""Fine-tuning rounds on constructed vectors: marginal changes where (and only where) a round
changed something, the seed spread, the verdict per round and the last safe round."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analysis.cli import main
from analysis.errors import InputError
from analysis.inputs.vectors import write_vector_table
from analysis.rounds.measures import Measure, over_seeds
from analysis.rounds.spec import parse_round, rounds_from_folder
from tests.fakes import write_beir

DOMAINS = ("alpha", "beta", "gamma")
DOCS, QUERIES, DIM = 40, 30, 32


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Three well-separated domains; each query is a noisy copy of its one relevant
    document. Returns the folder, the corpus path and a writer of candidate vector files."""
    root = tmp_path_factory.mktemp("rounds")
    rng = np.random.default_rng(0)
    centres = 10 * np.eye(len(DOMAINS), DIM)
    docs, queries, ids, query_ids = [], [], [], []
    for d, name in enumerate(DOMAINS):
        own = centres[d] + rng.normal(size=(DOCS, DIM))
        asked = own[:QUERIES] + 0.6 * rng.normal(size=(QUERIES, DIM))
        write_beir(
            root / "corpus" / name,
            [{"_id": f"d{i}", "text": f"document {i} of {name}"} for i in range(DOCS)],
            [{"_id": f"q{i}", "text": f"question {i} of {name}"} for i in range(QUERIES)],
            [(f"q{i}", f"d{i}", 1) for i in range(QUERIES)],
        )
        docs.append(own)
        queries.append(asked)
        ids += [f"{name}/d{i}" for i in range(DOCS)]
        query_ids += [f"query:{name}/q{i}" for i in range(QUERIES)]
    base_docs, base_queries = np.vstack(docs), np.vstack(queries)

    def write(name: str, noise: dict[str, float] | None = None, seed: int = 1, start=None) -> str:
        """A checkpoint: ``start`` (default: the baseline's documents) plus Gaussian noise of
        the given scale on each named domain's documents; queries unchanged."""
        moved = (base_docs if start is None else start).copy()
        draw = np.random.default_rng(seed)
        for domain, scale in (noise or {}).items():
            rows = slice(DOMAINS.index(domain) * DOCS, (DOMAINS.index(domain) + 1) * DOCS)
            moved[rows] += scale * draw.normal(size=moved[rows].shape)
        path = root / f"{name}.parquet"
        write_vector_table(path, ids + query_ids, np.vstack([moved, base_queries]))
        np.save(root / f"{name}.npy", moved)
        return f"vectors:{path}"

    write("baseline")
    return root, str(root / "corpus"), write


def _rounds(root: Path, corpus: str, rounds: list[str], *extra: str) -> tuple[int, dict]:
    out = _out(root, rounds, extra)
    args = ["rounds", "--corpus", corpus, "--baseline", f"vectors:{root / 'baseline.parquet'}"]
    for item in rounds:
        args += ["--round", item]
    code = main([*args, "--out", str(out), "--k", "5", "--neighbours", "5", *extra])
    return code, json.loads((out / "rounds.json").read_text()) if code in (0, 1) else {}


def _out(root: Path, rounds: list[str], extra: tuple[str, ...] = ()) -> Path:
    return root / f"out-{abs(hash(tuple(rounds + list(extra))))}"


def _change(record: dict, round_index: int, domain: str, measure: str, kind: str):
    return record["rounds"][round_index]["domains"][domain][measure][kind]["change"]


def test_identical_rounds_change_nothing_at_the_margin(world):
    root, corpus, write = world
    first = write("r1", {"beta": 0.8})
    code, record = _rounds(root, corpus, [f"one={first}", f"two={first}"])
    assert code in (0, 1)
    for domain in (*DOMAINS, "(all)"):
        for measure in (
            "ndcg@10",
            "recall@k",
            "coverage",
            "neighbours_kept",
            "effective_rank_ratio",
        ):
            assert _change(record, 1, domain, measure, "marginal") == pytest.approx(0.0, abs=1e-9)
    assert _change(record, 0, "beta", "neighbours_kept", "cumulative") < 0  # round 1 moved beta


def test_noise_on_one_domain_shows_at_the_margin_in_that_domain_only(world):
    root, corpus, write = world
    first = write("m1", {"beta": 0.8})
    start = np.load(root / "m1.npy")
    second = write("m2", {"gamma": 3.0}, seed=7, start=start)
    code, record = _rounds(root, corpus, [f"one={first}", f"two={second}"])
    assert _change(record, 1, "gamma", "neighbours_kept", "marginal") < -0.1
    assert _change(record, 1, "gamma", "ndcg@10", "marginal") < 0
    for untouched in ("alpha", "beta"):
        for measure in ("ndcg@10", "neighbours_kept", "coverage"):
            assert _change(record, 1, untouched, measure, "marginal") == pytest.approx(0.0)
    # cumulatively, round two carries round one's beta change too
    assert _change(record, 1, "beta", "neighbours_kept", "cumulative") < 0


def test_a_breaching_round_names_the_round_to_roll_back_to(world, tmp_path):
    root, corpus, write = world
    gentle = write("g1", {"alpha": 0.2})
    harsh = write("g2", {"gamma": 4.0}, seed=3)
    policy = tmp_path / "policy.toml"
    policy.write_text("[defaults]\nmax_relative_drop_ndcg = 0.05\n")
    code, record = _rounds(
        root,
        corpus,
        [f"gentle={gentle}", f"harsh={harsh}"],
        "--policy",
        str(policy),
        "--target",
        "alpha",
    )
    assert code == 1
    assert record["last_safe_round"] == "gentle" and record["rollback_advised"]
    assert record["first_breach"]["round"] == "harsh"
    assert record["first_breach"]["domain"] == "gamma"
    assert record["first_breach"]["guardrail"] == "max_relative_drop_ndcg"
    assert record["advice"].startswith("roll back to gentle")
    # the trade-off: the tuned domain's mean change against the worst other domain's
    trade = record["rounds"][1]["tradeoff"]["cumulative"]
    assert trade["target_gain"] == _change(record, 1, "alpha", "ndcg@10", "cumulative")
    others = {d: _change(record, 1, d, "ndcg@10", "cumulative") for d in ("beta", "gamma")}
    assert trade["worst_other"] == "gamma" == min(others, key=others.get)
    assert trade["worst_other_change"] == others["gamma"] < 0
    code, record = _rounds(root, corpus, [f"gentle={gentle}"], "--policy", str(policy))
    assert code == 0 and record["last_safe_round"] == "gentle"


def test_a_change_within_the_seed_noise_is_not_significant(world):
    root, corpus, write = world
    # three seeds that each hurt alpha, by very different amounts: each seed's own paired
    # test is significant, but the mean change is within two seed-to-seed deviations
    scattered = [
        write(f"s{i}", {"alpha": scale}, seed=10 + i) for i, scale in enumerate((1.3, 1.8, 3.6))
    ]
    steady = [write(f"t{i}", {"alpha": 2.0}, seed=20 + i) for i in range(3)]
    code, record = _rounds(
        root, corpus, [f"scattered={','.join(scattered)}", f"steady={','.join(steady)}"]
    )
    wide = record["rounds"][0]["domains"]["alpha"]["ndcg@10"]["cumulative"]
    tight = record["rounds"][1]["domains"]["alpha"]["ndcg@10"]["cumulative"]
    assert len(wide["per_seed"]) == 3 and wide["spread"] > 0
    assert all(c < 0 for c in wide["per_seed"])
    assert wide["p_value_bh"] < 0.05  # every seed's own test is significant
    assert abs(wide["change"]) < 2 * wide["spread"] and wide["significant"] is False
    assert tight["significant"] is True and abs(tight["change"]) > 2 * tight["spread"]
    folders = [c["folder"] for c in record["rounds"][1]["marginal"]]
    assert folders == ["steady/marginal-seed1", "steady/marginal-seed2", "steady/marginal-seed3"]


def test_seed_rule_by_hand():
    noisy = over_seeds(
        [Measure(0.5, -0.1, 0.01), Measure(0.6, -0.3, 0.01), Measure(0.7, 0.05, 0.2)]
    )
    assert noisy.change == pytest.approx(-0.35 / 3) and noisy.significant is False
    firm = over_seeds(
        [Measure(0.5, -0.1, 0.01), Measure(0.5, -0.11, 0.02), Measure(0.5, -0.09, 0.01)]
    )
    assert firm.significant is True and firm.p_value == 0.02
    single = over_seeds([Measure(0.5, -0.1, 0.01)])
    assert single.spread is None and single.significant is True
    untested = over_seeds([Measure(0.8, -0.2)])
    assert untested.significant is None


def test_round_options_and_series_folders(tmp_path):
    assert parse_round("r1=a,b").specs == ("a", "b")
    with pytest.raises(InputError, match="expected NAME=SPEC"):
        parse_round("r1")
    with pytest.raises(InputError, match="must be letters, digits"):
        parse_round("../x=a")
    for name in ("round10", "round2", "round1"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
    seeds = tmp_path / "round3"
    for seed in ("seed-1", "seed-0"):
        (seeds / seed).mkdir(parents=True)
        (seeds / seed / "config.json").write_text("{}")
    found = rounds_from_folder(tmp_path)
    assert [r.name for r in found] == ["round1", "round2", "round3", "round10"]
    assert [Path(s).name for s in found[2].specs] == ["seed-0", "seed-1"]


def test_the_rounds_page_drives_every_page_and_the_series_report_is_written(
    world, tmp_path, monkeypatch
):
    import sys

    from streamlit.testing.v1 import AppTest

    root, corpus, write = world
    rounds = [f"p1={write('p1', {'beta': 0.8})}", f"p2={write('p2', {'gamma': 3.0}, seed=5)}"]
    code, record = _rounds(root, corpus, rounds)
    out = _out(root, rounds)
    report = (out / "report.html").read_text()
    assert 'data-key="rounds_verdicts"' in report and "last safe round" in report
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "argv", ["app.py", "--open", str(out)])
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=60)
    at.run()
    last = record["rounds"][1]["cumulative"][0]["fingerprint"]
    assert at.session_state["saved"] == last  # the last round against the baseline
    at.switch_page("views/rounds.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value.startswith(("SAFE", "ROLL BACK"))
    at.radio[0].set_value("marginal").run()
    marginal = record["rounds"][1]["marginal"][0]["fingerprint"]
    assert at.session_state["saved"] == marginal
    assert at.query_params["comparison"] in (marginal, [marginal])
    at.selectbox[0].set_value(0).run()
    first = record["rounds"][0]["cumulative"][0]["fingerprint"]
    assert at.session_state["saved"] == first
    at.switch_page("views/overview.py").run()
    assert not at.exception and at.subheader[0].value.startswith("Rollout verdict")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--round", "r1"], "expected NAME=SPEC"),
        (["--round", "a=x", "--round", "a=y"], "round name 'a' is given twice"),
        (
            ["--round", "a=x", "--checkpoints", "somewhere"],
            "either as --round options or as --checkpoints",
        ),
        (["--checkpoints", "/nowhere/at/all"], "--checkpoints /nowhere/at/all: no such folder"),
        ([], "give at least one --round"),
        (["--round", "a=BASE", "--target", "nautical"], "--target nautical: not a domain"),
    ],
)
def test_bad_rounds_input_exits_2_and_names_the_problem(world, tmp_path, capsys, args, says):
    root, corpus, _ = world
    base = f"vectors:{root / 'baseline.parquet'}"
    args = [a.replace("BASE", base) for a in args]
    code = main(
        ["rounds", "--corpus", corpus, "--baseline", base, *args, "--out", str(tmp_path / "o")]
    )
    assert code == 2
    assert says in capsys.readouterr().err


def test_the_series_tables_and_the_chart_start_from_the_baseline(world, tmp_path):
    from analysis.bundle.files import load_bundle
    from analysis.metrics.quality import QualityFigures
    from analysis.rounds.record import read_record, record_frame
    from reporting.sections.rounds import _baseline_values, change_table

    root, corpus, write = world
    first = write("c1", {"beta": 0.8})
    rounds = [f"one={first}", f"two={first}"]
    _rounds(root, corpus, rounds)
    out = _out(root, rounds)
    record = read_record(out)
    frame = record_frame(record)
    table = change_table(frame, "ndcg@10").set_index("Round")
    beta = _change(record, 0, "beta", "ndcg@10", "cumulative")
    assert table.loc["one", "beta"].startswith(f"{beta:+.3f}")
    assert table.loc["two", "beta"].endswith("[+0.000]")  # identical round: no marginal change
    # round 0 of each line is the baseline's own value
    summary = load_bundle(out / "one" / "cumulative").summary
    quality = summary.domains["beta"].get(QualityFigures)
    start = _baseline_values(frame[frame["kind"] == "cumulative"])
    assert start[("beta", "ndcg@10")] == pytest.approx(quality.baseline["ndcg@10"], abs=1e-6)
    assert start[("beta", "neighbours_kept")] == 1.0


def test_a_damaged_rounds_file_is_refused_with_its_reason(world, tmp_path):
    from analysis.rounds.record import ROUNDS_FILE, read_record

    root, corpus, write = world
    rounds = [f"one={write('d1', {'beta': 0.5})}"]
    _rounds(root, corpus, rounds)
    record = json.loads((_out(root, rounds) / ROUNDS_FILE).read_text())
    del record["rounds"][0]["marginal"]
    (tmp_path / ROUNDS_FILE).write_text(json.dumps(record))
    with pytest.raises(InputError, match=r"rounds\[0\]\.marginal is not a list of comparisons"):
        read_record(tmp_path)
    (tmp_path / ROUNDS_FILE).write_text("[]")
    with pytest.raises(InputError, match="not a JSON object"):
        read_record(tmp_path)


def test_a_rounds_output_is_replaced_by_the_next_run_and_foreign_folders_are_kept(
    world, tmp_path, capsys
):
    """CI writes every run to the same --out: the earlier series is replaced whole."""
    root, corpus, write = world
    base = f"vectors:{root / 'baseline.parquet'}"
    out = tmp_path / "series"
    args = ["rounds", "--corpus", corpus, "--baseline", base, "--out", str(out)]
    assert main([*args, "--round", f"a={write('o1', {'beta': 0.5})}"]) in (0, 1)
    assert main([*args, "--round", f"b={write('o2', {'beta': 0.5})}"]) in (0, 1)
    assert (out / "b").is_dir() and not (out / "a").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert main([*args[:-1], str(mine), "--round", f"a={base}"]) == 2
    assert "not a Recall Horizon output" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "keep me"
