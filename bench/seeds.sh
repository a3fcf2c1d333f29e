#!/usr/bin/env bash
# Test accuracy of textnn over several seeds: bench/seeds.sh DATASET_DIR SEEDS [textnn train options...]
#
# DATASET_DIR holds train.txt, test.txt and (optionally) valid.txt in fastText format.
# Prints the mean valid and test accuracy over seeds 1..SEEDS, the range of test accuracy,
# and the seconds per run. Builds the release binary unless TEXTNN_BIN is set.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 DATASET_DIR SEEDS [textnn train options...]" >&2
  exit 2
fi
dir=$1
seeds=$2
shift 2
if ! [[ "$seeds" =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: SEEDS is how many seeds to run (1 to SEEDS), a positive whole number; got '$seeds'" >&2
  exit 2
fi
if [ ! -f "$dir/train.txt" ] || [ ! -f "$dir/test.txt" ]; then
  echo "$0: $dir needs train.txt and test.txt" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${TEXTNN_BIN:-}" ]; then
  (cd "$root" && cargo build --release -q -p textnn-cli)
  TEXTNN_BIN=$root/target/release/textnn
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
accuracy() { "$TEXTNN_BIN" test "$1" "$2" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])'; }
valid=()
test=()
start=$(date +%s.%N)
for seed in $(seq 1 "$seeds"); do
  "$TEXTNN_BIN" train "$dir/train.txt" -o "$work/model" -q --seed "$seed" "$@"
  if [ -f "$dir/valid.txt" ]; then valid+=("$(accuracy "$work/model" "$dir/valid.txt")"); fi
  test+=("$(accuracy "$work/model" "$dir/test.txt")")
done
end=$(date +%s.%N)
python3 - "$(basename "$dir")" "$seeds" "$start" "$end" "${valid[*]:-}" "${test[*]}" "$*" <<'PY'
import statistics, sys
name, seeds, start, end, valid, test, flags = sys.argv[1:]
t = [float(x) for x in test.split()]
v = [float(x) for x in valid.split()]
vs = f"valid {statistics.mean(v):.4f} " if v else ""
print(f"{name:<16} {vs}test {statistics.mean(t):.4f} (seed 1 {t[0]:.4f}, min {min(t):.4f}, max {max(t):.4f}) "
      f"{(float(end) - float(start)) / int(seeds):6.1f} s/run  {flags or '(defaults)'}")
PY
