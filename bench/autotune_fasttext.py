#!/usr/bin/env python3
"""fastText half of bench/compare_autotune.sh: `fasttext supervised
-autotune-validation VALID -autotune-duration SECONDS` through the Python
binding, then P@1 of the chosen model on the test file, as one JSON object:

    autotune_fasttext.py --train T --valid V --test X --duration 60 --thread 2

{"accuracy": P@1 on test, "valid_accuracy": P@1 on valid, "seconds": wall
seconds of the search and the final retraining, "args": the chosen settings}

The metric is fastText's default, f1 over all predictions with k = 1: on
single-label data every example has one gold label and one prediction, so
it equals accuracy.

fastText 0.9.3's autotune can stop with `RuntimeError: Encountered NaN.`
when a trial (or the final retraining) diverges (fastText issues #385,
#465); multi-threaded fastText is not deterministic, so such a run is
retried, up to --attempts times, and the JSON counts the failed attempts.
"""

import argparse
import json
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--valid", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--duration", type=int, required=True)
    parser.add_argument("--thread", type=int, default=2)
    parser.add_argument("--attempts", type=int, default=3)
    args = parser.parse_args()

    import fasttext

    failures = []
    model = None
    while model is None:
        started = time.perf_counter()
        try:
            model = fasttext.train_supervised(
                input=args.train,
                autotuneValidationFile=args.valid,
                autotuneDuration=args.duration,
                thread=args.thread,
            )
        except RuntimeError as e:
            failures.append("%s after %.1f s" % (e, time.perf_counter() - started))
            print("fastText autotune failed: %s" % failures[-1], file=sys.stderr)
            if len(failures) == args.attempts:
                json.dump({"accuracy": None, "failed_attempts": failures}, sys.stdout)
                sys.stdout.write("\n")
                sys.exit(1)
    seconds = time.perf_counter() - started
    _, test_p1, _ = model.test(args.test, k=1)
    _, valid_p1, _ = model.test(args.valid, k=1)
    chosen = {
        name: getattr(model, name, None)
        for name in ("lr", "epoch", "dim", "wordNgrams", "minn", "maxn", "bucket")
    }
    chosen["loss"] = str(model.loss).split(".")[-1]
    json.dump(
        {
            "accuracy": test_p1,
            "valid_accuracy": valid_p1,
            "seconds": seconds,
            "args": chosen,
            "failed_attempts": failures,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
