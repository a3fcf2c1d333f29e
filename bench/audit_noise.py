#!/usr/bin/env python3
"""How well `textnn audit` finds labels changed at random (issue 19's bar).

Makes a noisy copy of a fastText-format training file (a seeded sample of
--rate of its lines gets its first label changed to another label of the
file, chosen uniformly), runs `textnn audit` on it, and scores the ranking
of likely mislabelled examples: the share of the changed lines within the
first 5 % of the examples (5 % of the lines, i.e. 2.5 times the number
changed at --rate 0.02), and within the first as many as were changed
(R-precision, a stricter view). The baseline is an out-of-fold model's confidence:
`textnn cv --preset fasttext --predictions` with every example ranked by the
probability its fold's model gives its (noisy) label, lowest first.

    python3 bench/audit_noise.py /work/shared/datasets/ha_intents/train.txt \
        --textnn target/release/textnn --work /tmp/audit-ha

Prints one JSON object with both recalls, the finding counts and the
commands run. Not part of CI.
"""

import argparse
import json
import math
import random
import subprocess
import sys
import time
from pathlib import Path

PREFIX = "__label__"


def make_noisy(source: Path, target: Path, rate: float, seed: int) -> set:
    """Writes the noisy copy; returns the 1-based lines that were changed."""
    lines = source.read_text(encoding="utf-8").splitlines()
    labels = sorted({w for line in lines for w in line.split() if w.startswith(PREFIX)})
    labelled = [i for i, line in enumerate(lines) if line.split() and line.split()[0].startswith(PREFIX)]
    rng = random.Random(seed)
    changed = sorted(rng.sample(labelled, round(rate * len(labelled))))
    for i in changed:
        words = lines[i].split(" ")
        others = [label for label in labels if label != words[0]]
        words[0] = rng.choice(others)
        lines[i] = " ".join(words)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {i + 1 for i in changed}


def run(command: list) -> str:
    print("$ " + " ".join(command), file=sys.stderr)
    started = time.time()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    print(f"  {time.time() - started:.1f}s", file=sys.stderr)
    return done.stdout


def recall_at(ranked_lines: list, changed: set, cut: int) -> float:
    return len(changed.intersection(ranked_lines[:cut])) / len(changed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("--textnn", default="target/release/textnn")
    parser.add_argument("--work", type=Path, required=True, help="folder for the noisy copy and outputs")
    parser.add_argument("--rate", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1, help="seed of the noise")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--audit-options", default="", help="extra options for textnn audit, e.g. '--preset fasttext'")
    parser.add_argument("--baseline-options", default="", help="extra options for the baseline's textnn cv, e.g. '--epochs 25'")
    parser.add_argument("--skip-audit", action="store_true", help="run the baseline only")
    args = parser.parse_args()

    args.work.mkdir(parents=True, exist_ok=True)
    noisy = args.work / "noisy.txt"
    changed = make_noisy(args.train, noisy, args.rate, args.seed)
    n = sum(1 for line in noisy.read_text(encoding="utf-8").splitlines() if line.strip())
    cut = math.ceil(0.05 * n)
    common = ["--folds", str(args.folds), "--threads", str(args.threads), "--quiet"]

    audit_command = [args.textnn, "audit", str(noisy), "--json", *common, *args.audit_options.split()]
    started = time.time()
    found = {"mislabelled": []}
    if not args.skip_audit:
        audit_text = run(audit_command)
        (args.work / "audit.json").write_text(audit_text, encoding="utf-8")
        found = json.loads(audit_text)
    audit_seconds = time.time() - started
    audit_ranked = [s["line"] for s in found["mislabelled"]]

    predictions = args.work / "oof_fasttext.jsonl"
    baseline_command = [args.textnn, "cv", str(noisy), "--preset", "fasttext",
                        "--predictions", str(predictions), *common, *args.baseline_options.split()]
    started = time.time()
    run(baseline_command)
    baseline_seconds = time.time() - started
    oof = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
    baseline_ranked = [p["line"] for p in sorted(oof, key=lambda p: p["given_probability"])]

    print(json.dumps({
        "data": str(args.train),
        "examples": n,
        "changed": len(changed),
        "first_5_percent": cut,
        "audit_recall_at_5_percent": round(recall_at(audit_ranked, changed, cut), 4),
        "audit_recall_at_changed": round(recall_at(audit_ranked, changed, len(changed)), 4),
        "audit_findings": len(audit_ranked),
        "audit_recall_all_findings": round(recall_at(audit_ranked, changed, len(audit_ranked)), 4),
        "audit_seconds": round(audit_seconds, 1),
        "baseline_recall_at_5_percent": round(recall_at(baseline_ranked, changed, cut), 4),
        "baseline_recall_at_changed": round(recall_at(baseline_ranked, changed, len(changed)), 4),
        "baseline_seconds": round(baseline_seconds, 1),
        "audit_command": " ".join(audit_command),
        "baseline_command": " ".join(baseline_command),
    }, indent=2))


if __name__ == "__main__":
    main()
