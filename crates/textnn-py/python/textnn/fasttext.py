"""fastText's Python module, drop-in: ``import textnn.fasttext as fasttext``.

The supervised part of fastText's API, with its names, argument names,
defaults and return shapes, trained and served by textnn (``preset
"fasttext"``: whitespace tokens, mean of word rows, softmax, linear decay)::

    import textnn.fasttext as fasttext
    model = fasttext.train_supervised(input="train.txt", epoch=25, wordNgrams=2)
    labels, probs = model.predict("which baking dish is best", k=3)
    n, p_at_1, r_at_1 = model.test("test.txt")
    model.save_model("model.textnn")
    model = fasttext.load_model("model.textnn")

What differs, on purpose:

- ``save_model`` writes a textnn model file (verified on load, with a
  checksum), not a fastText ``.bin``; ``load_model`` reads textnn models,
  and names a fastText ``.bin`` as such (``textnn.ModelError``).
- ``get_words`` lists the training words; fastText's end-of-sentence token
  ``</s>`` is not one of them.
- ``predict`` on a NumPy 2 installation works (fastText's
  ``np.array(..., copy=False)`` does not).

What is not supported raises ``NotImplementedError`` naming it:
unsupervised training (``train_unsupervised``), the negative-sampling loss
(``loss="ns"``), ``pretrainedVectors``, ``minCountLabel``, an
``lrUpdateRate`` other than 100 (textnn decays the rate every example),
autotuning (``autotuneValidationFile``: use ``textnn autotune``),
quantization, the input/output matrices, nearest neighbours and analogies.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from ._core import Model, load, train_file

__all__ = ["FastText", "load_model", "tokenize", "train_supervised", "train_unsupervised"]

# fastText's train_supervised defaults (its python module: the unsupervised
# defaults with lr 0.1, minCount 1, minn/maxn 0, loss softmax).
_SUPERVISED_DEFAULTS: Dict[str, Any] = {
    "input": None,
    "lr": 0.1,
    "dim": 100,
    "ws": 5,
    "epoch": 5,
    "minCount": 1,
    "minCountLabel": 0,
    "minn": 0,
    "maxn": 0,
    "neg": 5,
    "wordNgrams": 1,
    "loss": "softmax",
    "bucket": 2000000,
    "thread": max(1, multiprocessing.cpu_count() - 1),
    "lrUpdateRate": 100,
    "t": 1e-4,
    "label": "__label__",
    "verbose": 2,
    "pretrainedVectors": "",
    "seed": 0,
    "autotuneValidationFile": "",
    "autotuneMetric": "f1",
    "autotunePredictions": 1,
    "autotuneDuration": 300,
    "autotuneModelSize": "",
}

# The snake_case spellings fastText's read_args accepts too.
_ALIASES = {
    "min_count": "minCount",
    "word_ngrams": "wordNgrams",
    "lr_update_rate": "lrUpdateRate",
    "label_prefix": "label",
    "pretrained_vectors": "pretrainedVectors",
}


def _not_supported(what: str) -> NotImplementedError:
    return NotImplementedError(f"textnn.fasttext does not support {what}")


def _one_line(text: str, what: str = "predict") -> str:
    if "\n" in text:
        raise ValueError(f"{what} processes one line at a time (remove '\\n')")
    return text


class FastText:
    """A supervised model with fastText's ``_FastText`` methods."""

    def __init__(self, model: Model, label: str = "__label__", args: Optional[Dict[str, Any]] = None):
        self._model = model
        self._prefix = label
        self._labels = [label + name for name in model.labels]
        for name, value in (args or {}).items():
            if name != "input":
                setattr(self, name, value)

    @property
    def textnn_model(self) -> Model:
        """The textnn :class:`~textnn.Model` inside."""
        return self._model

    # Prediction

    def predict(
        self,
        text: Union[str, List[str]],
        k: int = 1,
        threshold: float = 0.0,
        on_unicode_error: str = "strict",
    ) -> Union[Tuple[Tuple[str, ...], np.ndarray], Tuple[List[List[str]], List[np.ndarray]]]:
        """For a ``str``: ``(labels, probabilities)``, a tuple of labels and a
        float64 array. For a list: ``(list of label lists, list of float32
        arrays)``. ``k=-1`` returns every label; ``threshold`` drops labels
        below it. Texts are single lines, as in fastText."""
        kk = 0 if k < 0 else k
        if isinstance(text, list):
            texts = [_one_line(t) for t in text]
            counts, ids, probs = self._model.predict_arrays(texts, kk, threshold)
            labels = self._labels
            id_list = ids.tolist()
            ends = np.cumsum(counts).tolist()
            all_labels = []
            start = 0
            for end in ends:
                all_labels.append([labels[i] for i in id_list[start:end]])
                start = end
            all_probs = np.split(probs.astype(np.float32), ends[:-1]) if ends else []
            return all_labels, all_probs
        counts, ids, probs = self._model.predict_arrays([_one_line(text)], kk, threshold)
        return tuple(self._labels[i] for i in ids.tolist()), probs.astype(np.float64)

    def get_sentence_vector(self, text: str) -> np.ndarray:
        """The text's vector (the mean of its rows under fastText's
        settings), float32 of length :meth:`get_dimension`."""
        return self._model.sentence_vectors([_one_line(text, "get_sentence_vector")])[0]

    def get_word_vector(self, word: str) -> np.ndarray:
        """A word's vector: its row, with its character n-grams when the
        model has them (zero for a word without any)."""
        return self._model.sentence_vectors([word])[0]

    def get_dimension(self) -> int:
        """The dimension of the vectors."""
        return self._model.dim

    # Evaluation

    def test(self, path: str, k: int = 1, threshold: float = 0.0) -> Tuple[int, float, float]:
        """``(N, precision at k, recall at k)`` on a labelled file."""
        report = self._model.test(path, k=0 if k < 0 else k, threshold=threshold,
                                  format="fasttext", label_prefix=self._prefix)
        return report["examples"], report["precision_at_k"], report["recall_at_k"]

    def test_label(self, path: str, k: int = 1, threshold: float = 0.0) -> Dict[str, Dict[str, float]]:
        """``{label: {"precision": …, "recall": …, "f1score": …}}`` on a labelled file."""
        report = self._model.test(path, k=0 if k < 0 else k, threshold=threshold,
                                  format="fasttext", label_prefix=self._prefix)
        return {
            self._prefix + entry["label"]: {
                "precision": entry["precision"],
                "recall": entry["recall"],
                "f1score": entry["f1"],
            }
            for entry in report["labels"]
        }

    # Vocabulary

    def get_words(self, include_freq: bool = False, on_unicode_error: str = "strict"):
        """The training words (most frequent first); with ``include_freq``,
        ``(words, counts array)``."""
        words = self._model.words
        if include_freq:
            return words, np.array(self._model.word_counts, dtype=np.int64)
        return words

    def get_labels(self, include_freq: bool = False, on_unicode_error: str = "strict"):
        """The labels, prefix included (most frequent first); with
        ``include_freq``, ``(labels, counts array)``."""
        if include_freq:
            return list(self._labels), np.array(self._model.label_counts, dtype=np.int64)
        return list(self._labels)

    @property
    def words(self) -> List[str]:
        """:meth:`get_words`."""
        return self.get_words()

    @property
    def labels(self) -> List[str]:
        """:meth:`get_labels`."""
        return self.get_labels()

    def get_word_id(self, word: str) -> int:
        """The word's index in :meth:`get_words`, or -1."""
        try:
            return self._model.words.index(word)
        except ValueError:
            return -1

    def get_label_id(self, label: str) -> int:
        """The label's index in :meth:`get_labels`, or -1."""
        try:
            return self._labels.index(label)
        except ValueError:
            return -1

    def get_line(self, text: Union[str, List[str]], on_unicode_error: str = "strict"):
        """Splits a line into ``(words, labels)`` (labels: words starting with the prefix)."""
        if isinstance(text, list):
            return [self.get_line(t) for t in text]
        tokens = _one_line(text, "get_line").split()
        return (
            [t for t in tokens if not t.startswith(self._prefix)],
            [t for t in tokens if t.startswith(self._prefix)],
        )

    def __contains__(self, word: str) -> bool:
        return word in self._model.words

    def __getitem__(self, word: str) -> np.ndarray:
        return self.get_word_vector(word)

    # Files

    def save_model(self, path: str) -> None:
        """Writes the model (a textnn model file) atomically."""
        self._model.save(path)

    def is_quantized(self) -> bool:
        """Always False: textnn models are not quantized."""
        return False

    # Not supported

    def quantize(self, *args: Any, **kwargs: Any) -> None:
        """Not supported: textnn models are not quantized."""
        raise _not_supported("quantize (textnn models are not quantized)")

    def get_input_matrix(self) -> np.ndarray:
        """Not supported (textnn.Model.sentence_vectors gives text vectors)."""
        raise _not_supported("get_input_matrix (use textnn.Model.sentence_vectors)")

    def get_output_matrix(self) -> np.ndarray:
        """Not supported."""
        raise _not_supported("get_output_matrix")

    def get_input_vector(self, ind: int) -> np.ndarray:
        """Not supported."""
        raise _not_supported("get_input_vector")

    def get_subwords(self, word: str, on_unicode_error: str = "strict"):
        """Not supported."""
        raise _not_supported("get_subwords")

    def get_subword_id(self, subword: str) -> int:
        """Not supported."""
        raise _not_supported("get_subword_id")

    def get_nearest_neighbors(self, word: str, k: int = 10, on_unicode_error: str = "strict"):
        """Not supported: a word-vector query of unsupervised models."""
        raise _not_supported("get_nearest_neighbors (word vectors of unsupervised models)")

    def get_analogies(self, wordA: str, wordB: str, wordC: str, k: int = 10,
                      on_unicode_error: str = "strict"):
        """Not supported: a word-vector query of unsupervised models."""
        raise _not_supported("get_analogies (word vectors of unsupervised models)")

    def set_matrices(self, input_matrix: Any, output_matrix: Any) -> None:
        """Not supported."""
        raise _not_supported("set_matrices")


def _read_args(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """fastText's argument reading: positional in its order, keywords (and
    their snake_case aliases), defaults for the rest."""
    names = list(_SUPERVISED_DEFAULTS)
    given: Dict[str, Any] = {}
    for name, value in list(zip(names, args)) + list(kwargs.items()):
        name = _ALIASES.get(name, name)
        if name not in _SUPERVISED_DEFAULTS:
            raise TypeError(f"unexpected keyword argument '{name}'")
        if name in given:
            raise TypeError(f"multiple values for argument '{name}'")
        given[name] = value
    return {**_SUPERVISED_DEFAULTS, **given}


def train_supervised(*args: Any, **kwargs: Any) -> FastText:
    """Trains a supervised model on the fastText-format file ``input``, with
    fastText's argument names and defaults (``lr=0.1, dim=100, epoch=5,
    minCount=1, minn=0, maxn=0, wordNgrams=1, loss="softmax",
    bucket=2000000, thread=cpu_count()-1, label="__label__", verbose=2,
    seed=0``)."""
    a = _read_args(args, kwargs)
    if a["input"] is None:
        raise ValueError("train_supervised needs input: the path of a training file")
    if a["loss"] == "ns":
        raise _not_supported('loss="ns" (negative sampling); use "softmax", "hs" or "ova"')
    if a["loss"] not in ("softmax", "hs", "ova"):
        raise ValueError("Unrecognized loss name")
    if a["pretrainedVectors"]:
        raise _not_supported("pretrainedVectors")
    if a["minCountLabel"] not in (0, 1):
        raise _not_supported("minCountLabel (every label is kept)")
    if a["lrUpdateRate"] != 100:
        raise _not_supported("lrUpdateRate (textnn decays the learning rate after every example)")
    if a["autotuneValidationFile"]:
        raise _not_supported("autotuning from Python; run `textnn autotune TRAIN --valid FILE`")
    if a["maxn"] > 0 and not 0 < a["minn"] <= a["maxn"]:
        raise ValueError(f"minn must be in [1, maxn] with maxn > 0, got minn={a['minn']}, maxn={a['maxn']}")
    verbose = a["verbose"] >= 2
    model = train_file(
        os.fspath(a["input"]),
        preset="fasttext",
        verbose=verbose,
        format="fasttext",
        label_prefix=a["label"],
        lr=a["lr"],
        dim=a["dim"],
        epochs=a["epoch"],
        min_count=a["minCount"],
        word_ngrams=a["wordNgrams"],
        char_ngrams=(a["minn"], a["maxn"]) if a["maxn"] > 0 else "none",
        loss=a["loss"],
        buckets=a["bucket"],
        threads=a["thread"],
        seed=a["seed"],
    )
    return FastText(model, label=a["label"], args=a)


def train_unsupervised(*args: Any, **kwargs: Any) -> FastText:
    """Not supported: textnn trains classifiers, not word vectors."""
    raise _not_supported("train_unsupervised (textnn trains classifiers, not word vectors)")


def load_model(path: str) -> FastText:
    """Loads a model file written by :meth:`FastText.save_model`, ``textnn
    train`` or :meth:`textnn.Model.save` (labels get the ``__label__``
    prefix)."""
    return FastText(load(path))


def tokenize(text: str) -> List[str]:
    """fastText's tokens: the text split on whitespace."""
    return text.split()


def eprint(*args: Any, **kwargs: Any) -> None:
    """Prints to stderr (fastText's helper)."""
    print(*args, file=sys.stderr, **kwargs)
