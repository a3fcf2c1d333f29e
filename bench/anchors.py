#!/usr/bin/env python3
"""Reference anchors for bench/compare_accuracy.sh: fastText and scikit-learn
classifiers trained and scored on fastText-format files.

Prints one JSON object on stdout:

    {"which": ..., "accuracy": P@1 on --test, "seconds": wall seconds, ...}

"accuracy" is fastText's P@1: the share of test lines whose top-scored label
is one of the line's gold labels (plain accuracy when each line has one label).
"seconds" runs from reading the training file to the end of scoring the test
file (Python start-up and imports are not counted).

Lines are parsed the way fastText reads them: split on ASCII whitespace
(space, \\t, \\n, \\v, \\f, \\r, \\0); every token that starts with __label__ is a
label wherever it stands, the other tokens are the text. fastText itself reads
the files directly.
"""

import argparse
import json
import os
import re
import sys
import time
import warnings

LABEL_PREFIX = "__label__"
# fastText's Dictionary::readWord breaks words on exactly these bytes.
_SPLIT = re.compile(r"[ \t\n\v\f\r\0]+")
# The anchors, in the order compare_accuracy.sh shows them.
WHICH = [
    "fasttext-default",
    "fasttext-tuned",
    "fasttext-char",
    "sklearn-lr",
    "sklearn-sgd",
    "sklearn-char-lr",
    "sklearn-char-sgd",
]


def read_fasttext(path):
    """Returns (texts, label_lists); lines without a label are skipped, as
    fastText skips them when it tests."""
    texts, labels = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            tokens = [t for t in _SPLIT.split(line) if t]
            gold = [t[len(LABEL_PREFIX):] for t in tokens if t.startswith(LABEL_PREFIX)]
            if not gold:
                continue
            words = [t for t in tokens if not t.startswith(LABEL_PREFIX)]
            # Keep the order of first appearance, drop repeats.
            labels.append(list(dict.fromkeys(gold)))
            texts.append(" ".join(words))
    return texts, labels


def fasttext_run(train, test, valid, **params):
    import fasttext

    start = time.perf_counter()
    model = fasttext.train_supervised(input=train, verbose=0, **params)
    n, p_at_1, _ = model.test(test, k=1)
    seconds = time.perf_counter() - start
    out = {"accuracy": p_at_1, "seconds": seconds, "examples": n, "params": params}
    if valid:
        out["valid_accuracy"] = model.test(valid, k=1)[1]
    return out


def run_fasttext_default(args):
    res = fasttext_run(args.train, args.test, None, thread=args.threads)
    res["params"] = {"thread": args.threads, "note": "all other settings at fastText defaults"}
    return res


def run_fasttext_tuned(args, minn=0, maxn=0):
    """fastText tuned: 25 epochs, word bigrams, dim 100, each lr of --lrs, the
    lr with the best valid P@1 kept. minn/maxn > 0 adds fastText's character
    n-grams of each word (fasttext-char: -minn 2 -maxn 5), tuned the same way."""
    settings = {"epoch": 25, "wordNgrams": 2, "dim": 100, "bucket": 2_000_000}
    if maxn > 0:
        settings.update({"minn": minn, "maxn": maxn})
    runs = []
    for lr in args.lrs:
        r = fasttext_run(
            args.train, args.test, args.valid, lr=lr, thread=args.threads, **settings
        )
        r["lr"] = lr
        runs.append(r)
    if args.valid:
        best = max(runs, key=lambda r: r["valid_accuracy"])
        chosen_on = "valid"
    else:
        best = max(runs, key=lambda r: r["accuracy"])
        chosen_on = "test (no valid file)"
    return {
        "accuracy": best["accuracy"],
        "valid_accuracy": best.get("valid_accuracy"),
        "seconds": best["seconds"],
        "best_lr": best["lr"],
        "chosen_on": chosen_on,
        "runs": [
            {k: r.get(k) for k in ("lr", "accuracy", "valid_accuracy", "seconds")} for r in runs
        ],
        "params": {
            **settings,
            "thread": args.threads,
            "lr": args.lrs,
            "note": "multi-threaded fastText is not deterministic",
        },
    }


def run_sklearn(args, kind, chars=False):
    """TF-IDF + one-vs-rest LogisticRegression (kind "lr") or SGDClassifier
    (kind "sgd"). chars=True swaps the word uni+bigram features for character
    1-4-grams inside word boundaries (analyzer="char_wb"), same estimators."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    start = time.perf_counter()
    train_texts, train_labels = read_fasttext(args.train)
    test_texts, test_labels = read_fasttext(args.test)
    multilabel = any(len(g) > 1 for g in train_labels)

    if args.sklearn_defaults:
        # Everything at scikit-learn's defaults, as a first try would be
        # written: unigrams, raw tf, LogisticRegression() (lbfgs, C 1,
        # multinomial) and SGDClassifier() (hinge, alpha 1e-4).
        vectorizer = TfidfVectorizer()
        vectorizer_name = "TfidfVectorizer()"
    elif chars:
        # char_wb: n-grams of each whitespace-separated word padded with one
        # space on each side, so "a->b" gives " a-", "a->", "->b" ...: symbols
        # and scripts without spaces get features that the word pattern (2+
        # word characters) drops.
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, min_df=1, lowercase=True
        )
        vectorizer_name = (
            'TfidfVectorizer(analyzer="char_wb", ngram_range=(1,4), sublinear_tf=True, '
            "min_df=1, lowercase=True)"
        )
    else:
        vectorizer = TfidfVectorizer(
            sublinear_tf=True, ngram_range=(1, 2), min_df=1, lowercase=True
        )
        vectorizer_name = (
            "TfidfVectorizer(sublinear_tf=True, ngram_range=(1,2), min_df=1, lowercase=True)"
        )
    x_train = vectorizer.fit_transform(train_texts)
    x_test = vectorizer.transform(test_texts)

    if args.sklearn_defaults:
        base = LogisticRegression() if kind == "lr" else SGDClassifier(random_state=0)
        params = {"estimator": f"{type(base).__name__}() at its defaults",
                  "scheme": "one-vs-rest for multi-label data, else the estimator's own"}
    elif kind == "lr":
        # liblinear fits one binary problem per class (one-vs-rest); wrapping it
        # in OneVsRestClassifier says so explicitly and handles multi-label too.
        # The dual solver reaches the same model as the primal one, but with far
        # more features than documents (word bigrams) it is 2-6x faster: 245 s
        # instead of 558 s on debian_sections, same accuracy.
        base = LogisticRegression(C=args.C, solver="liblinear", dual=True, max_iter=2000)
        params = {"C": args.C, "solver": "liblinear", "dual": True, "max_iter": 2000,
                  "scheme": "one-vs-rest"}
    else:
        base = SGDClassifier(
            loss=args.sgd_loss, alpha=args.alpha, random_state=0, max_iter=1000, tol=1e-3
        )
        params = {"loss": args.sgd_loss, "alpha": args.alpha, "random_state": 0,
                  "scheme": "one-vs-rest"}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if multilabel:
            binarizer = MultiLabelBinarizer()
            y = binarizer.fit_transform(train_labels)
            model = OneVsRestClassifier(base, n_jobs=args.jobs).fit(x_train, y)
            classes = binarizer.classes_
        else:
            y = [g[0] for g in train_labels]
            if args.sklearn_defaults:
                model = base.fit(x_train, y)
            else:
                model = OneVsRestClassifier(base, n_jobs=args.jobs).fit(x_train, y)
            classes = model.classes_
        scores = model.decision_function(x_test)
    if scores.ndim == 1:  # two classes: one score, positive = classes[1]
        top = np.where(scores > 0, 1, 0)
    else:
        top = scores.argmax(axis=1)
    correct = sum(1 for i, gold in zip(top, test_labels) if classes[i] in gold)
    seconds = time.perf_counter() - start
    params.update(
        {
            "vectorizer": vectorizer_name,
            "features": int(x_train.shape[1]),
            "multilabel": multilabel,
        }
    )
    return {
        "accuracy": correct / len(test_labels) if test_labels else 0.0,
        "seconds": seconds,
        "examples": len(test_labels),
        "params": params,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train", required=True, help="fastText-format training file")
    p.add_argument("--test", required=True, help="fastText-format test file")
    p.add_argument("--valid", help="fastText-format validation file (picks the best lr of fasttext-tuned)")
    p.add_argument(
        "--which",
        required=True,
        choices=WHICH,
        help="fasttext-char and sklearn-char-* are the character n-gram variants of "
             "fasttext-tuned and sklearn-* (fastText minn 2 maxn 5; TF-IDF char_wb 1-4)",
    )
    p.add_argument("--threads", type=int, default=2, help="fastText threads [2]")
    p.add_argument("--lrs", type=float, nargs="+", default=[0.5, 1.0],
                   help="learning rates tried by fasttext-tuned and fasttext-char [0.5 1.0]")
    p.add_argument("--C", type=float, default=10.0, help="LogisticRegression C [10]")
    p.add_argument("--alpha", type=float, default=1e-5, help="SGDClassifier alpha [1e-5]")
    p.add_argument("--sgd-loss", default="modified_huber", help="SGDClassifier loss [modified_huber]")
    p.add_argument("--jobs", type=int, default=1, help="scikit-learn one-vs-rest jobs [1]")
    p.add_argument("--sklearn-defaults", action="store_true",
                   help="sklearn-lr/sklearn-sgd with every setting at scikit-learn's defaults "
                        "(TfidfVectorizer(), LogisticRegression(), SGDClassifier()) instead of "
                        "the tuned anchors; --C and --alpha are then ignored")
    args = p.parse_args()
    if args.sklearn_defaults and args.which not in ("sklearn-lr", "sklearn-sgd"):
        p.error("--sklearn-defaults applies to sklearn-lr and sklearn-sgd only, not " + args.which)

    if args.valid and not os.path.exists(args.valid):
        args.valid = None

    if args.which == "fasttext-default":
        res = run_fasttext_default(args)
    elif args.which == "fasttext-tuned":
        res = run_fasttext_tuned(args)
    elif args.which == "fasttext-char":
        res = run_fasttext_tuned(args, minn=2, maxn=5)
    elif args.which == "sklearn-lr":
        res = run_sklearn(args, "lr")
    elif args.which == "sklearn-sgd":
        res = run_sklearn(args, "sgd")
    elif args.which == "sklearn-char-lr":
        res = run_sklearn(args, "lr", chars=True)
    else:
        res = run_sklearn(args, "sgd", chars=True)
    res = {"which": args.which, "train": args.train, "test": args.test, **res}
    json.dump(res, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
