"""Makes the fastText fixture models and fastText's predictions for them.

Run by bench/make_fasttext_fixtures.sh (which makes bench/.venv):

    python make_fasttext_fixtures.py FASTTEXT_BIN TRAIN.txt TEST.txt OUT_DIR

FASTTEXT_BIN is fastText's command line, which trains and quantizes; the
`fasttext` package from PyPI (bench/.venv) loads each model and predicts.

Writes to OUT_DIR:
  test.txt               the texts predicted (one per line, no labels)
  NAME.bin / NAME.ftz    one model per fixture (see FIXTURES)
  NAME.expected.json     fastText's predictions for every line of test.txt:
                         the TOP_K labels (threshold 0) with the
                         probabilities fastText's `predict` returns
  manifest.json          each fixture's file and training settings
"""

import json
import os
import sys
import shutil
import subprocess
import tempfile
from importlib.metadata import version

import fasttext

# Labels predicted per text (fastText's `k`), with threshold 0.
TOP_K = 5

# Small on purpose: the models are committed.
COMMON = dict(dim=4, epoch=10, lr=0.1, minCount=3, bucket=500, thread=1, verbose=0)
# Quantization without retraining (no -retrain flag).

# name -> (training settings, quantization settings or None, derived labels)
FIXTURES = {
    "softmax_words": (dict(loss="softmax", wordNgrams=1, maxn=0), None, False),
    "softmax_ngrams": (dict(loss="softmax", wordNgrams=2, minn=2, maxn=4), None, False),
    "hs_words": (dict(loss="hs", wordNgrams=1, maxn=0), None, False),
    # Word n-grams alone, and character n-grams alone.
    "hs_wordngrams": (dict(loss="hs", wordNgrams=3, maxn=0), None, False),
    "ova_words": (dict(loss="ova", wordNgrams=1, maxn=0), None, False),
    "ova_charngrams": (dict(loss="ova", wordNgrams=1, minn=2, maxn=4), None, False),
    "ns_ngrams": (dict(loss="ns", neg=3, wordNgrams=2, minn=2, maxn=3), None, False),
    # dim 5 with sub-vectors of 2: the last sub-quantizer has 1 dimension.
    "softmax_quantized": (
        dict(loss="softmax", wordNgrams=2, minn=2, maxn=4, dim=5),
        dict(dsub=2),
        False,
    ),
    # 460 labels (intent + first word), so the output layer has the 256 rows
    # product quantization needs: quantized output, quantized norms, and the
    # input pruned to its 600 largest rows (fastText's `cutoff`).
    "hs_quantized_pruned": (
        dict(loss="hs", wordNgrams=2, minn=3, maxn=3, dim=5, epoch=10),
        dict(dsub=2, qout=True, qnorm=True, cutoff=600),
        True,
    ),
}

# Lines that reach fastText's corner cases: non-ASCII bytes (signed-char
# hashing), multi-byte characters in character n-grams, every separator
# fastText splits on, label tokens inside the text, empty text.
EXTRA_TEXTS = [
    "",
    "   ",
    "turn on the lights",
    "TURN ON THE LIGHTS",
    "café naïve jalapeño crème brûlée",
    "日本語のテキストです",
    "Ελληνικά κείμενα για δοκιμή",
    "съешь же ещё этих мягких французских булок",
    "emoji 💡 light ✨",
    "turn\ton the\vlights\fnow\rplease",
    "null\0byte timer",
    "__label__HassTurnOn turn on the light",
    "__label__nonexistent lights off",
    "set the timer for " + "x" * 60,
    "a b c d e f g h i j k l m n o p",
    "kitchen kitchen kitchen kitchen",
]


def relabelled(train_path, out_path):
    """Labels each line with its intent and its first word (460 labels)."""
    with open(train_path, encoding="utf-8") as src, open(out_path, "w", encoding="utf-8") as dst:
        for line in src:
            parts = line.split()
            if len(parts) >= 2:
                dst.write(f"{parts[0]}_{parts[1]} {' '.join(parts[1:])}\n")


def train(fasttext_bin, path, args, out_prefix):
    """Trains with fastText's command line (`fasttext supervised`): the PyPI
    package's `train_supervised` (0.9.3) stops with "Encountered NaN" on
    every attempt at these small dimensions, where the command line trains
    normally. Writes OUT_PREFIX.bin."""
    command = [fasttext_bin, "supervised", "-input", path, "-output", out_prefix]
    for key, value in args.items():
        command += ["-" + key, str(value)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def quantize(fasttext_bin, path, settings, out_prefix):
    """`fasttext quantize` on OUT_PREFIX.bin: writes OUT_PREFIX.ftz."""
    command = [fasttext_bin, "quantize", "-input", path, "-output", out_prefix]
    for key, value in settings.items():
        command += ["-" + key] if value is True else ["-" + key, str(value)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def texts_of(test_path, n):
    texts = []
    with open(test_path, encoding="utf-8") as f:
        for line in f:
            words = [w for w in line.split() if not w.startswith("__label__")]
            texts.append(" ".join(words))
            if len(texts) == n:
                break
    return texts + EXTRA_TEXTS


def main():
    fasttext_bin, train_path, test_path, out_dir = sys.argv[1:5]
    fasttext_version = os.environ.get("FASTTEXT_DESCRIPTION", "fastText command line")
    os.makedirs(out_dir, exist_ok=True)
    texts = texts_of(test_path, 40)
    with open(os.path.join(out_dir, "test.txt"), "w", encoding="utf-8") as f:
        # NUL and the other separators go through as they are; the tests
        # read this file byte for byte, split at '\n' only.
        for text in texts:
            f.write(text + "\n")
    manifest = {}
    with tempfile.TemporaryDirectory() as tmp:
        derived = os.path.join(tmp, "relabelled.txt")
        relabelled(train_path, derived)
        for name, (settings, quantization, derive) in FIXTURES.items():
            args = dict(COMMON, **settings)
            data = derived if derive else train_path
            prefix = os.path.join(tmp, name)
            train(fasttext_bin, data, args, prefix)
            if quantization is not None:
                quantize(fasttext_bin, data, quantization, prefix)
                file = name + ".ftz"
            else:
                file = name + ".bin"
            shutil.copyfile(prefix + file[len(name):], os.path.join(out_dir, file))
            # Predictions by the PyPI package, a second fastText build.
            model = fasttext.load_model(os.path.join(out_dir, file))
            lines = []
            for text in texts:
                labels, probs = model.predict(text, k=TOP_K, threshold=0.0)
                lines.append({
                    "text": text,
                    "labels": list(labels),
                    # float32 values, written exactly (repr of the double).
                    "probabilities": [float(p) for p in probs],
                })
            expected = {"model": file, "k": TOP_K, "threshold": 0.0, "lines": lines}
            with open(os.path.join(out_dir, name + ".expected.json"), "w", encoding="utf-8") as f:
                # One line per text keeps the file small and its diffs readable.
                head = {key: value for key, value in expected.items() if key != "lines"}
                f.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "lines": [\n')
                f.write(",\n".join(json.dumps(line, ensure_ascii=False) for line in lines))
                f.write("\n]}\n")
            manifest[name] = {
                "file": file,
                "train": "data/ha_intents/train.txt" + (" relabelled intent_firstword" if derive else ""),
                "settings": args,
                "quantize": quantization,
                "trained_by": fasttext_version,
                "predicted_by": "fasttext (PyPI) " + version("fasttext"),
            }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
