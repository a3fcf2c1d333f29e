"""textnn's own Python API: same bytes as the CLI, errors, GIL, pickling."""

import pickle
import subprocess
import threading
import time

import numpy as np
import pytest

import textnn
from conftest import HA_TRAIN as REPO_HA_TRAIN, parse_fasttext

# (CLI options, Python settings): each pair must train the same model.
SAME_SETTINGS = [
    pytest.param(
        ["--threads", "2"],
        dict(threads=2),
        id="default-preset-chooses-epochs",
    ),
    pytest.param(
        ["--preset", "fasttext", "--lr", "0.5", "--epochs", "4", "--word-ngrams", "2",
         "--char-ngrams", "3-5", "--buckets", "20000", "--dim", "16", "--seed", "7",
         "--threads", "1"],
        dict(preset="fasttext", lr=0.5, epochs=4, word_ngrams=2, char_ngrams=(3, 5),
             buckets=20000, dim=16, seed=7, threads=1),
        id="fasttext-ngrams",
    ),
    pytest.param(
        ["--preset", "fasttext", "--loss", "hs", "--epochs", "3", "--dim", "8", "--threads", "1"],
        dict(preset="fasttext", loss="hs", epochs=3, dim=8, threads=1),
        id="hierarchical-softmax",
    ),
    pytest.param(
        ["--hidden", "16", "--activation", "relu", "--optimizer", "adam", "--lr", "0.01",
         "--epochs", "3", "--batch", "8", "--dropout", "0.2", "--seed", "3", "--threads", "1"],
        dict(hidden=[16], activation="relu", optimizer="adam", lr=0.01, epochs=3, batch=8,
             dropout=0.2, seed=3, threads=1),
        id="hidden-adam-batch",
    ),
]


@pytest.mark.parametrize("cli_options,settings", SAME_SETTINGS)
def test_python_training_gives_the_cli_model_bytes(cli, ha_small, tmp_path, cli_options, settings):
    cli_model = tmp_path / "cli.textnn"
    subprocess.run(
        [cli, "train", str(ha_small), "-o", str(cli_model), "--quiet", *cli_options],
        check=True,
    )
    expected = cli_model.read_bytes()
    from_file = textnn.train_file(ha_small, **settings)
    texts, labels = parse_fasttext(ha_small)
    from_memory = textnn.train(texts, labels, **settings)
    assert from_file.to_bytes() == expected
    assert from_memory.to_bytes() == expected
    # A model the CLI wrote loads and predicts what the Python one does.
    loaded = textnn.load(cli_model)
    assert loaded.predict(texts[:50], k=3) == from_memory.predict(texts[:50], k=3)


def test_cli_predictions_match_python_predictions(cli, ha_small, ha_test_small, tmp_path):
    model = textnn.train_file(ha_small, preset="fasttext", epochs=5, threads=1)
    path = tmp_path / "m.textnn"
    model.save(path)
    texts, _ = parse_fasttext(ha_test_small)
    out = subprocess.run(
        [cli, "predict", str(path), "-", "--k", "2"],
        input="\n".join(texts) + "\n", capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    for line, ranked in zip(out, model.predict(texts, k=2), strict=True):
        fields = line.split()
        assert fields[0::2] == [label for label, _ in ranked]
        assert np.allclose([float(p) for p in fields[1::2]], [p for _, p in ranked], atol=1e-6)


def test_predict_shapes_and_probabilities(ha_small):
    model = textnn.train_file(ha_small, preset="fasttext", epochs=5, threads=1)
    one = model.predict("turn on the kitchen lights", k=3)
    assert len(one) == 3 and all(isinstance(l, str) and isinstance(p, float) for l, p in one)
    assert [p for _, p in one] == sorted((p for _, p in one), reverse=True)
    many = model.predict(["turn on the lights", "what time is it"], k=0)
    assert [len(r) for r in many] == [len(model.labels)] * 2
    proba = model.predict_proba(["turn on the lights", "what time is it"])
    assert proba.shape == (2, len(model.labels)) and proba.dtype == np.float32
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert model.labels[int(proba[0].argmax())] == many[0][0][0]
    assert model.sentence_vectors(["a b", "c"]).shape == (2, model.dim)
    assert model.predict([]) == []
    assert model.predict_proba([]).shape[0] == 0
    # Threads change nothing.
    texts, _ = parse_fasttext(ha_small)
    assert model.predict(texts, k=2, threads=1) == model.predict(texts, k=2, threads=4)


def test_pickle_and_bytes_round_trip(ha_small):
    model = textnn.train_file(ha_small, preset="fasttext", epochs=2, threads=1)
    again = pickle.loads(pickle.dumps(model))
    assert again.to_bytes() == model.to_bytes()
    assert textnn.Model.from_bytes(model.to_bytes()).labels == model.labels


def test_bad_settings_raise_value_error_with_the_library_message():
    with pytest.raises(ValueError, match="learning rate must be positive and finite, got -1"):
        textnn.train(["a"], ["x"], lr=-1)
    with pytest.raises(ValueError, match=r"loss=\"nope\": unknown variant `nope`"):
        textnn.train(["a"], ["x"], loss="nope")
    with pytest.raises(ValueError, match="dropout must be in"):
        textnn.train(["a"], ["x"], dropout=1.5)
    with pytest.raises(TypeError, match="unknown setting"):
        textnn.train(["a"], ["x"], learning_rate=0.1)
    with pytest.raises(ValueError, match="unknown preset"):
        textnn.train(["a"], ["x"], preset="nope")
    with pytest.raises(ValueError, match="2 texts but 1 label lists"):
        textnn.train(["a", "b"], ["x"])
    with pytest.raises(TypeError):
        textnn.train("a text", ["x"])


def test_a_bad_data_line_is_a_data_error_with_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "label": "a"}\n{"text": 3, "label": "b"}\n')
    with pytest.raises(textnn.DataError) as caught:
        textnn.train_file(path, epochs=1)
    assert caught.value.line == 2
    assert caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}:2: ")
    assert isinstance(caught.value, ValueError)


def test_skipped_lines_are_a_warning(tmp_path):
    path = tmp_path / "skips.txt"
    path.write_text("__label__a hello there\nno label here\n__label__b good bye\n")
    with pytest.warns(UserWarning, match="skipped 1 line"):
        textnn.train_file(path, preset="fasttext", epochs=1)


def test_missing_and_damaged_model_files(tmp_path, ha_small):
    with pytest.raises(FileNotFoundError):
        textnn.load(tmp_path / "none.textnn")
    data = bytearray(textnn.train_file(ha_small, preset="fasttext", epochs=1).to_bytes())
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(textnn.ModelError):
        textnn.Model.from_bytes(bytes(data))
    with pytest.raises(textnn.ModelError):
        textnn.Model.from_bytes(b"not a model")


def test_diverging_training_is_a_training_error(ha_small):
    # As the CLI's test: an absurd learning rate, decayed linearly.
    with pytest.raises(textnn.TrainingError, match="training diverged at epoch 1"):
        textnn.train_file(ha_small, lr=1e30, schedule="linear", epochs=2)


def test_training_releases_the_gil(ha_small):
    texts, labels = parse_fasttext(ha_small)
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    thread = threading.Thread(target=tick)
    thread.start()
    started = time.perf_counter()
    textnn.train(texts * 3, labels * 3, preset="fasttext", epochs=15, threads=1)
    elapsed = time.perf_counter() - started
    done.set()
    thread.join()
    during = [t for t in ticks if started < t < started + elapsed]
    # A thread holding the GIL for the whole call would leave none.
    assert elapsed > 0.05 and len(during) > 10, (elapsed, len(during))


def test_ctrl_c_stops_training_with_keyboard_interrupt():
    import _thread

    texts, labels = parse_fasttext(REPO_HA_TRAIN)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        # Minutes of work if nothing stopped it.
        textnn.train(texts, labels, preset="fasttext", epochs=10_000, threads=1)
    timer.join()
    assert time.perf_counter() - started < 5.0


def test_predict_ranks_as_the_library_ranks_ties_included(ha_small):
    # Words the model never saw give a zero text vector: every label ties,
    # and the ranking is by label id, as `textnn::model::rank` orders.
    model = textnn.train_file(ha_small, preset="fasttext", epochs=3, threads=1)
    texts, _ = parse_fasttext(ha_small)
    texts = texts[:300] + ["zzz-unknown", "", "qqq www"]
    proba = model.predict_proba(texts)
    for k in (1, 2, 5, 0):
        for threshold in (0.0, 0.01, 0.3):
            got = model.predict(texts, k=k, threshold=threshold)
            for row, ranking in zip(proba, got):
                order = sorted(range(len(row)), key=lambda i: (-row[i], i))
                order = [i for i in order if row[i] >= np.float32(threshold)]
                if k:
                    order = order[:k]
                assert [label for label, _ in ranking] == [model.labels[i] for i in order]
                assert [p for _, p in ranking] == [float(row[i]) for i in order]
    tied = model.predict("zzz-unknown", k=3)
    assert [label for label, _ in tied] == model.labels[:3]
