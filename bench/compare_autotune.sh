#!/usr/bin/env bash
# `textnn autotune` against fastText's autotune (`-autotune-validation`) with
# the same time budget, the same train/valid split and the same threads;
# both chosen models are then scored on the test file.
#
# Usage: bench/compare_autotune.sh DATASET_DIR [SECONDS]
#
# DATASET_DIR holds train.txt, valid.txt and test.txt in fastText format.
# SECONDS is the search budget of each tool [300, fastText's default].
#
# Environment:
#   TEXTNN_BIN  textnn binary to use; when set, nothing is built
#   THREADS     training threads of both tools [2]
#   METRIC      textnn's --metric [accuracy]; fastText keeps its default f1,
#               which equals accuracy on single-label data (k = 1)
#   PYTHON      Python used to create bench/.venv [python3]
#
# Prints a Markdown table and writes it, with the trial table and logs, to
# bench/out/autotune-<dataset>-<date>/.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
THREADS="${THREADS:-2}"
METRIC="${METRIC:-accuracy}"

note() { printf '%s\n' "$*" >&2; }
# shellcheck source=bench/venv.sh
source "$BENCH_DIR/venv.sh"
now() { date +%s.%N; }

if (($# < 1 || $# > 2)); then
    note "usage: bench/compare_autotune.sh DATASET_DIR [SECONDS]"
    exit 2
fi
DATA="$(cd "$1" && pwd)"
SECONDS_BUDGET="${2:-300}"
if ! [[ "$SECONDS_BUDGET" =~ ^[1-9][0-9]*$ ]]; then
    note "SECONDS must be a positive whole number (fastText takes whole seconds), got $SECONDS_BUDGET"
    exit 2
fi
name="$(basename "$DATA")"
for f in train valid test; do
    [[ -f "$DATA/$f.txt" ]] || { note "$DATA has no $f.txt"; exit 2; }
done

commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ "$commit" != unknown && -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit="$commit (with uncommitted changes)"
fi

# ------------------------------------------------------------ Python venv
ensure_bench_venv

# ------------------------------------------------------------------ textnn
if [[ -n "${TEXTNN_BIN:-}" ]]; then
    BIN="$TEXTNN_BIN"
else
    note "building textnn (cargo build --release -p textnn-cli)"
    (cd "$ROOT" && cargo build --release -p textnn-cli >&2)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/textnn"
fi
[[ -x "$BIN" ]] || { note "textnn binary not found: $BIN"; exit 2; }

OUT="$BENCH_DIR/out/autotune-$name-$(date +%Y-%m-%d-%H%M%S)"
mkdir -p "$OUT"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/textnn-autotune.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
json() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

note "== $name: textnn autotune, $SECONDS_BUDGET s, $THREADS threads, metric $METRIC"
t0=$(now)
"$BIN" autotune "$DATA/train.txt" --valid "$DATA/valid.txt" --duration "$SECONDS_BUDGET" \
    --metric "$METRIC" --threads "$THREADS" -o "$TMP/textnn.model" \
    >"$OUT/textnn-trials.txt" 2>"$OUT/textnn.log"
t1=$(now)
"$BIN" test "$TMP/textnn.model" "$DATA/test.txt" --json >"$OUT/textnn-test.json" 2>>"$OUT/textnn.log"
textnn_acc=$(json "$OUT/textnn-test.json" accuracy)
textnn_sec=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
textnn_trials=$(awk 'NR > 1 && NF == 0 {exit} NR > 1 {n++} END {print n+0}' "$OUT/textnn-trials.txt")
textnn_best=$(grep -m1 '^best:' "$OUT/textnn-trials.txt" | sed 's/^best: //')
textnn_flags=$(grep -m1 '^same model:' "$OUT/textnn-trials.txt" | sed 's/.* -o [^ ]* //')
note "   textnn: test accuracy $textnn_acc, $textnn_sec s, $textnn_trials trials"

note "== $name: fastText autotune, $SECONDS_BUDGET s, $THREADS threads"
# A run that diverges ("Encountered NaN") is retried; see autotune_fasttext.py.
if "$PY" "$BENCH_DIR/autotune_fasttext.py" --train "$DATA/train.txt" --valid "$DATA/valid.txt" \
    --test "$DATA/test.txt" --duration "$SECONDS_BUDGET" --thread "$THREADS" \
    >"$OUT/fasttext.json" 2>"$OUT/fasttext.log"; then
    ft_acc=$(json "$OUT/fasttext.json" accuracy)
    ft_valid=$(json "$OUT/fasttext.json" valid_accuracy)
    ft_sec=$(json "$OUT/fasttext.json" seconds)
    ft_args=$(json "$OUT/fasttext.json" args)
    note "   fastText: test accuracy $ft_acc, $ft_sec s"
else
    ft_acc=nan ft_valid=nan ft_sec=nan ft_args="failed; see ${OUT#"$ROOT"/}/fasttext.log"
    note "   fastText failed; see $OUT/fasttext.log"
fi
ft_failed=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("failed_attempts", [])))' \
    "$OUT/fasttext.json" 2>/dev/null || echo "?")

{
    echo "# textnn autotune vs fastText autotune: $name, $SECONDS_BUDGET s"
    echo
    echo "- date: $(date '+%Y-%m-%d %H:%M:%S %Z'); $(nproc) CPUs; $THREADS threads each"
    echo "- textnn commit: $commit; metric $METRIC"
    echo
    echo "| dataset | budget s | textnn test acc | fastText test acc | textnn wall s | fastText wall s | textnn trials |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    printf '| %s | %s | %.3f | %.3f | %.1f | %.1f | %s |\n' "$name" "$SECONDS_BUDGET" \
        "$textnn_acc" "$ft_acc" "$textnn_sec" "$ft_sec" "$textnn_trials"
    echo
    echo "- textnn best: $textnn_best"
    echo "- textnn settings: $textnn_flags"
    printf -- '- fastText best (valid P@1 %.3f): %s\n' "$ft_valid" "$ft_args"
    echo "- fastText attempts that stopped with \"Encountered NaN\" and were retried: $ft_failed"
    echo
    echo "Wall seconds: the search and the saved model (textnn keeps the best trial's model;"
    echo "fastText retrains the best settings after its budget). Raw output: ${OUT#"$ROOT"/}/"
} >"$OUT/report.md"
cat "$OUT/report.md"
