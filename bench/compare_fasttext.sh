#!/usr/bin/env bash
# Speed, memory and accuracy of textnn against fastText with identical
# hyperparameters: dim 100, epochs 5, lr 0.1, softmax, min count 1, word
# n-grams 1 and again 2 (2,000,000 buckets), fastText with 2 threads.
# The tools run alternately, RUNS times each (default 3); medians are shown.
# Prediction is measured at k=1 and k=5 (top 5 labels per line).
#
# Each setting runs on a quiet machine and again on a busy one: a bounded
# competing process (a busy loop under `timeout`, so it can never outlive
# its limit) pinned to one core with taskset, started by the script before
# the busy runs and stopped right after them (and on any exit). The report
# has one table per machine state.
#
# Usage: bench/compare_fasttext.sh DATASET_DIR
#
# DATASET_DIR holds train.txt and test.txt in fastText format.
#
# Environment:
#   RUNS          runs per tool and setting [3]
#   NGRAMS        word n-gram settings to run [1 2]
#   MACHINE       machine states to run, in order [quiet busy]
#   BUSY_CORE     the core the competing process is pinned to [0]
#   PREDICT_MIN_LINES  lines to predict at least (test.txt repeated) [100000];
#                 more lines make "load excluded" steadier when loading varies
#   TEXTNN_TRAIN_ARGS  textnn train options replacing the shared settings
#                 (e.g. "--preset default": textnn's default against
#                 fastText's settings); NGRAMS then only sets fastText's
#   TEXTNN_BIN    textnn binary to use; when set, nothing is built
#   FASTTEXT_BIN  a fastText command-line binary; when set it replaces the
#                 Python package (export its LD_LIBRARY_PATH first if needed)
#   PYTHON        Python used to create bench/.venv [python3]
#
# Every measured command runs as its own process under /usr/bin/time -v:
# wall seconds from the clock around it, peak RSS from time's report. When
# /usr/bin/time is missing and the script runs as root it installs Debian's
# `time` package with apt-get.
#
# Writes the report to bench/out/fasttext-<date>.md and the raw figures and
# logs under bench/out/fasttext-<date>/.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
HELPER="$BENCH_DIR/fasttext_bench.py"
STAMP="$(date +%Y-%m-%d-%H%M%S)"
OUT_DIR="$BENCH_DIR/out"
RUN_DIR="$OUT_DIR/fasttext-$STAMP"
REPORT="$OUT_DIR/fasttext-$STAMP.md"
RUNS="${RUNS:-3}"
read -r -a NGRAM_LIST <<<"${NGRAMS:-1 2}"
read -r -a MACHINE_LIST <<<"${MACHINE:-quiet busy}"
BUSY_CORE="${BUSY_CORE:-0}"
# The settings both tools share.
DIM=100 EPOCHS=5 LR=0.1 BUCKETS=2000000 THREADS=2
PREDICT_MIN_LINES="${PREDICT_MIN_LINES:-100000}"

note() { printf '%s\n' "$*" >&2; }
# shellcheck source=bench/venv.sh
source "$BENCH_DIR/venv.sh"
now() { date +%s.%N; }

if (($# != 1)); then
    note "usage: bench/compare_fasttext.sh DATASET_DIR"
    exit 2
fi
DATA="$(cd "$1" && pwd)"
for f in train.txt test.txt; do
    [[ -f "$DATA/$f" ]] || { note "no $f in $DATA"; exit 2; }
done
TRAIN="$DATA/train.txt"
TEST="$DATA/test.txt"

commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ "$commit" != unknown && -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit="$commit (with uncommitted changes)"
fi

# ------------------------------------------------------------ /usr/bin/time
if [[ ! -x /usr/bin/time ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        note "installing /usr/bin/time (apt-get install -y time)"
        apt-get install -y -qq time >&2 || { apt-get update -qq >&2 && apt-get install -y -qq time >&2; }
    fi
    [[ -x /usr/bin/time ]] || { note "/usr/bin/time (GNU time) is needed: apt-get install time"; exit 2; }
fi

# ------------------------------------------------------------ Python venv
# Always needed: the report is written by the helper.
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
# Use --threads only where this textnn has it.
declare -a TEXTNN_THREADS=()
if "$BIN" train --help 2>/dev/null | grep -q -- '--threads'; then
    TEXTNN_THREADS=(--threads "$THREADS")
    textnn_threads_note="$THREADS threads"
else
    textnn_threads_note="1 thread (this textnn train has no --threads)"
fi

if [[ -n "${FASTTEXT_BIN:-}" ]]; then
    # The command line always writes a .vec file next to the model, inside
    # the measured train time.
    ft_version="fastText command line $FASTTEXT_BIN (train includes writing its .vec file)"
else
    ft_version="fastText $("$PY" -c 'import importlib.metadata as m; print(m.version("fasttext"))') (Python package, run as a script)"
fi

mkdir -p "$RUN_DIR"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/textnn-ftbench.XXXXXX")"

# ------------------------------------------------------------ busy machine
# The competing process: one core kept busy by a shell loop, pinned with
# taskset, under `timeout` so that even a script killed with SIGKILL
# leaves it running for at most BUSY_LIMIT seconds.
BUSY_PID=""
BUSY_LIMIT=3600
start_load() {
    command -v taskset >/dev/null || { note "taskset (util-linux) is needed for the busy machine"; exit 2; }
    taskset -c "$BUSY_CORE" timeout "$BUSY_LIMIT" sh -c 'while :; do :; done' &
    BUSY_PID=$!
    note "-- busy machine: competing process $BUSY_PID pinned to core $BUSY_CORE"
}
stop_load() {
    if [[ -n "$BUSY_PID" ]]; then
        kill "$BUSY_PID" 2>/dev/null || true
        wait "$BUSY_PID" 2>/dev/null || true
        BUSY_PID=""
    fi
}
trap 'stop_load; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# The prediction input: test.txt repeated to at least PREDICT_MIN_LINES lines, and an
# empty file whose run measures start-up and model load only.
test_lines=$(wc -l <"$TEST")
repeats=$(((PREDICT_MIN_LINES + test_lines - 1) / test_lines))
PREDICT_FILE="$TMP/predict.txt"
for ((i = 0; i < repeats; i++)); do cat "$TEST"; done >"$PREDICT_FILE"
predict_lines=$(wc -l <"$PREDICT_FILE")
EMPTY_FILE="$TMP/empty.txt"
: >"$EMPTY_FILE"
train_tokens=$(wc -w <"$TRAIN")

# measure NAME CMD... : runs CMD (stdout to $RUN_DIR/NAME.out, stderr to
# NAME.log) under /usr/bin/time -v; sets SECONDS_TAKEN and RSS_KB.
measure() {
    local name="$1"
    shift
    local t0 t1
    t0=$(now)
    if ! /usr/bin/time -v -o "$RUN_DIR/$name.time" "$@" >"$RUN_DIR/$name.out" 2>"$RUN_DIR/$name.log"; then
        note "   failed: $*; see $RUN_DIR/$name.log"
        return 1
    fi
    t1=$(now)
    SECONDS_TAKEN=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
    RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$RUN_DIR/$name.time")
}

# record NGRAMS TOOL RUN KEY VALUE: one raw figure, in the current
# machine state's results file.
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RESULTS"; }

# Logs and time reports are named by tool, machine state ($machine, set by
# the main loop), n-grams and run.
run_textnn() { # run_textnn NGRAMS RUN
    local n="$1" r="$2" tag="textnn-$machine-ng$1-run$2" model="$TMP/textnn.model"
    if [[ -n "${TEXTNN_TRAIN_ARGS:-}" ]]; then
        # shellcheck disable=SC2086 # options, split on purpose
        measure "$tag-train" "$BIN" train "$TRAIN" -o "$model" $TEXTNN_TRAIN_ARGS
    else
        measure "$tag-train" "$BIN" train "$TRAIN" -o "$model" --preset fasttext --dim "$DIM" \
            --epochs "$EPOCHS" --lr "$LR" --word-ngrams "$n" --buckets "$BUCKETS" "${TEXTNN_THREADS[@]}"
    fi
    record "$n" textnn "$r" train_s "$SECONDS_TAKEN"
    record "$n" textnn "$r" train_rss_kb "$RSS_KB"
    record "$n" textnn "$r" model_bytes "$(stat -c %s "$model")"
    local train_s=$SECONDS_TAKEN
    measure "$tag-test" "$BIN" test "$model" "$TEST" --json
    local acc
    acc=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["accuracy"])' "$RUN_DIR/$tag-test.out")
    record "$n" textnn "$r" accuracy "$acc"
    measure "$tag-predict" "$BIN" predict "$model" "$PREDICT_FILE"
    record "$n" textnn "$r" predict_s "$SECONDS_TAKEN"
    record "$n" textnn "$r" predict_rss_kb "$RSS_KB"
    local predict_s=$SECONDS_TAKEN
    measure "$tag-predict5" "$BIN" predict "$model" "$PREDICT_FILE" -k 5
    record "$n" textnn "$r" predict5_s "$SECONDS_TAKEN"
    local predict5_s=$SECONDS_TAKEN
    measure "$tag-empty" "$BIN" predict "$model" "$EMPTY_FILE"
    record "$n" textnn "$r" empty_s "$SECONDS_TAKEN"
    note "   textnn   run $r: train ${train_s}s, accuracy $acc, predict ${predict_s}s (k=5 ${predict5_s}s), load ${SECONDS_TAKEN}s"
    rm -f "$model" "$RUN_DIR/$tag-predict.out" "$RUN_DIR/$tag-predict5.out"
}

run_fasttext() { # run_fasttext NGRAMS RUN
    local n="$1" r="$2" tag="fasttext-$machine-ng$1-run$2" model acc
    if [[ -n "${FASTTEXT_BIN:-}" ]]; then
        model="$TMP/fasttext.bin"
        measure "$tag-train" "$FASTTEXT_BIN" supervised -input "$TRAIN" -output "$TMP/fasttext" \
            -dim "$DIM" -epoch "$EPOCHS" -lr "$LR" -wordNgrams "$n" -bucket "$BUCKETS" \
            -thread "$THREADS" -loss softmax -minCount 1 -verbose 0
    else
        model="$TMP/fasttext.bin"
        measure "$tag-train" "$PY" "$HELPER" train "$TRAIN" "$model" --dim "$DIM" \
            --epoch "$EPOCHS" --lr "$LR" --word-ngrams "$n" --bucket "$BUCKETS" --thread "$THREADS"
    fi
    record "$n" fasttext "$r" train_s "$SECONDS_TAKEN"
    record "$n" fasttext "$r" train_rss_kb "$RSS_KB"
    record "$n" fasttext "$r" model_bytes "$(stat -c %s "$model")"
    local train_s=$SECONDS_TAKEN
    if [[ -n "${FASTTEXT_BIN:-}" ]]; then
        measure "$tag-test" "$FASTTEXT_BIN" test "$model" "$TEST" 1
        acc=$(awk '$1 == "P@1" {print $2}' "$RUN_DIR/$tag-test.out")
        measure "$tag-predict" "$FASTTEXT_BIN" predict "$model" "$PREDICT_FILE" 1
        local predict_s=$SECONDS_TAKEN
        measure "$tag-predict5" "$FASTTEXT_BIN" predict "$model" "$PREDICT_FILE" 5
    else
        measure "$tag-test" "$PY" "$HELPER" test "$model" "$TEST"
        acc=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["accuracy"])' "$RUN_DIR/$tag-test.out")
        measure "$tag-predict" "$PY" "$HELPER" predict "$model" "$PREDICT_FILE"
        local predict_s=$SECONDS_TAKEN
        measure "$tag-predict5" "$PY" "$HELPER" predict "$model" "$PREDICT_FILE" --k 5
    fi
    local predict5_s=$SECONDS_TAKEN
    record "$n" fasttext "$r" accuracy "$acc"
    record "$n" fasttext "$r" predict_s "$predict_s"
    record "$n" fasttext "$r" predict5_s "$predict5_s"
    record "$n" fasttext "$r" predict_rss_kb "$RSS_KB"
    if [[ -n "${FASTTEXT_BIN:-}" ]]; then
        measure "$tag-empty" "$FASTTEXT_BIN" predict "$model" "$EMPTY_FILE" 1
    else
        measure "$tag-empty" "$PY" "$HELPER" predict "$model" "$EMPTY_FILE"
    fi
    record "$n" fasttext "$r" empty_s "$SECONDS_TAKEN"
    note "   fastText run $r: train ${train_s}s, accuracy $acc, predict ${predict_s}s (k=5 ${predict5_s}s), load ${SECONDS_TAKEN}s"
    rm -f "$model" "$TMP/fasttext.vec" "$RUN_DIR/$tag-predict.out" "$RUN_DIR/$tag-predict5.out"
}

note "== $(basename "$DATA"): $train_tokens training tokens, predicting $predict_lines lines"
declare -A LOAD_AVERAGE=()
for machine in "${MACHINE_LIST[@]}"; do
    case "$machine" in
    quiet | busy) ;;
    *) note "MACHINE lists quiet and busy, not $machine"; exit 2 ;;
    esac
    RESULTS="$RUN_DIR/results-$machine.tsv"
    : >"$RESULTS"
    [[ "$machine" == busy ]] && start_load
    for n in "${NGRAM_LIST[@]}"; do
        note "-- $machine machine, word n-grams $n"
        for ((r = 1; r <= RUNS; r++)); do
            run_textnn "$n" "$r"
            run_fasttext "$n" "$r"
        done
    done
    # The load averages as the runs end (the busy loop itself counts 1).
    LOAD_AVERAGE[$machine]="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
    stop_load
done

# ------------------------------------------------------------------ report
cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: *//' || true)"
mem="$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || true)"
{
    echo "# textnn vs fastText: speed, memory, accuracy on $(basename "$DATA")"
    echo
    echo "- date: $(date '+%Y-%m-%d %H:%M:%S %Z')"
    echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, ${mem:-? memory}"
    echo "- textnn commit: $commit; binary: $BIN; $textnn_threads_note"
    echo "- fastText: $ft_version; $THREADS threads"
    echo "- both: dim $DIM, epochs $EPOCHS, lr $LR (linear decay), softmax, min count 1,"
    echo "  buckets $BUCKETS (fastText drops buckets when word n-grams is 1)"
    echo "- data: $train_tokens whitespace tokens in train.txt; $test_lines test lines;"
    echo "  prediction input = test.txt $repeats times ($predict_lines lines)"
    echo "- medians of $RUNS runs per tool, tools alternating"
    if [[ -n "${TEXTNN_TRAIN_ARGS:-}" ]]; then
        echo "- textnn trained with: $TEXTNN_TRAIN_ARGS (not the shared settings)"
    fi
    echo
    echo "tokens/s = training tokens x epochs / train wall s. Every figure is one whole"
    echo "process: train includes reading the data and writing the model; predict includes"
    echo "start-up and loading the model, and \"load excluded\" subtracts the same command"
    echo "on an empty file. fastText run through Python includes the interpreter's"
    echo "start-up and import in train and in the load time."
    echo
    for machine in "${MACHINE_LIST[@]}"; do
        if [[ "$machine" == busy ]]; then
            echo "Busy machine: one core ($BUSY_CORE) kept busy by a competing process throughout."
        else
            echo "Quiet machine: nothing started by the script besides the tools."
        fi
        echo "Load average (1, 5, 15 min) as the $machine runs ended: ${LOAD_AVERAGE[$machine]}."
        echo
        "$PY" "$HELPER" report "$RUN_DIR/results-$machine.tsv" --ngrams "${NGRAM_LIST[@]}" \
            --train-tokens "$train_tokens" --epochs "$EPOCHS" --predict-lines "$predict_lines" \
            --machine "$machine"
    done
    echo "Raw results: bench/out/fasttext-$STAMP/results-{$(IFS=,; echo "${MACHINE_LIST[*]}")}.tsv"
} >"$REPORT"

echo
cat "$REPORT"
note ""
note "written to $REPORT"
