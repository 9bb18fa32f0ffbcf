"""Build the BEIR files of the enterprise sample corpus from source/ (run from anywhere).

    python sample_corpora/enterprise/build.py

source/<domain>.md holds the documents: "# topic" headings, then "## <letter>: <title>" and
the text. source/queries.txt holds evaluation ("test") and training ("train") queries;
source/answers.txt the evaluation queries' reference answers.
Writes corpus.jsonl, queries.jsonl, qrels/test.tsv and train/pairs.jsonl, and refuses to
write anything if a document is outside 40-200 words, a judgment names no document, or a
reference answer is missing or does not occur in a document of its query's highest grade.
"""

from __future__ import annotations

import json
import re
import string
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOMAINS = ("clinical", "engineering", "finance", "legal", "support")
GRADES = {"a": 3, "b": 2, "c": 1, "d": 0}
WORDS = (40, 200)


def read_documents() -> list[dict]:
    docs = []
    for domain in DOMAINS:
        topic = None
        for block in re.split(
            r"^(?=#{1,2} )", (HERE / "source" / f"{domain}.md").read_text(), flags=re.M
        ):
            if block.startswith("# "):
                topic = block[2:].strip()
            elif block.startswith("## "):
                head, _, text = block[3:].partition("\n")
                letter, _, title = head.partition(":")
                docs.append(
                    {
                        "_id": f"{domain}-{topic}-{letter.strip()}",
                        "title": title.strip(),
                        "text": " ".join(text.split()),
                        "domain": domain,
                    }
                )
    return docs


def read_queries(doc_ids: set[str]):
    queries, qrels, pairs = [], [], []
    counters: dict[str, int] = {}
    lines = (HERE / "source" / "queries.txt").read_text().splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        topic, split, text, *explicit = [part.strip() for part in line.split("|")]
        prefix = "mixed" if topic == "*" else topic.split("/")[0]
        counters[prefix + split] = counters.get(prefix + split, 0) + 1
        query_id = f"{prefix}-{split}-{counters[prefix + split]:02d}"
        judged = _judgments(topic, explicit, number)
        missing = [d for d in judged if d not in doc_ids]
        if missing:
            sys.exit(f"queries.txt, line {number}: judgment names unknown documents {missing}")
        if split == "test":
            record = {"_id": query_id, "text": text}
            if topic != "*":
                record["domain"] = prefix  # cross-domain queries take their judged majority
            queries.append(record)
            qrels += [(query_id, doc, grade) for doc, grade in judged.items()]
        else:
            best = max(judged, key=judged.get)
            pairs.append({"query_id": query_id, "query": text, "doc_id": best, "domain": prefix})
    return queries, qrels, pairs


def _judgments(topic: str, explicit: list[str], number: int) -> dict[str, int]:
    if topic != "*":
        domain, slug = topic.split("/")
        return {f"{domain}-{slug}-{letter}": grade for letter, grade in GRADES.items()}
    judged = {}
    for item in explicit[0].split():
        path, grade = item.rsplit(":", 1)
        domain, slug, letter = path.split("/")
        judged[f"{domain}-{slug}-{letter}"] = int(grade)
    return judged


def main() -> None:
    docs = read_documents()
    for doc in docs:
        words = len(doc["text"].split())
        if not WORDS[0] <= words <= WORDS[1]:
            sys.exit(f"document {doc['_id']} has {words} words (allowed {WORDS[0]}-{WORDS[1]})")
    ids = [d["_id"] for d in docs]
    if len(ids) != len(set(ids)):
        sys.exit("duplicate document ids")
    queries, qrels, pairs = read_queries(set(ids))
    attach_answers(queries, qrels, {d["_id"]: d for d in docs})
    _write_jsonl(HERE / "corpus.jsonl", docs)
    _write_jsonl(HERE / "queries.jsonl", queries)
    (HERE / "qrels").mkdir(exist_ok=True)
    (HERE / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{g}\n" for q, d, g in qrels)
    )
    (HERE / "train").mkdir(exist_ok=True)
    _write_jsonl(HERE / "train" / "pairs.jsonl", pairs)
    print(
        f"{len(docs)} documents, {len(queries)} evaluation queries, {len(qrels)} judgments, "
        f"{len(pairs)} training pairs"
    )


def attach_answers(queries: list[dict], qrels: list[tuple], docs: dict[str, dict]) -> None:
    """Give every evaluation query its answers from source/answers.txt, each checked to occur
    (SQuAD-normalised, whole tokens) in a document of the query's highest grade."""
    answers = {}
    for line in (HERE / "source" / "answers.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            query_id, _, spans = line.partition("|")
            answers[query_id.strip()] = [s.strip() for s in spans.split(";") if s.strip()]
    for query in queries:
        spans = answers.get(query["_id"])
        if not spans:
            sys.exit(f"answers.txt: no answer for {query['_id']}")
        judged = [(d, g) for q, d, g in qrels if q == query["_id"]]
        best = max(g for _, g in judged)
        texts = [_normal(docs[d]["title"] + " " + docs[d]["text"]) for d, g in judged if g == best]
        for span in spans:
            if not any(f" {_normal(span)} " in f" {text} " for text in texts):
                sys.exit(f"answers.txt: '{span}' ({query['_id']}) is in none of its best documents")
        query["answers"] = spans


def _normal(text: str) -> str:
    """SQuAD's normalisation (kept here so the sample builds with the standard library)."""
    text = "".join(c for c in text.lower() if c not in string.punctuation + "‘’“”–—…«»")
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def _write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


if __name__ == "__main__":
    main()
