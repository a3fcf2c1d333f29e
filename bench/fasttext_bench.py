#!/usr/bin/env python3
"""fastText half of bench/compare_fasttext.sh, and its report.

Each command is meant to run as its own process under /usr/bin/time -v, so
the wall seconds and peak RSS measured outside include reading the data and
writing or loading the model, as for the textnn CLI:

    fasttext_bench.py train TRAIN MODEL --dim 100 --epoch 5 --lr 0.1 --word-ngrams 2 \\
        --bucket 2000000 --thread 2
    fasttext_bench.py test MODEL TEST          # prints {"examples": N, "accuracy": P@1}
    fasttext_bench.py predict MODEL FILE [--k K]  # top K labels of each line on stdout
    fasttext_bench.py report RESULTS.tsv ...   # Markdown tables of the medians

Python start-up and `import fasttext` (about 0.1-0.3 s) are inside every
measurement; "load excluded" figures subtract a run on an empty file, which
removes them together with the model load.
"""

import argparse
import json
import statistics
import sys


def cmd_train(args):
    import fasttext

    model = fasttext.train_supervised(
        input=args.train,
        dim=args.dim,
        epoch=args.epoch,
        lr=args.lr,
        wordNgrams=args.word_ngrams,
        bucket=args.bucket,
        thread=args.thread,
        loss="softmax",
        minCount=1,
        verbose=0,
    )
    model.save_model(args.model)


def cmd_test(args):
    import fasttext

    model = fasttext.load_model(args.model)
    n, p_at_1, _ = model.test(args.file, k=1)
    json.dump({"examples": n, "accuracy": p_at_1}, sys.stdout)
    sys.stdout.write("\n")


def cmd_predict(args):
    import fasttext

    model = fasttext.load_model(args.model)
    out = sys.stdout
    batch = []

    def flush():
        # A list goes to fastText's C++ multi-line predict in one call, so the
        # Python overhead per line is small (the binding still builds a tuple
        # per line, which the CLI does not).
        labels, _ = model.predict(batch, k=args.k)
        out.write("".join(" ".join(l) + "\n" for l in labels))
        batch.clear()

    with open(args.file, encoding="utf-8", errors="replace") as f:
        for line in f:
            batch.append(line.rstrip("\n"))
            if len(batch) == 10000:
                flush()
    if batch:
        flush()


# ------------------------------------------------------------------ report

# (key, heading, decimals, better) in table order.
METRICS = [
    ("train_s", "train wall s", 1, "lower"),
    ("tokens_per_s", "train tokens/s", 0, "higher"),
    ("train_rss_mb", "train peak RSS MB", 0, "lower"),
    ("accuracy", "test accuracy (P@1)", 4, "higher"),
    ("predict_docs_per_s", "predict docs/s, load included", 0, "higher"),
    ("predict_docs_per_s_no_load", "predict docs/s, load excluded", 0, "higher"),
    ("predict5_docs_per_s_no_load", "predict docs/s at k=5, load excluded", 0, "higher"),
    ("load_s", "load only (empty file) s", 2, "lower"),
    ("predict_rss_mb", "predict peak RSS MB", 0, "lower"),
    ("model_mb", "model file MB", 1, "lower"),
]


def fmt(value, decimals):
    if value is None:
        return "-"
    if decimals == 0:
        return f"{value:,.0f}"
    return f"{value:.{decimals}f}"


def cmd_report(args):
    """RESULTS.tsv rows: ngrams, tool, run, key, value (raw per-run figures)."""
    raw = {}
    for line in open(args.results):
        ngrams, tool, run, key, value = line.rstrip("\n").split("\t")
        raw.setdefault((ngrams, tool, key), []).append(float(value))
    lines_in = args.predict_lines
    tokens = args.train_tokens * args.epochs

    def median(ngrams, tool, key):
        values = raw.get((ngrams, tool, key))
        return statistics.median(values) if values else None

    def derived(ngrams, tool):
        m = {k: median(ngrams, tool, k) for k in
             ("train_s", "accuracy", "predict_s", "empty_s", "train_rss_kb",
              "predict_rss_kb", "model_bytes")}
        # Rates come from the median seconds (for an odd number of runs the
        # same as the median of the per-run rates).
        out = {
            "train_s": m["train_s"],
            "tokens_per_s": tokens / m["train_s"] if m["train_s"] else None,
            "train_rss_mb": m["train_rss_kb"] / 1024 if m["train_rss_kb"] else None,
            "accuracy": m["accuracy"],
            "predict_docs_per_s": lines_in / m["predict_s"] if m["predict_s"] else None,
            "load_s": m["empty_s"],
            "predict_rss_mb": m["predict_rss_kb"] / 1024 if m["predict_rss_kb"] else None,
            "model_mb": m["model_bytes"] / 1e6 if m["model_bytes"] is not None else None,
        }
        for key, name in (("predict_s", "predict_docs_per_s_no_load"),
                          ("predict5_s", "predict5_docs_per_s_no_load")):
            # Each run's prediction less the same run's empty-file run.
            no_load = [p - e for p, e in zip(raw.get((ngrams, tool, key), []),
                                             raw.get((ngrams, tool, "empty_s"), []))]
            no_load = statistics.median(no_load) if no_load else None
            out[name] = lines_in / no_load if no_load and no_load > 0 else None
        return out

    for ngrams in args.ngrams:
        t, f = derived(ngrams, "textnn"), derived(ngrams, "fasttext")
        print(f"### {args.machine} machine, word n-grams {ngrams}"
              + (", 2,000,000 buckets" if ngrams != "1" else ""))
        print()
        print("| metric | textnn | fastText | textnn / fastText | better |")
        print("|---|---:|---:|---:|---|")
        for key, heading, decimals, better in METRICS:
            a, b = t[key], f[key]
            ratio = f"{a / b:.2f}" if a is not None and b else "-"
            print(f"| {heading} | {fmt(a, decimals)} | {fmt(b, decimals)} | {ratio} | {better} |")
        print()
        for tool in ("textnn", "fasttext"):
            secs = raw.get((ngrams, tool, "train_s"), [])
            accs = raw.get((ngrams, tool, "accuracy"), [])
            print(f"- {tool} runs: train s " + ", ".join(f"{s:.1f}" for s in secs)
                  + "; accuracy " + ", ".join(f"{a:.4f}" for a in accs))
        print()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train and save a supervised softmax model")
    t.add_argument("train")
    t.add_argument("model", help="where to write the .bin model")
    t.add_argument("--dim", type=int, default=100)
    t.add_argument("--epoch", type=int, default=5)
    t.add_argument("--lr", type=float, default=0.1)
    t.add_argument("--word-ngrams", type=int, default=1)
    t.add_argument("--bucket", type=int, default=2_000_000)
    t.add_argument("--thread", type=int, default=2)
    s = sub.add_parser("test", help="P@1 of a model on a labelled file")
    s.add_argument("model")
    s.add_argument("file")
    r = sub.add_parser("predict", help="top labels of each line of a file")
    r.add_argument("model")
    r.add_argument("file")
    r.add_argument("--k", type=int, default=1, help="labels per line")
    m = sub.add_parser("report", help="Markdown tables from compare_fasttext.sh's results")
    m.add_argument("results")
    m.add_argument("--ngrams", nargs="+", default=["1", "2"])
    m.add_argument("--train-tokens", type=int, required=True)
    m.add_argument("--epochs", type=int, default=5)
    m.add_argument("--predict-lines", type=int, required=True)
    m.add_argument("--machine", default="quiet", help="quiet or busy, for the headings")
    args = p.parse_args()
    {"train": cmd_train, "test": cmd_test, "predict": cmd_predict,
     "report": cmd_report}[args.command](args)


if __name__ == "__main__":
    main()
