"""textnn: neural-network text classification, in Rust.

>>> import textnn
>>> model = textnn.train(["turn on the light", "what time is it"], ["on", "time"], epochs=20)
>>> model.predict("turn the light on")[0][0]
'on'

- :func:`train`, :func:`train_file`, :func:`load` and :class:`Model`: textnn's own API;
- :class:`TextClassifier`: a scikit-learn estimator (needs scikit-learn);
- :mod:`textnn.fasttext`: fastText's Python module, drop-in
  (``import textnn.fasttext as fasttext``).
"""

from typing import Any

from ._core import SETTINGS, Model, load, resolved_settings, train, train_file
from ._native import DataError, ModelError, TrainingError, __version__

__all__ = [
    "SETTINGS",
    "DataError",
    "Model",
    "ModelError",
    "TextClassifier",
    "TrainingError",
    "__version__",
    "load",
    "resolved_settings",
    "train",
    "train_file",
]


def __getattr__(name: str) -> Any:
    # scikit-learn is imported only when the estimator is asked for, so
    # `import textnn` works without it.
    if name == "TextClassifier":
        from .sklearn import TextClassifier

        return TextClassifier
    raise AttributeError(f"module 'textnn' has no attribute {name!r}")
