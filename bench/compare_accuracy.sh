#!/usr/bin/env bash
# Side-by-side test accuracy (and wall seconds) of textnn against reference
# anchors -- fastText (defaults and tuned, words and character n-grams) and
# scikit-learn TF-IDF + linear models (words and character n-grams) -- on the
# same fastText-format data, on this machine.
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
#   RUN           which columns to run on every dataset, any of
#                 textnn fasttext-default fasttext-tuned fasttext-char
#                 sklearn-lr sklearn-sgd sklearn-char-lr sklearn-char-sgd;
#                 unset: the five word columns everywhere, and the three
#                 character n-gram columns too on character-level sets
#   CHAR_SETS     names of the character-level sets [gettext_langid code_langid],
#                 or "all" (every set: the char anchors beside the word ones);
#                 a set not named is character-level when the first 2,000
#                 lines of its train.txt have >= 15 % punctuation/symbol
#                 characters or >= 10 % of letters outside Latin (see char_level)
#   ANCHOR_TIMEOUT  seconds after which an anchor run is stopped and shown as
#                 "timeout" (seconds ">N") [0: no limit]
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
WORD_COLUMNS="textnn fasttext-default fasttext-tuned sklearn-lr sklearn-sgd"
CHAR_COLUMNS="fasttext-char sklearn-char-lr sklearn-char-sgd"
CHAR_SETS="${CHAR_SETS-gettext_langid code_langid}"
ANCHOR_TIMEOUT="${ANCHOR_TIMEOUT:-0}"
# Table order; the anchors are the same names as anchors.py --which.
COLUMNS_ALL=(textnn fasttext-default fasttext-tuned fasttext-char sklearn-lr sklearn-sgd sklearn-char-lr sklearn-char-sgd)
ANCHORS=("${COLUMNS_ALL[@]:1}")
for c in ${RUN:-}; do
    if [[ " ${COLUMNS_ALL[*]} " != *" $c "* ]]; then
        printf 'RUN: unknown column %s (known: %s)\n' "$c" "${COLUMNS_ALL[*]}" >&2
        exit 2
    fi
done
if ! [[ "$ANCHOR_TIMEOUT" =~ ^[0-9]+$ ]]; then
    printf 'ANCHOR_TIMEOUT is whole seconds (0 = no limit), got %s\n' "$ANCHOR_TIMEOUT" >&2
    exit 2
fi

note() { printf '%s\n' "$*" >&2; }
# shellcheck source=bench/venv.sh
source "$BENCH_DIR/venv.sh"
# wants COLUMN: whether COLUMN runs on the dataset in $name (RUN when set,
# else the word columns, plus the character ones on a character-level set).
wants() {
    local run="${RUN:-$WORD_COLUMNS${CHAR_LEVEL[$name]:+ $CHAR_COLUMNS}}"
    [[ " $run " == *" $1 "* ]]
}
# wants_any COLUMN: whether COLUMN runs on at least one dataset.
wants_any() {
    local name
    for name in "${NAMES[@]}"; do wants "$1" && return 0; done
    return 1
}
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

# ------------------------------------------------- character-level datasets
# Whether the character n-gram anchors run on a dataset when RUN is unset:
# named in CHAR_SETS, or text that words do not describe well. Measured on
# the first 2,000 lines of train.txt (labels removed), the shared sets have
# 1-11 % punctuation/symbol characters (Unicode P*, S*) except code_langid
# (22 %), and no letters outside Latin except gettext_langid (33 %).
char_level() { # char_level TRAIN_FILE -> "" or the reason
    "$PY" - "$1" <<'PY'
import itertools, sys, unicodedata
chars = symbols = letters = non_latin = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    for line in itertools.islice(f, 2000):
        for token in line.split():
            if token.startswith("__label__"):
                continue
            for c in token:
                kind = unicodedata.category(c)[0]
                chars += 1
                symbols += kind in "PS"
                letters += kind == "L"
                # U+0250 on is past Latin Extended-B (IPA, Greek, Cyrillic, CJK, ...).
                non_latin += kind == "L" and ord(c) >= 0x250
if chars and symbols / chars >= 0.15:
    print("%.0f %% punctuation/symbol characters" % (100 * symbols / chars))
elif letters and non_latin / letters >= 0.10:
    print("%.0f %% of letters outside Latin" % (100 * non_latin / letters))
PY
}
declare -A CHAR_LEVEL=()
declare -a NAMES=()
for data in "${DATA[@]}"; do
    name="$(basename "$data")"
    NAMES+=("$name")
    if [[ "$CHAR_SETS" == all ]]; then
        CHAR_LEVEL[$name]="CHAR_SETS=all"
    elif [[ " $CHAR_SETS " == *" $name "* ]]; then
        CHAR_LEVEL[$name]="named in CHAR_SETS"
    elif [[ -z "${RUN:-}" ]]; then
        CHAR_LEVEL[$name]="$(char_level "$data/train.txt")"
        [[ -n "${CHAR_LEVEL[$name]}" ]] || unset "CHAR_LEVEL[$name]"
    fi
    if [[ -z "${RUN:-}" && -n "${CHAR_LEVEL[$name]:-}" ]]; then
        note "$name: character-level (${CHAR_LEVEL[$name]}): the char n-gram anchors run too"
    fi
done

# ------------------------------------------------------------------ textnn
if wants_any textnn; then
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
        fail | timeout | ">"*) printf '%s' "$1" ;;
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
            # The `train` process alone, start to exit: reading the data, the
            # probe that chooses epochs (and whatever else the plan tries), the
            # final run and writing the model -- what a user waits for.
            SEC[$name|textnn]=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
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

    for which in "${ANCHORS[@]}"; do
        wants "$which" || continue
        out="$RUN_DIR/$name-$which.json"
        args=(--train "$train" --test "$test" --which "$which")
        if [[ -f "$valid" ]]; then args+=(--valid "$valid"); fi
        limit=()
        if ((ANCHOR_TIMEOUT > 0)); then limit=(timeout "$ANCHOR_TIMEOUT"); fi
        rc=0
        "${limit[@]}" "$PY" "$BENCH_DIR/anchors.py" "${args[@]}" >"$out" 2>"$RUN_DIR/$name-$which.log" || rc=$?
        if ((rc == 0)); then
            ACC[$name|$which]=$(json "$out" accuracy)
            SEC[$name|$which]=$(json "$out" seconds)
            if [[ "$which" == fasttext-tuned || "$which" == fasttext-char ]]; then
                EXTRA[$name|$which]=$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
runs = ", ".join(
    "lr %s: test %.3f%s" % (x["lr"], x["accuracy"],
        "" if x.get("valid_accuracy") is None else ", valid %.3f" % x["valid_accuracy"])
    for x in r["runs"])
print("best lr %s (chosen on %s); %s" % (r["best_lr"], r["chosen_on"], runs))
' "$out")
            fi
        elif ((rc == 124 && ANCHOR_TIMEOUT > 0)); then
            note "   $which stopped after ANCHOR_TIMEOUT=$ANCHOR_TIMEOUT s"
            ACC[$name|$which]=timeout
            SEC[$name|$which]=">$ANCHOR_TIMEOUT"
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
best_lr() { # best_lr DATASET WHICH: " (lr X)" of a tuned fastText run, for the table
    local f="$RUN_DIR/$1-$2.json"
    if [[ -s "$f" ]]; then printf ' (lr %s)' "$(json "$f" best_lr)"; fi
    return 0 # an empty cell, not a failed command under set -e
}
# best_anchor DATASET -> "COLUMN ACCURACY" of the anchor with the highest test
# accuracy (the first in table order on a tie), or nothing when none ran.
best_anchor() {
    local c best="" acc
    for c in "${ANCHORS[@]}"; do
        acc="${ACC[$1|$c]:-}"
        [[ "$acc" =~ ^[0-9.eE+-]+$ ]] || continue
        if [[ -z "$best" ]] || awk -v a="$acc" -v b="${best#* }" 'BEGIN{exit !(a > b)}'; then
            best="$c $acc"
        fi
    done
    printf '%s' "$best"
}
HEADER="| dataset | textnn default | fastText default | fastText tuned (best lr) | fastText char 2-5 (best lr) | sklearn TF-IDF LR | sklearn TF-IDF SGD | sklearn char_wb 1-4 LR | sklearn char_wb 1-4 SGD |"
RULE="|---|---:|---:|---:|---:|---:|---:|---:|---:|"

{
    echo "# textnn vs reference anchors: test accuracy"
    echo
    echo "- date: $(date '+%Y-%m-%d %H:%M:%S %Z')"
    echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, ${mem:-? memory}"
    echo "- textnn commit: $commit; binary: ${BIN:-not run}"
    echo "- textnn flags: ${TEXTNN_FLAGS:-(defaults)}"
    echo "- anchors: $versions"
    if [[ -n "${RUN:-}" ]]; then
        echo "- columns (RUN): $RUN"
    else
        echo "- columns: $WORD_COLUMNS; also $CHAR_COLUMNS on character-level sets:"
        for n in "${NAMES[@]}"; do
            if [[ -n "${CHAR_LEVEL[$n]:-}" ]]; then echo "  $n (${CHAR_LEVEL[$n]})"; fi
        done
    fi
    if ((ANCHOR_TIMEOUT > 0)); then echo "- anchor runs stopped after $ANCHOR_TIMEOUT s (\"timeout\")"; fi
    echo
    echo "Accuracy = P@1 on test.txt: the top-scored label is one of the gold labels"
    echo "(plain accuracy on single-label data). \"-\" = not run."
    echo
    echo "${HEADER% |} | best anchor |"
    echo "$RULE---|"
    for n in "${NAMES[@]}"; do
        row="| $n"
        for c in "${COLUMNS_ALL[@]}"; do
            row+=" | $(fmt "${ACC[$n|$c]:-}" 3)"
            if [[ "$c" == fasttext-tuned || "$c" == fasttext-char ]]; then row+="$(best_lr "$n" "$c")"; fi
        done
        best="$(best_anchor "$n")"
        if [[ -n "$best" ]]; then row+=" | ${best%% *} $(fmt "${best#* }" 3)"; else row+=" | -"; fi
        echo "$row |"
    done
    echo
    echo "Wall seconds. textnn: the \`train\` process, start to exit (reading the data, the probe"
    echo "that chooses the epochs, the final run, writing the model; \`test\` is in the notes)."
    echo "Anchors: reading the data, training and scoring the test file inside Python, start-up"
    echo "not counted; fastText tuned and char: the run of the chosen lr. Last column: textnn's"
    echo "train seconds over those of the most accurate anchor."
    echo
    echo "${HEADER% |} | textnn / best anchor |"
    echo "$RULE---:|"
    for n in "${NAMES[@]}"; do
        row="| $n"
        for c in "${COLUMNS_ALL[@]}"; do row+=" | $(fmt "${SEC[$n|$c]:-}" 1)"; done
        best="$(best_anchor "$n")"
        ratio=-
        if [[ -n "$best" && "${SEC[$n|textnn]:-}" =~ ^[0-9.]+$ ]]; then
            ratio="$(awk -v t="${SEC[$n|textnn]}" -v a="${SEC[$n|${best%% *}]}" \
                'BEGIN{if (a > 0) printf "%.2f", t / a; else printf "-"}')"
        fi
        echo "$row | $ratio |"
    done
    if wants_any textnn; then
        echo
        echo "textnn:"
        echo
        for n in "${NAMES[@]}"; do
            if [[ -n "${TEXTNN_NOTE[$n]:-}" ]]; then echo "- $n: ${TEXTNN_NOTE[$n]}"; fi
        done
    fi
    for c in fasttext-tuned fasttext-char; do
        wants_any "$c" || continue
        echo
        if [[ "$c" == fasttext-tuned ]]; then
            echo "fastText tuned = epoch 25, wordNgrams 2, dim 100, bucket 2000000, thread 2, lr 0.5 and 1.0;"
        else
            echo "fastText char = fastText tuned with minn 2, maxn 5 (character 2-5-grams of each word);"
        fi
        echo "the lr is chosen on valid.txt where there is one. Multi-threaded fastText is not deterministic."
        echo
        for n in "${NAMES[@]}"; do
            if [[ -n "${EXTRA[$n|$c]:-}" ]]; then echo "- $n: ${EXTRA[$n|$c]}"; fi
        done
    done
    echo
    echo "sklearn: TfidfVectorizer(sublinear_tf=True, ngram_range=(1,2), min_df=1, lowercase=True);"
    echo "char_wb 1-4: TfidfVectorizer(analyzer=\"char_wb\", ngram_range=(1,4), sublinear_tf=True,"
    echo "min_df=1, lowercase=True), character 1-4-grams inside each space-padded word;"
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
