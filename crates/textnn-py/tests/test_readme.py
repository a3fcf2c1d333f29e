"""The README's Python examples run as written (from the repository root)."""

import os
import re

import pytest

from conftest import REPO


def python_blocks():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_has_an_example_for_each_api():
    blocks = python_blocks()
    assert len(blocks) == 3
    assert "textnn.train_file" in blocks[0]
    assert "TextClassifier" in blocks[1]
    assert "textnn.fasttext" in blocks[2]


@pytest.mark.parametrize("index", range(3))
def test_readme_example_runs(index, tmp_path, monkeypatch, capsys):
    block = python_blocks()[index]
    # Data paths are relative to the repository; files the example writes
    # go to a temporary folder.
    monkeypatch.chdir(REPO)
    block = block.replace('"ha.textnn"', repr(str(tmp_path / "ha.textnn")))
    block = block.replace('"ha-fasttext.textnn"', repr(str(tmp_path / "ha-fasttext.textnn")))
    exec(compile(block, f"README.md python example {index + 1}", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert out.strip(), "the example prints its results"
    assert not (REPO / "ha.textnn").exists() and not (REPO / "ha-fasttext.textnn").exists()
    if index == 0:
        assert "HassTurnOn" in out and "dropout must be in [0, 1), got 1.5" in out
    if index == 2:
        assert "(988," in out
    assert os.getcwd() == str(REPO)
