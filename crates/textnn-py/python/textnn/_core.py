"""textnn's own Python API: train, load, predict, test.

The work is done in Rust (``textnn._native``) with the GIL released; this
module turns Python inputs into what the extension takes and its
little-endian buffers into NumPy arrays.
"""

from __future__ import annotations

import json
import numbers
import os
import warnings
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union, overload

import numpy as np

from . import _native

PathLike = Union[str, "os.PathLike[str]"]
Labels = Union[str, Sequence[str]]

#: Names of the settings :func:`train` accepts (``textnn train``'s options).
SETTINGS: Tuple[str, ...] = tuple(_native.setting_names())


def _texts(texts: Iterable[str], what: str = "texts") -> List[str]:
    """``texts`` as a list of ``str`` (a list, tuple, NumPy array or pandas Series)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{what} must be a sequence of strings, not a single {type(texts).__name__}")
    out = list(texts)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            raise TypeError(f"{what}[{i}] is a {type(text).__name__}, not a str")
    return out


def _label_lists(labels: Iterable[Labels]) -> List[List[str]]:
    """One list of label names per text: each item a label or a list of labels."""
    if isinstance(labels, (str, bytes)):
        raise TypeError("labels must be one label or list of labels per text, not a single str")
    out = []
    for i, item in enumerate(labels):
        if isinstance(item, str):
            out.append([item])
        elif isinstance(item, (list, tuple, set, frozenset, np.ndarray)):
            names = sorted(item) if isinstance(item, (set, frozenset)) else list(item)
            for name in names:
                if not isinstance(name, str):
                    raise TypeError(f"labels[{i}] holds a {type(name).__name__}, not a str")
            out.append(names)
        else:
            raise TypeError(f"labels[{i}] is a {type(item).__name__}: give a str or a list of str")
    return out


def _plain(name: str, value: Any) -> Any:
    """A setting's value as JSON can carry it (NumPy scalars, tuples included)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(name, v) for v in value]
    raise TypeError(f"setting {name}: {type(value).__name__} is not a number, bool, str or list")


def settings_json(settings: Dict[str, Any]) -> str:
    """The settings given (``None`` = the preset's value, left out) as JSON."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise TypeError(
            f"unknown setting(s) {', '.join(unknown)}; the settings are: {', '.join(SETTINGS)}"
        )
    return json.dumps({k: _plain(k, v) for k, v in settings.items() if v is not None})


def resolved_settings(preset: str = "default", **settings: Any) -> Dict[str, Any]:
    """The complete training settings a call to :func:`train` would use, as
    the model file records them: the preset's, with ``settings`` applied
    and validated (``ValueError`` names a bad one)."""
    return json.loads(_native.resolve_settings(preset, settings_json(settings)))


def _warn(message: str) -> None:
    if message:
        warnings.warn(f"textnn: {message}", UserWarning, stacklevel=3)


def train(
    texts: Iterable[str],
    labels: Iterable[Labels],
    *,
    preset: str = "default",
    verbose: bool = False,
    **settings: Any,
) -> "Model":
    """Trains a model on texts and their labels in memory.

    ``labels`` holds one label (a ``str``) or a list of labels per text.
    ``settings`` are ``textnn train``'s options with underscores
    (``lr=0.5``, ``word_ngrams=2``, ``char_ngrams=(3, 5)``, ``hidden=[64]``,
    ``loss="hs"``, ``threads=1``, …); one left out keeps the preset's
    value, and without ``epochs`` the default preset chooses them on a
    validation slice, as the command does. The same data, settings and
    seed give the model bytes ``textnn train`` writes. Raises ``ValueError``
    for a bad setting and ``KeyboardInterrupt`` on Ctrl-C.
    """
    texts = _texts(texts)
    label_lists = _label_lists(labels)
    native, warning = _native.train(texts, label_lists, preset, settings_json(settings), verbose)
    _warn(warning)
    return Model(native)


def train_file(
    path: PathLike,
    *,
    preset: str = "default",
    verbose: bool = False,
    format: Optional[str] = None,
    label_prefix: str = "__label__",
    text_column: str = "text",
    label_column: str = "label",
    lossy: bool = False,
    **settings: Any,
) -> "Model":
    """Trains on a labelled file as ``textnn train PATH`` does (fastText
    lines, CSV/TSV, JSONL or intents JSON, by extension or ``format``),
    reading it a block at a time. A malformed line raises
    :class:`textnn.DataError` with its ``path`` and ``line``; skipped lines
    (no text, no label) are reported in a ``UserWarning``."""
    native, warning = _native.train_file(
        os.fspath(path),
        preset,
        settings_json(settings),
        verbose,
        format,
        label_prefix,
        text_column,
        label_column,
        lossy,
    )
    _warn(warning)
    return Model(native)


def load(path: PathLike) -> "Model":
    """Loads and fully verifies a model file (written by ``textnn train``,
    :meth:`Model.save` or the ``fasttext`` module)."""
    return Model(_native.Model.load(os.fspath(path)))


def _f32(buffer: bytes, columns: int) -> np.ndarray:
    """A little-endian f32 buffer as a (rows, columns) array (writable)."""
    values = np.frombuffer(buffer, dtype="<f4").astype(np.float32)
    return values.reshape(-1, columns) if columns else values.reshape(0, 0)


class Model:
    """A trained textnn model: immutable, thread-safe, picklable (as its
    verified bytes)."""

    __slots__ = ("_native", "_labels")

    def __init__(self, native: "_native.Model") -> None:
        self._native = native
        self._labels: List[str] = native.labels

    @classmethod
    def from_bytes(cls, data: bytes) -> "Model":
        """Loads and verifies a model from a model file's bytes."""
        return cls(_native.Model.from_bytes(bytes(data)))

    def to_bytes(self) -> bytes:
        """The model file's bytes (what :meth:`save` writes)."""
        return self._native.to_bytes()

    def save(self, path: PathLike) -> None:
        """Writes the model file atomically."""
        self._native.save(os.fspath(path))

    def __reduce__(self) -> Tuple[Any, Tuple[bytes]]:
        return (Model.from_bytes, (self.to_bytes(),))

    def __repr__(self) -> str:
        return f"<textnn.Model {self._native.describe()}>"

    @property
    def labels(self) -> List[str]:
        """Label names by label id (most frequent in training first)."""
        return list(self._labels)

    @property
    def label_counts(self) -> List[int]:
        """Training examples of each label, by label id."""
        return self._native.label_counts

    @property
    def words(self) -> List[str]:
        """The vocabulary, most frequent first."""
        return self._native.words

    @property
    def word_counts(self) -> List[int]:
        """Training count of each word of :attr:`words`."""
        return self._native.word_counts

    @property
    def dim(self) -> int:
        """Width of :meth:`sentence_vectors`."""
        return self._native.dim

    @property
    def settings(self) -> Dict[str, Any]:
        """The training settings and network shape the model file records."""
        return json.loads(self._native.settings_json())

    def describe(self) -> str:
        """The network in one line, as ``textnn info`` prints it."""
        return self._native.describe()

    def tokenize(self, text: str) -> List[str]:
        """The tokens the model sees in ``text``."""
        return self._native.tokenize(text)

    # A str is also an Iterable[str]; the str overload comes first and wins.
    @overload
    def predict(  # type: ignore[overload-overlap]
        self, texts: str, k: int = 1, threshold: Optional[float] = None, threads: int = 0
    ) -> List[Tuple[str, float]]: ...

    @overload
    def predict(
        self,
        texts: Iterable[str],
        k: int = 1,
        threshold: Optional[float] = None,
        threads: int = 0,
    ) -> List[List[Tuple[str, float]]]: ...

    def predict(
        self,
        texts: Union[str, Iterable[str]],
        k: int = 1,
        threshold: Optional[float] = None,
        threads: int = 0,
    ) -> Union[List[Tuple[str, float]], List[List[Tuple[str, float]]]]:
        """The ``k`` most probable labels (all for ``k=0``) with probability
        at least ``threshold`` (the model's own when None), most probable
        first, as ``(label, probability)``: one list for a ``str``, a list
        of them for a sequence of texts (spread over ``threads`` threads;
        0 = every core)."""
        single = isinstance(texts, str)
        batch: List[str] = [texts] if isinstance(texts, str) else _texts(texts)
        counts, ids, probs = self.predict_arrays(batch, k, threshold, threads)
        labels = self._labels
        out: List[List[Tuple[str, float]]] = []
        start = 0
        id_list = ids.tolist()
        prob_list = probs.tolist()
        for count in counts.tolist():
            end = start + count
            out.append([(labels[i], p) for i, p in zip(id_list[start:end], prob_list[start:end])])
            start = end
        return out[0] if single else out

    def predict_arrays(
        self,
        texts: Sequence[str],
        k: int = 1,
        threshold: Optional[float] = None,
        threads: int = 0,
    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`predict` as three flat arrays: the number of labels kept
        per text (uint32), then every kept label id (uint32, into
        :attr:`labels`) and probability (float32), text after text."""
        if k < 0:
            raise ValueError(f"k must be 0 (every label) or more, got {k}")
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        counts, ids, probs = self._native.predict(_texts(texts), k, threshold, threads)
        return (
            np.frombuffer(counts, dtype="<u4"),
            np.frombuffer(ids, dtype="<u4"),
            np.frombuffer(probs, dtype="<f4"),
        )

    def predict_proba(self, texts: Iterable[str], threads: int = 0) -> np.ndarray:
        """Every label's probability per text: a float32 array of shape
        (texts, labels), columns in :attr:`labels` order."""
        return _f32(self._native.probabilities(_texts(texts), threads), len(self._labels))

    def logits(self, texts: Iterable[str], threads: int = 0) -> np.ndarray:
        """The output layer's scores before its activation, per text
        (float32, texts × scores; one per label except under ``loss="hs"``,
        where there is one per tree node)."""
        texts = _texts(texts)
        buffer = self._native.logits(texts, threads)
        width = len(buffer) // 4 // len(texts) if texts else 0
        return _f32(buffer, width)

    def sentence_vectors(self, texts: Iterable[str], threads: int = 0) -> np.ndarray:
        """The embedding bag's output per text (float32, texts × :attr:`dim`)."""
        return _f32(self._native.sentence_vectors(_texts(texts), threads), self.dim)

    def evaluate(
        self,
        texts: Iterable[str],
        labels: Iterable[Labels],
        k: int = 1,
        threshold: Optional[float] = None,
    ) -> Dict[str, Any]:
        """``textnn test --json``'s report on labelled texts in memory:
        accuracy, error rate, loss, P@k, R@k, per-label precision, recall
        and F1, macro and weighted F1."""
        return json.loads(self._native.evaluate(_texts(texts), _label_lists(labels), k, threshold))

    def test(
        self,
        path: PathLike,
        k: int = 1,
        threshold: Optional[float] = None,
        format: Optional[str] = None,
        label_prefix: str = "__label__",
        text_column: str = "text",
        label_column: str = "label",
        lossy: bool = False,
    ) -> Dict[str, Any]:
        """``textnn test --json``'s report on a labelled file."""
        return json.loads(
            self._native.test_file(
                os.fspath(path),
                k,
                threshold,
                format,
                label_prefix,
                text_column,
                label_column,
                lossy,
            )
        )
