#!/usr/bin/env bash
# Load test of `textnn serve` with wrk: requests/s, p50/p99 latency and errors
# for POST /model/parse (one text) and POST /v1/classify (32 texts).
#
#   bench/serve_load.sh MODEL
#   DURATION=30 RUNS=5 bench/serve_load.sh /tmp/ha.textnn
#
# Build a model first, e.g. the Home Assistant intents:
#   cargo run --release -p textnn-cli -- train data/ha_intents/train.txt -o /tmp/ha.textnn
#
# Environment (defaults in brackets):
#   TEXTNN_BIN    binary to run [build target/release/textnn with cargo]
#   DURATION      seconds per measured run [20]
#   WARMUP        seconds of warm-up per scenario, not measured [3]
#   RUNS          measured runs per scenario; the report shows medians [3]
#   CONNECTIONS   wrk connections (keep-alive) [32]
#   WRK_THREADS   wrk threads [1]
#   SERVER_FLAGS  extra `textnn serve` flags, e.g. "--threads 1 --access-log"
#   SCENARIOS     any of "parse classify32" [both]
#
# The server and wrk share the machine, as they do in the issue's bar
# (/model/parse >= 15,000 requests/s, p99 < 10 ms, no errors, on 2 cores).
# Installs wrk with apt-get when it is missing (needs root).
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
}
[[ $# -eq 1 && $1 != -h && $1 != --help ]] || usage
MODEL=$1
[[ -f $MODEL ]] || { echo "serve_load.sh: no model file $MODEL" >&2; exit 1; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
RUNS=${RUNS:-3}
CONNECTIONS=${CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-1}
SERVER_FLAGS=${SERVER_FLAGS:-}
SCENARIOS=${SCENARIOS:-parse classify32}
export WRK_LUA_DIR=$ROOT/bench/wrk

if ! command -v wrk >/dev/null; then
    echo "serve_load.sh: installing wrk (apt-get install -y wrk)" >&2
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

if [[ -z ${TEXTNN_BIN:-} ]]; then
    echo "serve_load.sh: cargo build --release -p textnn-cli" >&2
    (cd "$ROOT" && cargo build --release -p textnn-cli >&2)
    TEXTNN_BIN=$ROOT/target/release/textnn
fi

LOG=$(mktemp -t textnn-serve-load.XXXXXX)
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" || true
    fi
    rm -f "$LOG"
}
trap cleanup EXIT

# Port 0: the server picks a free port and names it on its first log line.
# shellcheck disable=SC2086 # SERVER_FLAGS is a list of flags
"$TEXTNN_BIN" serve "$MODEL" --addr 127.0.0.1:0 $SERVER_FLAGS 2>"$LOG" &
SERVER_PID=$!
ADDR=
for _ in $(seq 100); do
    ADDR=$(grep -o -m1 'http://[0-9.:]*' "$LOG" || true)
    [[ -n $ADDR ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
    sleep 0.1
done
[[ -n $ADDR ]] || { echo "serve_load.sh: the server named no address" >&2; cat "$LOG" >&2; exit 1; }

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "# textnn serve load test, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- textnn $("$TEXTNN_BIN" --version | cut -d' ' -f2), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)')"
echo "- model: $MODEL; server flags: ${SERVER_FLAGS:-none}"
echo "- $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $WRK_THREADS thread(s), $CONNECTIONS keep-alive connections, ${DURATION}s per run, $RUNS runs, medians shown"
echo
echo "| scenario | requests/s | p50 ms | p99 ms | non-2xx (all runs) | socket errors (all runs) | each run's requests/s |"
echo "|---|---:|---:|---:|---:|---:|---|"

for scenario in $SCENARIOS; do
    case $scenario in
        parse) path=/model/parse ;;
        classify32) path=/v1/classify ;;
        *) echo "serve_load.sh: unknown scenario $scenario" >&2; exit 2 ;;
    esac
    script=$ROOT/bench/wrk/$scenario.lua
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$script" "$ADDR$path" >/dev/null
    results=()
    for run in $(seq "$RUNS"); do
        line=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -s "$script" "$ADDR$path" | grep '^RESULT')
        echo "serve_load.sh: $scenario run $run: $line" >&2
        results+=("${line#RESULT }")
    done
    column() { printf '%s\n' "${results[@]}" | awk -v c="$1" '{ print $c }' | median; }
    total() { printf '%s\n' "${results[@]}" | awk -v c="$1" '{ t += $c } END { print t }'; }
    all_rps=$(printf '%s\n' "${results[@]}" | awk '{ printf "%s%.0f", (NR > 1 ? ", " : ""), $1 }')
    printf '| %s %s | %.0f | %.2f | %.2f | %s | %s | %s |\n' \
        "$path" "$([[ $scenario == classify32 ]] && echo '(32 texts)' || echo '(1 text)')" \
        "$(column 1)" "$(column 2)" "$(column 3)" "$(total 4)" "$(total 5)" "$all_rps"
done

echo
echo "Server: $(grep -c . "$LOG") log lines; textnn_http_requests_total from /metrics:"
curl -s "$ADDR/metrics" 2>/dev/null | grep '^textnn_http_requests_total' | sed 's/^/    /' || true
