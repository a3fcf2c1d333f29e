"""Shared fixtures: the repository's data and the `textnn` command-line binary."""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
HA_TRAIN = REPO / "data" / "ha_intents" / "train.txt"
HA_TEST = REPO / "data" / "ha_intents" / "test.txt"


def parse_fasttext(path):
    """(texts, label lists) of a fastText file whose labels lead each line."""
    texts, labels = [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        words = line.split()
        names = [w[len("__label__"):] for w in words if w.startswith("__label__")]
        rest = [w for w in words if not w.startswith("__label__")]
        if names and rest:
            texts.append(" ".join(rest))
            labels.append(names)
    return texts, labels


@pytest.fixture(scope="session")
def cli():
    """The `textnn` binary: $TEXTNN_BIN, else the release build of this checkout."""
    candidates = [os.environ.get("TEXTNN_BIN")]
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        candidates.append(str(Path(target) / "release" / "textnn"))
    candidates += [str(REPO / "target" / "release" / "textnn"), shutil.which("textnn")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError(
        "the textnn binary is needed: run `cargo build --release -p textnn-cli` or set TEXTNN_BIN"
    )


@pytest.fixture(scope="session")
def ha_small(tmp_path_factory):
    """The first 1,200 lines of ha_intents' training file (fastText format)."""
    lines = HA_TRAIN.read_text(encoding="utf-8").splitlines(keepends=True)[:1200]
    path = tmp_path_factory.mktemp("data") / "ha_small.txt"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def ha_test_small(tmp_path_factory):
    """The first 300 lines of ha_intents' test file."""
    lines = HA_TEST.read_text(encoding="utf-8").splitlines(keepends=True)[:300]
    path = tmp_path_factory.mktemp("data") / "ha_test_small.txt"
    path.write_text("".join(lines), encoding="utf-8")
    return path
