"""textnn as a scikit-learn estimator: :class:`TextClassifier`.

It takes raw texts (a list, NumPy array or pandas Series of ``str``), so it
goes first in a pipeline, or alone::

    from textnn import TextClassifier
    clf = TextClassifier(epochs=10).fit(texts, labels)
    clf.predict(["turn on the light"])

Single-label ``y`` is any array of class labels (strings, integers, …);
multi-label ``y`` is an indicator matrix (``MultiLabelBinarizer`` style) or
one list of labels per text (lists of equal length holding only 0 and 1
are read as an indicator matrix, as scikit-learn reads them), and
``predict`` then returns an indicator matrix whose columns are
``classes_``.
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import accuracy_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from ._core import Model, _texts
from ._core import train as _train

__all__ = ["TextClassifier"]

# The multi-label probability from which `predict` keeps a label when the
# estimator has no `threshold` of its own: p = σ(z) > 0.5 is z > 0, the
# sign rule of scikit-learn's one-vs-rest linear models.
MULTILABEL_THRESHOLD = 0.5


def _as_texts(X: Any) -> List[str]:
    """X as a list of texts: 1-D, or 2-D with a single column (a data frame's text column)."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2:
        if shape[1] != 1:
            raise ValueError(
                f"TextClassifier takes one text per sample: a 1-D sequence of str, got shape {shape}"
            )
        X = np.asarray(X, dtype=object)[:, 0]
    elif shape is not None and len(shape) != 1:
        raise ValueError(f"TextClassifier takes a 1-D sequence of str, got shape {shape}")
    return _texts(X, "X")


def _is_label_lists(y: Any) -> bool:
    """Whether y holds one list (tuple, set) of labels per sample. Lists of
    equal length holding only 0 and 1 are an indicator matrix, as
    scikit-learn reads them (``y.tolist()`` of a ``MultiLabelBinarizer``'s)."""
    if isinstance(y, np.ndarray) and y.dtype != object:
        return False
    try:
        if type_of_target(y) == "multilabel-indicator":
            return False
    except ValueError:  # ragged lists: sklearn's "legacy multi-label" form
        pass
    try:
        items = list(y)
    except TypeError:  # an array-like that only converts (`__array__`)
        return False
    return bool(items) and all(isinstance(i, (list, tuple, set, frozenset)) for i in items)


class TextClassifier(ClassifierMixin, BaseEstimator):
    """A textnn neural text classifier with scikit-learn's interface.

    Every parameter but ``preset`` and ``verbose`` is a ``textnn train``
    option (underscores for dashes); ``None`` keeps the preset's value, and
    without ``epochs`` the default preset chooses them on a validation
    slice, as the command does. ``threshold``: in multi-label mode, the
    probability from which ``predict`` keeps a label (0.5 when None).
    ``threads`` defaults to every core; the same data, parameters, seed and
    thread count give the same model (``model_.to_bytes()``).

    Attributes after ``fit``: ``classes_`` (sorted), ``model_`` (a
    :class:`textnn.Model`), ``multilabel_`` (bool).
    """

    def __init__(
        self,
        preset: str = "default",
        *,
        tokenizer: Optional[str] = None,
        lowercase: Optional[bool] = None,
        stem: Optional[str] = None,
        min_count: Optional[int] = None,
        word_ngrams: Union[int, str, None] = None,
        char_ngrams: Union[Sequence[int], str, None] = None,
        buckets: Optional[int] = None,
        binary: Optional[bool] = None,
        sublinear_tf: Optional[bool] = None,
        dim: Optional[int] = None,
        combine: Optional[str] = None,
        idf: Optional[bool] = None,
        embedding_activation: Optional[str] = None,
        hidden: Union[Sequence[int], str, None] = None,
        activation: Optional[str] = None,
        loss: Optional[str] = None,
        bias: Optional[bool] = None,
        optimizer: Optional[str] = None,
        lr: Optional[float] = None,
        schedule: Optional[str] = None,
        epochs: Optional[int] = None,
        batch: Union[int, str, None] = None,
        reduction: Optional[str] = None,
        dropout: Optional[float] = None,
        l2: Optional[float] = None,
        clip_grad: Optional[float] = None,
        seed: Optional[int] = None,
        threads: Optional[int] = None,
        valid_split: Optional[float] = None,
        early_stopping: Optional[int] = None,
        threshold: Optional[float] = None,
        verbose: bool = False,
    ) -> None:
        # scikit-learn's convention: the constructor stores, fit checks.
        self.preset = preset
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.stem = stem
        self.min_count = min_count
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.buckets = buckets
        self.binary = binary
        self.sublinear_tf = sublinear_tf
        self.dim = dim
        self.combine = combine
        self.idf = idf
        self.embedding_activation = embedding_activation
        self.hidden = hidden
        self.activation = activation
        self.loss = loss
        self.bias = bias
        self.optimizer = optimizer
        self.lr = lr
        self.schedule = schedule
        self.epochs = epochs
        self.batch = batch
        self.reduction = reduction
        self.dropout = dropout
        self.l2 = l2
        self.clip_grad = clip_grad
        self.seed = seed
        self.threads = threads
        self.valid_split = valid_split
        self.early_stopping = early_stopping
        self.threshold = threshold
        self.verbose = verbose

    def _settings(self) -> Dict[str, Any]:
        params = self.get_params(deep=False)
        params.pop("preset")
        params.pop("verbose")
        if self.multilabel_:
            # The estimator's threshold is predict's, not the model's.
            params.pop("threshold")
        return params

    def fit(self, X: Any, y: Any) -> "TextClassifier":
        """Trains on texts ``X`` and labels ``y``; returns ``self``."""
        texts = _as_texts(X)
        if y is None:
            raise ValueError(
                "TextClassifier requires y to be passed, but the target y is None"
            )
        if _is_label_lists(y):
            label_sets = [sorted(set(labels), key=str) for labels in y]
            classes = sorted({label for labels in label_sets for label in labels}, key=str)
            self.classes_ = np.array(classes, dtype=object if classes and
                                     isinstance(classes[0], str) else None)
            self.multilabel_ = True
            self._input_lists = True
            names = [str(c) for c in classes]
            index = {c: names[i] for i, c in enumerate(classes)}
            gold = [[index[label] for label in labels] for labels in label_sets]
        else:
            y_array = np.asarray(y)
            kind = type_of_target(y_array, input_name="y")
            if kind == "multilabel-indicator":
                self.multilabel_ = True
                self._input_lists = False
                self.classes_ = np.arange(y_array.shape[1])
                names = [str(j) for j in range(y_array.shape[1])]
                gold = [[names[j] for j in np.flatnonzero(row)] for row in y_array]
            elif kind in ("binary", "multiclass"):
                self.multilabel_ = False
                self._input_lists = False
                if y_array.ndim == 2:
                    warnings.warn(
                        "A column-vector y was passed when a 1d array was expected. "
                        "Please change the shape of y to (n_samples,), for example using ravel().",
                        DataConversionWarning,
                        stacklevel=2,
                    )
                    y_array = y_array.ravel()
                self.classes_, codes = np.unique(y_array, return_inverse=True)
                names = [str(c) for c in self.classes_]
                gold = [[names[c]] for c in codes]
            else:
                raise ValueError(
                    f"Unknown label type: {kind!r}: TextClassifier takes class labels "
                    "(binary or multiclass), one list of labels per text, or a 0/1 indicator matrix"
                )
        if len(set(names)) != len(names):
            raise ValueError(
                "class labels must stay distinct as strings (the model stores label names); "
                f"got {list(self.classes_)}"
            )
        if len(texts) != len(gold):
            raise ValueError(f"X has {len(texts)} texts but y has {len(gold)} labels")
        if not texts:
            raise ValueError("TextClassifier needs at least one text to fit, got 0 samples")
        # A text without any label (a row of zeros in an indicator matrix)
        # is left out, as `textnn train` skips a line without a label.
        unlabelled = sum(1 for labels in gold if not labels)
        if unlabelled:
            warnings.warn(
                f"textnn: {unlabelled} of {len(gold)} texts have no label and are left out of training",
                UserWarning,
                stacklevel=2,
            )
            kept = [i for i, labels in enumerate(gold) if labels]
            if not kept:
                raise ValueError("every text is without a label: nothing to train on")
            texts = [texts[i] for i in kept]
            gold = [gold[i] for i in kept]
        self.model_ = _train(texts, gold, preset=self.preset, verbose=self.verbose,
                             **self._settings())
        position = {name: i for i, name in enumerate(self.model_.labels)}
        # Texts without a label (an indicator row of zeros) leave a class
        # out of the model; its column is then 0.
        self._columns = np.array([position.get(name, -1) for name in names], dtype=np.intp)
        return self

    def _proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        raw = self.model_.predict_proba(_as_texts(X), threads=self.threads or 0)
        padded = np.concatenate([raw, np.zeros((raw.shape[0], 1), np.float32)], axis=1)
        return padded[:, self._columns].astype(np.float64)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class (columns in ``classes_`` order).

        Single-label: rows sum to 1 (one-vs-rest losses are normalised, as
        ``OneVsRestClassifier`` does). Multi-label: each label's own
        probability."""
        proba = self._proba(X)
        if not self.multilabel_ and self._loss() not in ("softmax", "hs"):
            totals = proba.sum(axis=1, keepdims=True)
            proba = np.where(totals > 0, proba / np.where(totals > 0, totals, 1),
                             1.0 / proba.shape[1])
        return proba

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class per text; multi-label: an indicator
        matrix of the labels with probability at least ``threshold``."""
        proba = self._proba(X)
        if self.multilabel_:
            cut = MULTILABEL_THRESHOLD if self.threshold is None else self.threshold
            return (proba >= cut).astype(int)
        return self.classes_[np.argmax(proba, axis=1)]

    def _loss(self) -> str:
        return self.model_.settings["network"]["loss"]

    def _has_scores(self) -> bool:
        # Hierarchical softmax has one score per tree node, not per label.
        if hasattr(self, "model_"):
            return self._loss() != "hs"
        return self.loss != "hs"

    @available_if(_has_scores)
    def decision_function(self, X: Any) -> np.ndarray:
        """The output layer's score per class before its activation (the
        logits); for two classes, one column: ``classes_[1]``'s score minus
        ``classes_[0]``'s, positive where ``classes_[1]`` is predicted."""
        check_is_fitted(self, "model_")
        texts = _as_texts(X)
        raw = self.model_.logits(texts, threads=self.threads or 0)
        if raw.shape[1] == 0:
            raw = raw.reshape(len(texts), 0)
        padded = np.concatenate([raw, np.full((raw.shape[0], 1), -np.inf, np.float32)], axis=1)
        scores = padded[:, self._columns].astype(np.float64)
        if not self.multilabel_ and scores.shape[1] == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy (multi-label: the fraction of texts whose label set is exactly right)."""
        if getattr(self, "_input_lists", False) and _is_label_lists(y):
            known = {c: j for j, c in enumerate(self.classes_)}
            indicator = np.zeros((len(y), len(self.classes_)), dtype=int)
            for i, labels in enumerate(y):
                for label in labels:
                    if label in known:
                        indicator[i, known[label]] = 1
            y = indicator
        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):  # scikit-learn >= 1.6
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.classifier_tags.multi_label = True
        tags.non_deterministic = False
        return tags

    def _more_tags(self) -> Dict[str, Any]:  # scikit-learn < 1.6
        return {"X_types": ["string"], "multilabel": True}
