"""textnn.fasttext against fastText's documented Python API: names,
argument names, defaults, return shapes and types a fastText user's code
relies on (fastText's python README and docstrings)."""

import subprocess

import numpy as np
import pytest

import textnn
import textnn.fasttext as fasttext


@pytest.fixture(scope="module")
def model(ha_small):
    return fasttext.train_supervised(input=str(ha_small), epoch=10, lr=0.5, thread=1, verbose=0)


def test_train_supervised_is_the_fasttext_preset_with_fasttexts_argument_names(ha_small, cli, tmp_path):
    m = fasttext.train_supervised(str(ha_small), lr=0.5, dim=20, epoch=3, minCount=1,
                                  wordNgrams=2, minn=2, maxn=4, bucket=5000, loss="hs",
                                  thread=1, seed=4, verbose=0)
    settings = m.textnn_model.settings
    assert settings["settings"]["preset"] == "fasttext"
    assert settings["network"]["loss"] == "hs" and settings["network"]["dim"] == 20
    assert settings["settings"]["features"]["char_ngrams"] == [2, 4]
    # The same model as `textnn train --preset fasttext` with those settings.
    out = tmp_path / "cli.textnn"
    subprocess.run([cli, "train", str(ha_small), "-o", str(out), "--quiet", "--preset", "fasttext",
                    "--lr", "0.5", "--dim", "20", "--epochs", "3", "--word-ngrams", "2",
                    "--char-ngrams", "2-4", "--buckets", "5000", "--loss", "hs",
                    "--threads", "1", "--seed", "4"], check=True)
    assert m.textnn_model.to_bytes() == out.read_bytes()
    # snake_case aliases, as fastText's read_args
    m2 = fasttext.train_supervised(input=str(ha_small), word_ngrams=1, min_count=1, epoch=1,
                                   thread=1, verbose=0)
    assert isinstance(m2, fasttext.FastText)
    with pytest.raises(TypeError, match="unexpected keyword argument 'epochs'"):
        fasttext.train_supervised(input=str(ha_small), epochs=3)
    with pytest.raises(TypeError, match="multiple values"):
        fasttext.train_supervised(str(ha_small), input=str(ha_small))


def test_defaults_are_fasttexts():
    d = fasttext._SUPERVISED_DEFAULTS
    assert (d["lr"], d["dim"], d["ws"], d["epoch"], d["minCount"], d["minCountLabel"]) == (0.1, 100, 5, 5, 1, 0)
    assert (d["minn"], d["maxn"], d["neg"], d["wordNgrams"], d["loss"], d["bucket"]) == (0, 0, 5, 1, "softmax", 2000000)
    assert (d["lrUpdateRate"], d["t"], d["label"], d["verbose"], d["pretrainedVectors"]) == (100, 1e-4, "__label__", 2, "")


def test_predict_one_text_gives_a_tuple_of_labels_and_a_float64_array(model):
    labels, probs = model.predict("turn on the kitchen lights")
    assert isinstance(labels, tuple) and len(labels) == 1 and labels[0].startswith("__label__")
    assert isinstance(probs, np.ndarray) and probs.dtype == np.float64 and probs.shape == (1,)
    labels, probs = model.predict("turn on the kitchen lights", k=3)
    assert len(labels) == 3 and probs.shape == (3,) and (np.diff(probs) <= 0).all()
    labels, probs = model.predict("turn on the kitchen lights", k=-1)
    assert len(labels) == len(model.get_labels())
    labels, probs = model.predict("turn on the kitchen lights", k=-1, threshold=0.5)
    assert len(labels) <= 1 and (probs >= 0.5).all()


def test_predict_a_list_gives_label_lists_and_a_list_of_arrays(model):
    texts = ["turn on the kitchen lights", "what time is it", "pause the music"]
    labels, probs = model.predict(texts, k=2)
    assert isinstance(labels, list) and all(isinstance(l, list) and len(l) == 2 for l in labels)
    assert isinstance(probs, list) and len(probs) == 3
    assert all(isinstance(p, np.ndarray) and p.shape == (2,) for p in probs)
    one_labels, one_probs = model.predict(texts[1], k=2)
    assert list(one_labels) == labels[1] and np.allclose(one_probs, probs[1])
    assert model.predict([], k=1) == ([], [])
    with pytest.raises(ValueError, match="one line at a time"):
        model.predict("two\nlines")


def test_test_and_test_label(model, ha_test_small):
    n, precision, recall = model.test(str(ha_test_small))
    assert isinstance(n, int) and n == 300
    assert 0.8 < precision <= 1.0 and precision == pytest.approx(recall)
    n5, p5, r5 = model.test(str(ha_test_small), k=5)
    assert n5 == n and p5 < precision and r5 >= recall
    per_label = model.test_label(str(ha_test_small))
    assert set(per_label) <= set(model.get_labels())
    entry = next(iter(per_label.values()))
    assert set(entry) == {"precision", "recall", "f1score"}


def test_vocabulary_labels_and_vectors(model):
    words = model.get_words()
    assert isinstance(words, list) and "turn" in words and "turn" in model
    words, freqs = model.get_words(include_freq=True)
    assert isinstance(freqs, np.ndarray) and len(freqs) == len(words) and freqs[0] >= freqs[-1]
    labels, counts = model.get_labels(include_freq=True)
    assert all(l.startswith("__label__") for l in labels) and counts.sum() == 1200
    assert model.labels == labels and model.words == words
    assert model.get_label_id(labels[0]) == 0 and model.get_word_id("no-such-word") == -1
    vector = model.get_sentence_vector("turn on the lights")
    assert vector.shape == (model.get_dimension(),) == (100,) and vector.dtype == np.float32
    assert model.get_word_vector("turn").shape == (100,)
    assert model.get_line("__label__x turn it on") == (["turn", "it", "on"], ["__label__x"])
    assert fasttext.tokenize("a  b\tc") == ["a", "b", "c"]


def test_save_and_load_model(model, tmp_path):
    path = tmp_path / "model.bin"
    model.save_model(str(path))
    again = fasttext.load_model(str(path))
    text = "set a timer for ten minutes"
    assert again.predict(text, k=3)[0] == model.predict(text, k=3)[0]
    assert again.get_labels() == model.get_labels()
    assert not again.is_quantized()


def test_unsupported_things_raise_not_implemented_error(model, ha_small):
    cases = [
        lambda: fasttext.train_unsupervised(input=str(ha_small)),
        lambda: fasttext.train_supervised(input=str(ha_small), loss="ns"),
        lambda: fasttext.train_supervised(input=str(ha_small), pretrainedVectors="v.vec"),
        lambda: fasttext.train_supervised(input=str(ha_small), autotuneValidationFile="v.txt"),
        lambda: fasttext.train_supervised(input=str(ha_small), lrUpdateRate=50),
        lambda: fasttext.train_supervised(input=str(ha_small), minCountLabel=5),
        model.quantize,
        model.get_input_matrix,
        model.get_output_matrix,
        lambda: model.get_nearest_neighbors("turn"),
        lambda: model.get_analogies("a", "b", "c"),
    ]
    for case in cases:
        with pytest.raises(NotImplementedError, match="textnn.fasttext does not support"):
            case()


def test_a_fasttext_bin_is_named(tmp_path):
    path = tmp_path / "ft.bin"
    # fastText's magic number (793712314, little-endian) and version 12.
    path.write_bytes((793712314).to_bytes(4, "little") + (12).to_bytes(4, "little") + b"\0" * 64)
    with pytest.raises(textnn.ModelError, match="fastText"):
        fasttext.load_model(str(path))
