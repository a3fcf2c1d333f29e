#!/usr/bin/env bash
# The blog tutorial's data as a train/test pair in fastText format, so that the side-by-side
# scripts (compare_accuracy.sh, seeds.sh) can score it like the other datasets: train.txt is the
# 12 sentences of data/blog-intents.json, test.txt the 6 sentences the tutorial classified
# afterwards, labelled as the tutorial reported them (data/blog-intents.README.md). Six test
# sentences: one is 16.7 points, so this shows only gross failures.
#
# Usage: bench/blog_intents_dataset.sh OUT_DIR
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
python3 - "$root/data/blog-intents.json" "$1/train.txt" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1], encoding="utf-8"))
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for row in rows:
        out.write(f"__label__{row['class']} {row['sentence']}\n")
PY
cat > "$1/test.txt" <<'TXT'
__label__sandwich sudo make me a sandwich
__label__greeting how are you today?
__label__goodbye talk to you tomorrow
__label__greeting who are you?
__label__sandwich make me some lunch
__label__greeting how was your lunch today?
TXT
echo "wrote $1/train.txt (12 sentences) and $1/test.txt (6)"
