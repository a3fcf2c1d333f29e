#!/usr/bin/env bash
# Side-by-side test accuracy (and wall seconds) of textnn against reference
# anchors -- fastText (defaults and tuned) and scikit-learn TF-IDF + linear
# models -- on the same fastText-format data, on this machine.
#
# Usage: bench/compare_accuracy.sh [DATASET_DIR ...]
#
# Each DATASET_DIR holds train.txt, test.txt and optionally valid.txt
# (`__label__X text`, several labels on a line = multi-label). Without
# arguments: $DATASETS (space-separated) if set, else every folder under
# ../shared/datasets relative to the repository root.
#
# Environment:
#   DATASETS      dataset folders to use when none are given as arguments
#   SKIP_SLOW=1   skip debian_debtags (the slowest: 223 labels, one-vs-rest)
#   TEXTNN_BIN    textnn binary to use; when set, nothing is built
#   TEXTNN_FLAGS  extra flags for `textnn train`, e.g. "--epochs 10"
#   RUN           which columns to run [textnn fasttext-default fasttext-tuned sklearn-lr sklearn-sgd]
#   PYTHON        Python used to create bench/.venv [python3]
#
# Writes the tables to bench/out/accuracy-<date>.md and the raw per-run JSON
# and logs under bench/out/accuracy-<date>/.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
STAMP="$(date +%Y-%m-%d-%H%M%S)"
OUT_DIR="$BENCH_DIR/out"
RUN_DIR="$OUT_DIR/accuracy-$STAMP"
REPORT="$OUT_DIR/accuracy-$STAMP.md"
RUN="${RUN:-textnn fasttext-default fasttext-tuned sklearn-lr sklearn-sgd}"
COLUMNS_ALL=(textnn fasttext-default fasttext-tuned sklearn-lr sklearn-sgd)

note() { printf '%s\n' "$*" >&2; }
# shellcheck source=venv.sh
source "$BENCH_DIR/venv.sh"
wants() { [[ " $RUN " == *" $1 "* ]]; }
now() { date +%s.%N; }

# ---------------------------------------------------------------- datasets
declare -a DIRS=()
if (($# > 0)); then
    DIRS=("$@")
elif [[ -n "${DATASETS:-}" ]]; then
    read -r -a DIRS <<<"$DATASETS"
else
    if ! SHARED="$(cd "$ROOT/../shared/datasets" 2>/dev/null && pwd)"; then
        note "no dataset folders given and $ROOT/../shared/datasets does not exist"
        exit 2
    fi
    for d in "$SHARED"/*/; do DIRS+=("${d%/}"); done
fi

declare -a DATA=()
for d in "${DIRS[@]}"; do
    name="$(basename "$d")"
    if [[ ! -f "$d/train.txt" || ! -f "$d/test.txt" ]]; then
        note "skipping $name: no train.txt/test.txt in $d"
        continue
    fi
    if [[ "${SKIP_SLOW:-0}" == 1 && "$name" == debian_debtags ]]; then
        note "skipping $name: SKIP_SLOW=1"
        continue
    fi
    DATA+=("$(cd "$d" && pwd)")
done
if ((${#DATA[@]} == 0)); then
    note "no dataset to run"
    exit 2
fi

# Read before building: the commit (and tree state) that the binary comes from.
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ "$commit" != unknown && -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit="$commit (with uncommitted changes)"
fi

# ------------------------------------------------------------ Python venv
# Always needed: it also reads textnn's JSON and writes the report.
ensure_bench_venv

# ------------------------------------------------------------------ textnn
if wants textnn; then
    if [[ -n "${TEXTNN_BIN:-}" ]]; then
        BIN="$TEXTNN_BIN"
    else
        note "building textnn (cargo build --release -p textnn-cli)"
        (cd "$ROOT" && cargo build --release -p textnn-cli >&2)
        BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/textnn"
    fi
    [[ -x "$BIN" ]] || { note "textnn binary not found: $BIN"; exit 2; }
fi
declare -a TFLAGS=()
if [[ -n "${TEXTNN_FLAGS:-}" ]]; then read -r -a TFLAGS <<<"$TEXTNN_FLAGS"; fi

mkdir -p "$RUN_DIR"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/textnn-bench.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# json FILE KEY -> value of a top-level key
json() { "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v)' "$1" "$2"; }

fmt() { # fmt VALUE DECIMALS
    case "$1" in
        "") printf -- '-' ;;
        fail) printf 'fail' ;;
        *) printf "%.${2}f" "$1" ;;
    esac
}

declare -A ACC=() SEC=() EXTRA=() TEXTNN_NOTE=()
progress() { # progress COLUMN: one line on stderr for the dataset in $name
    printf '   %-17s %s  (%s s)\n' "$1" "$(fmt "${ACC[$name|$1]:-}" 3)" "$(fmt "${SEC[$name|$1]:-}" 1)" >&2
}

for data in "${DATA[@]}"; do
    name="$(basename "$data")"
    train="$data/train.txt"
    test="$data/test.txt"
    valid="$data/valid.txt"
    note "== $name"

    if wants textnn; then
        model="$TMP/$name.model"
        log="$RUN_DIR/$name-textnn.log"
        t0=$(now)
        if "$BIN" train "$train" -o "$model" "${TFLAGS[@]}" >"$log" 2>&1; then
            t1=$(now)
            size=$(du -m "$model" | cut -f1)
        fi
        if [[ -n "${t1:-}" ]] &&
            "$BIN" test "$model" "$test" --json >"$RUN_DIR/$name-textnn.json" 2>>"$log"; then
            t2=$(now)
            ACC[$name|textnn]=$(json "$RUN_DIR/$name-textnn.json" accuracy)
            SEC[$name|textnn]=$(awk -v a="$t0" -v b="$t2" 'BEGIN{print b-a}')
            TEXTNN_NOTE[$name]=$(awk -v a="$t0" -v b="$t1" -v c="$t2" -v m="$size" \
                'BEGIN{printf "train %.1f s, test %.1f s, model file %d MB", b-a, c-b, m}')
        else
            note "   textnn failed; see $log"
            ACC[$name|textnn]=fail
        fi
        rm -f "$model"
        unset t1
        progress textnn
    fi

    for which in fasttext-default fasttext-tuned sklearn-lr sklearn-sgd; do
        wants "$which" || continue
        out="$RUN_DIR/$name-$which.json"
        args=(--train "$train" --test "$test" --which "$which")
        if [[ -f "$valid" ]]; then args+=(--valid "$valid"); fi
        if "$PY" "$BENCH_DIR/anchors.py" "${args[@]}" >"$out" 2>"$RUN_DIR/$name-$which.log"; then
            ACC[$name|$which]=$(json "$out" accuracy)
            SEC[$name|$which]=$(json "$out" seconds)
            if [[ "$which" == fasttext-tuned ]]; then
                EXTRA[$name]=$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
runs = ", ".join(
    "lr %s: test %.3f%s" % (x["lr"], x["accuracy"],
        "" if x.get("valid_accuracy") is None else ", valid %.3f" % x["valid_accuracy"])
    for x in r["runs"])
print("best lr %s (chosen on %s); %s" % (r["best_lr"], r["chosen_on"], runs))
' "$out")
            fi
        else
            note "   $which failed; see $RUN_DIR/$name-$which.log"
            ACC[$name|$which]=fail
        fi
        progress "$which"
    done
done

# ------------------------------------------------------------------ report
cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: *//' || true)"
mem="$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || true)"
versions="$("$PY" -c '
import importlib.metadata as m
print(", ".join("%s %s" % (p, m.version(p)) for p in ("fasttext", "scikit-learn", "numpy")))')"
tuned_lr() { # the best lr of fasttext-tuned, for the table
    local f="$RUN_DIR/$1-fasttext-tuned.json"
    [[ -s "$f" ]] && printf ' (lr %s)' "$(json "$f" best_lr)" || true
}

{
    echo "# textnn vs reference anchors: test accuracy"
    echo
    echo "- date: $(date '+%Y-%m-%d %H:%M:%S %Z')"
    echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, ${mem:-? memory}"
    echo "- textnn commit: $commit; binary: ${BIN:-not run}"
    echo "- textnn flags: ${TEXTNN_FLAGS:-(defaults)}"
    echo "- anchors: $versions"
    echo
    echo "Accuracy = P@1 on test.txt: the top-scored label is one of the gold labels"
    echo "(plain accuracy on single-label data)."
    echo
    echo "| dataset | textnn default | fastText default | fastText tuned (best lr) | sklearn TF-IDF LR | sklearn TF-IDF SGD |"
    echo "|---|---:|---:|---:|---:|---:|"
    for data in "${DATA[@]}"; do
        n="$(basename "$data")"
        printf '| %s | %s | %s | %s%s | %s | %s |\n' "$n" \
            "$(fmt "${ACC[$n|textnn]:-}" 3)" "$(fmt "${ACC[$n|fasttext-default]:-}" 3)" \
            "$(fmt "${ACC[$n|fasttext-tuned]:-}" 3)" "$(tuned_lr "$n")" \
            "$(fmt "${ACC[$n|sklearn-lr]:-}" 3)" "$(fmt "${ACC[$n|sklearn-sgd]:-}" 3)"
    done
    echo
    echo "Wall seconds (textnn: \`train\` + \`test\` processes, model file written and read back;"
    echo "anchors: reading the data, training and scoring inside Python, start-up not counted;"
    echo "fastText tuned: the run of the chosen lr)."
    echo
    echo "| dataset | textnn default | fastText default | fastText tuned (best lr) | sklearn TF-IDF LR | sklearn TF-IDF SGD |"
    echo "|---|---:|---:|---:|---:|---:|"
    for data in "${DATA[@]}"; do
        n="$(basename "$data")"
        row="| $n"
        for c in "${COLUMNS_ALL[@]}"; do row+=" | $(fmt "${SEC[$n|$c]:-}" 1)"; done
        echo "$row |"
    done
    if wants textnn; then
        echo
        echo "textnn (train + test):"
        echo
        for data in "${DATA[@]}"; do
            n="$(basename "$data")"
            if [[ -n "${TEXTNN_NOTE[$n]:-}" ]]; then echo "- $n: ${TEXTNN_NOTE[$n]}"; fi
        done
    fi
    if wants fasttext-tuned; then
        echo
        echo "fastText tuned = epoch 25, wordNgrams 2, dim 100, bucket 2000000, thread 2, lr 0.5 and 1.0;"
        echo "the lr is chosen on valid.txt where there is one. Multi-threaded fastText is not deterministic."
        echo
        for data in "${DATA[@]}"; do
            n="$(basename "$data")"
            if [[ -n "${EXTRA[$n]:-}" ]]; then echo "- $n: ${EXTRA[$n]}"; fi
        done
    fi
    echo
    echo "sklearn: TfidfVectorizer(sublinear_tf=True, ngram_range=(1,2), min_df=1, lowercase=True);"
    echo "LR = one-vs-rest LogisticRegression(C=10, solver=liblinear, dual=True, max_iter=2000);"
    echo "SGD = one-vs-rest SGDClassifier(loss=modified_huber, alpha=1e-5, random_state=0);"
    echo "multi-label data: one binary model per label, top decision_function score."
    echo
    echo "Raw results: bench/out/accuracy-$STAMP/"
} >"$REPORT"

echo
cat "$REPORT"
note ""
note "written to $REPORT"
