#!/usr/bin/env bash
# Does training memory grow with the corpus? Trains on 1, 4 and 16 copies of a training file
# and reports, per corpus size, the peak resident memory of `textnn train` split into anonymous
# memory (heap: what cannot be paged out without swap) and file-backed memory (the memory-mapped
# training cache, which the kernel evicts and reads again under memory pressure).
#
# Usage: bench/stream_memory.sh TRAIN_FILE [COPIES...]   (default copies: 1 4 16)
# Environment: TEXTNN_BIN (default: builds target/release/textnn), FLAGS (extra train flags,
# default "--preset fasttext --epochs 1 --threads 2"), OTHER_BIN (a second binary to compare,
# e.g. an older textnn that reads the file whole).
# Writes bench/out/stream-memory-<date>.md.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 TRAIN_FILE [COPIES...]" >&2
  exit 2
fi
train=$1
shift
copies=("$@")
[ ${#copies[@]} -gt 0 ] || copies=(1 4 16)
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${TEXTNN_BIN:-}" ]; then
  (cd "$root" && cargo build --release -q -p textnn-cli)
  TEXTNN_BIN=$root/target/release/textnn
fi
FLAGS=${FLAGS:---preset fasttext --epochs 1 --threads 2}
work=$(mktemp -d "${TMPDIR:-/tmp}/stream-memory.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$root/bench/out"
report=$root/bench/out/stream-memory-$(date +%Y-%m-%d-%H%M%S).md

# Peak VmRSS, RssAnon and RssFile of a command, sampled every 10 ms from /proc.
peak() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peaks = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
start = time.time()
while p.poll() is None:
    try:
        with open(f"/proc/{p.pid}/status") as f:
            for line in f:
                key = line.split(":")[0]
                if key in peaks:
                    peaks[key] = max(peaks[key], int(line.split()[1]))
    except FileNotFoundError:
        break
    time.sleep(0.01)
wall = time.time() - start
if p.wait() != 0:
    sys.exit(f"failed: {' '.join(sys.argv[1:])}")
print(f"{wall:.1f} {peaks['VmRSS'] / 1024:.0f} {peaks['RssAnon'] / 1024:.0f} {peaks['RssFile'] / 1024:.0f}")
PY
}

{
  echo "# Training memory against corpus size"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores; train file $(basename "$train") ($(wc -c < "$train") bytes); flags: $FLAGS"
  echo
  echo "| binary | copies | corpus MB | wall s | peak RSS MB | peak anonymous MB | peak file-backed MB |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
} > "$report"
for n in "${copies[@]}"; do
  corpus=$work/corpus-$n.txt
  : > "$corpus"
  for _ in $(seq 1 "$n"); do cat "$train" >> "$corpus"; done
  mb=$(( $(wc -c < "$corpus") / 1048576 ))
  for bin in "$TEXTNN_BIN" ${OTHER_BIN:-}; do
    # shellcheck disable=SC2086
    read -r wall rss anon file < <(peak "$bin" train "$corpus" -o "$work/model" -q $FLAGS)
    echo "| $(basename "$bin") | $n | $mb | $wall | $rss | $anon | $file |" | tee -a "$report"
  done
  rm -f "$corpus"
done
echo "wrote $report"
