#!/usr/bin/env bash
# The golden check a restructuring must pass: the same commands give the same outputs.
#
# Usage: benchmarks/golden.sh CHECKOUT OUT [SHARED]
#   runs the command line of CHECKOUT (a checkout of this repository, e.g. a `git worktree`
#   of the commit before a change) on the demo, on SHARED/data and SHARED/qa (default:
#   ../shared beside this checkout) and on bad input, writing every output folder and each
#   command's exit code under OUT; then
#   python benchmarks/golden_compare.py OUT_BEFORE OUT_AFTER
#   compares two such runs file by file. Embeddings are cached in $RECALL_HORIZON_CACHE
#   (default OUT/../golden-cache), so run the same cache for both: the second run is quick.
set -uo pipefail
CHECKOUT=$(cd "$1" && pwd); OUT=$2; SHARED=${3:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export RECALL_HORIZON_CACHE=${RECALL_HORIZON_CACHE:-$(dirname "$OUT")/golden-cache}
C=$RECALL_HORIZON_CACHE
rm -rf "$OUT"; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
cd "$CHECKOUT"
run() { name=$1; shift; python -m analysis "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr"; echo "$name $?" >>"$OUT/exit_codes"; }
run demo demo --out "$OUT/demo" --cache-dir "$C"
CAND=$C/demo-candidate
run shared compare --corpus "$SHARED/data" --baseline default --candidate "$CAND" --out "$OUT/shared" --cache-dir "$C" --context-budget 400
run shared_check check --from "$OUT/shared"
run shared_check_vs_self check --corpus "$SHARED/data" --baseline default --candidate default --out "$OUT/self" --cache-dir "$C"
run shared_report report --from "$OUT/shared" --report "$OUT/shared.html"
run qa compare --corpus "$SHARED/qa/squad_dev5" --baseline default --candidate "$CAND" --out "$OUT/qa" --cache-dir "$C" --context-by cutoff --k 5
run qa_check check --from "$OUT/qa"
run embed embed --corpus sample_corpora/enterprise --model default --out "$OUT/vec.parquet" --cache-dir "$C"
run vectors compare --corpus sample_corpora/enterprise --baseline "vectors:$OUT/vec.parquet" --candidate "$CAND" --out "$OUT/vectors" --cache-dir "$C" --cutoff 0.4
run llm compare --corpus sample_corpora/enterprise --baseline default --candidate "$CAND" --out "$OUT/llm" --cache-dir "$C" --llm default --llm-queries 5 --llm-agreement-pairs 4
run rounds demo --rounds 2 --out "$OUT/rounds" --cache-dir "$C"
run bad_k compare --corpus sample_corpora/enterprise --baseline default --candidate default --out "$OUT/bad" --k 0
run bad_corpus compare --corpus /nonexistent --baseline default --candidate default --out "$OUT/bad"
run bad_from check --from /nonexistent
run bad_policy check --from "$OUT/shared" --policy README.md
echo "wrote $OUT (exit codes in $OUT/exit_codes)"
