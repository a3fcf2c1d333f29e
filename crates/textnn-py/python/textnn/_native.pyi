"""Type stubs of the Rust extension textnn._native (see src/lib.rs)."""

from os import PathLike
from typing import List, Optional, Sequence, Tuple, Union, final

__all__ = [
    "DataError",
    "Model",
    "ModelError",
    "TrainingError",
    "__version__",
    "resolve_settings",
    "setting_names",
    "train",
    "train_file",
]
__version__: str

class DataError(ValueError):
    """A malformed line of data; ``path`` and ``line`` (None for a whole-file problem) say where."""

    path: str
    line: Optional[int]

class ModelError(ValueError):
    """Bytes or a file that are not a valid textnn model."""

class TrainingError(RuntimeError):
    """Training diverged (NaN or infinite loss or weights)."""

_Path = Union[str, "PathLike[str]"]

@final
class Model:
    @staticmethod
    def from_bytes(data: bytes, source: str = "<bytes>") -> Model: ...
    @staticmethod
    def load(path: _Path) -> Model: ...
    def to_bytes(self) -> bytes: ...
    def save(self, path: _Path) -> None: ...
    @property
    def labels(self) -> List[str]: ...
    @property
    def label_counts(self) -> List[int]: ...
    @property
    def words(self) -> List[str]: ...
    @property
    def word_counts(self) -> List[int]: ...
    @property
    def dim(self) -> int: ...
    def describe(self) -> str: ...
    def settings_json(self) -> str: ...
    def tokenize(self, text: str) -> List[str]: ...
    def predict(
        self, texts: Sequence[str], k: int = 1, threshold: Optional[float] = None, threads: int = 0
    ) -> Tuple[bytes, bytes, bytes]: ...
    def probabilities(self, texts: Sequence[str], threads: int = 0) -> bytes: ...
    def logits(self, texts: Sequence[str], threads: int = 0) -> bytes: ...
    def sentence_vectors(self, texts: Sequence[str], threads: int = 0) -> bytes: ...
    def evaluate(
        self,
        texts: Sequence[str],
        labels: Sequence[Sequence[str]],
        k: int = 1,
        threshold: Optional[float] = None,
    ) -> str: ...
    def test_file(
        self,
        path: _Path,
        k: int = 1,
        threshold: Optional[float] = None,
        format: Optional[str] = None,
        label_prefix: str = "__label__",
        text_column: str = "text",
        label_column: str = "label",
        lossy: bool = False,
    ) -> str: ...

def train(
    texts: Sequence[str],
    labels: Sequence[Sequence[str]],
    preset: str = "default",
    settings_json: str = "{}",
    verbose: bool = False,
) -> Tuple[Model, str]: ...
def train_file(
    path: _Path,
    preset: str = "default",
    settings_json: str = "{}",
    verbose: bool = False,
    format: Optional[str] = None,
    label_prefix: str = "__label__",
    text_column: str = "text",
    label_column: str = "label",
    lossy: bool = False,
) -> Tuple[Model, str]: ...
def setting_names() -> List[str]: ...
def resolve_settings(preset: str = "default", settings_json: str = "{}") -> str: ...
