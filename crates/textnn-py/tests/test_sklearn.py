"""TextClassifier in scikit-learn's machinery, on ha_intents."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MultiLabelBinarizer

import textnn
from conftest import HA_TEST, HA_TRAIN, parse_fasttext
from textnn import TextClassifier


@pytest.fixture(scope="module")
def ha():
    X, Y = parse_fasttext(HA_TRAIN)
    Xt, Yt = parse_fasttext(HA_TEST)
    return X, [l[0] for l in Y], Xt, [l[0] for l in Yt]


def test_fit_predict_score_on_ha_intents(ha):
    X, y, Xt, yt = ha
    clf = TextClassifier(epochs=10, threads=2).fit(X, y)
    assert list(clf.classes_) == sorted(set(y))
    assert clf.score(Xt, yt) > 0.95
    proba = clf.predict_proba(Xt[:20])
    assert proba.shape == (20, len(clf.classes_))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert list(clf.predict(Xt[:20])) == list(clf.classes_[proba.argmax(axis=1)])
    scores = clf.decision_function(Xt[:20])
    assert (scores.argmax(axis=1) == proba.argmax(axis=1)).all()
    # The model inside is textnn's, with the labels as given.
    assert clf.model_.predict(Xt[0])[0][0] == clf.predict(Xt[:1])[0]


def test_the_estimator_gives_the_model_textnn_train_gives(ha):
    X, y, _, _ = ha
    clf = TextClassifier(preset="fasttext", epochs=3, threads=1, seed=5).fit(X, y)
    direct = textnn.train(X, y, preset="fasttext", epochs=3, threads=1, seed=5)
    assert clf.model_.to_bytes() == direct.to_bytes()


def test_pipeline_grid_search_and_cross_validation(ha):
    X, y, Xt, yt = ha
    pipe = make_pipeline(
        FunctionTransformer(lambda texts: [t.replace("?", " ") for t in texts]),
        TextClassifier(threads=2),
    )
    grid = GridSearchCV(
        pipe,
        {"textclassifier__epochs": [2, 10], "textclassifier__dim": [16, 64]},
        cv=2,
        n_jobs=1,
    )
    grid.fit(X, y)
    assert grid.best_params_["textclassifier__epochs"] == 10
    assert grid.score(Xt, yt) > 0.95
    scores = cross_val_score(TextClassifier(epochs=5, threads=2), X[:3000], y[:3000], cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85


def test_params_clone_and_pickle(ha):
    X, y, Xt, _ = ha
    clf = TextClassifier(preset="fasttext", lr=0.3, char_ngrams=(3, 4), hidden=[8])
    params = clf.get_params()
    assert params["lr"] == 0.3 and params["char_ngrams"] == (3, 4) and params["epochs"] is None
    assert clf.set_params(epochs=4, threads=1) is clf and clf.epochs == 4
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "model_")
    clf.set_params(hidden=None, char_ngrams=None).fit(X[:2000], y[:2000])
    again = pickle.loads(pickle.dumps(clf))
    assert again.model_.to_bytes() == clf.model_.to_bytes()
    assert (again.predict(Xt) == clf.predict(Xt)).all()
    with pytest.raises(ValueError, match="unknown variant"):
        TextClassifier(combine="median", epochs=1).fit(X[:10], y[:10])


def test_integer_labels_binary_decision_function_and_pandas(ha):
    pd = pytest.importorskip("pandas")
    X, y, Xt, yt = ha
    target = np.array([int(label == "HassTurnOn") for label in y])
    clf = TextClassifier(epochs=5, threads=2).fit(pd.Series(X), pd.Series(target))
    assert list(clf.classes_) == [0, 1]
    scores = clf.decision_function(Xt)
    assert scores.shape == (len(Xt),)
    assert ((scores > 0).astype(int) == clf.predict(Xt)).all()
    frame = pd.DataFrame({"text": Xt})
    assert (clf.predict(frame[["text"]]) == clf.predict(Xt)).all()


def test_hierarchical_softmax_has_no_decision_function(ha):
    X, y, _, _ = ha
    clf = TextClassifier(loss="hs", epochs=2, threads=1)
    assert not hasattr(clf, "decision_function")
    clf.fit(X[:500], y[:500])
    assert not hasattr(clf, "decision_function")
    assert np.allclose(clf.predict_proba(X[:5]).sum(axis=1), 1.0, atol=1e-5)


def _multilabel(y):
    """Each intent plus its family (on/off, timers, media, …) as a second label."""
    def family(intent):
        for word in ("Timer", "Media", "Turn", "Get", "Set", "Vacuum", "Shopping"):
            if word in intent:
                return "family-" + word
        return "family-other"
    return [[label, family(label)] for label in y]


def test_multilabel_lists_and_indicator_matrix(ha):
    X, y, Xt, yt = ha
    Y, Yt = _multilabel(y), _multilabel(yt)
    clf = TextClassifier(epochs=10, threads=2).fit(X, Y)
    assert clf.multilabel_ and clf.model_.settings["network"]["loss"] == "huber"
    predicted = clf.predict(Xt)
    assert predicted.shape == (len(Xt), len(clf.classes_)) and set(np.unique(predicted)) <= {0, 1}
    assert clf.score(Xt, Yt) > 0.8
    binarizer = MultiLabelBinarizer().fit(Y)
    indicator = TextClassifier(epochs=10, threads=2).fit(X, binarizer.transform(Y))
    assert list(indicator.classes_) == list(range(len(binarizer.classes_)))
    assert (binarizer.classes_ == clf.classes_).all()
    assert (indicator.predict(Xt) == predicted).all()
    assert indicator.score(Xt, binarizer.transform(Yt)) == clf.score(Xt, Yt)
