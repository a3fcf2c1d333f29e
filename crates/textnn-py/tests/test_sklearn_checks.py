"""scikit-learn's own estimator checks (sklearn.utils.estimator_checks).

TextClassifier takes raw text, so `check_estimator` itself runs nothing
(its tags say string input; scikit-learn skips estimators that take no 2-D
numeric arrays). The checks are therefore called one by one:

- API checks, which need no data, on TextClassifier itself;
- data checks on `RowsAsText`, a test-only subclass that writes each
  numeric row scikit-learn generates as a text (feature j with value v is
  the token `f{j}_{floor(v)}`) and passes it to TextClassifier unchanged:
  fit, predict, predict_proba, decision_function and score run their real
  code on scikit-learn's data, labels (strings, integers, one class,
  regression targets, 2-D y, multi-label), orders and subsets;
- NOT_APPLICABLE: checks about numeric arrays themselves (dtypes, NaN,
  sparse matrices, array API, 1-D vs 2-D, n_features_in_, …) or about
  parameters TextClassifier does not have (sample_weight, class_weight,
  partial_fit), each with the reason.

`test_every_check_is_run_or_explained` fails when a scikit-learn release
adds a check that is in neither list.
"""

import numpy as np
import pytest
from sklearn.utils import estimator_checks as ec

from textnn import TextClassifier

FAST = dict(epochs=30, threads=1, lr=0.5)

API_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
]

DATA_CHECKS = [
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_estimators_unfitted",
    "check_pipeline_consistency",
    "check_estimators_pickle",
    "check_classifier_data_not_an_array",
    "check_classifiers_one_label",
    "check_classifiers_classes",
    "check_classifiers_train",
    "check_classifiers_regression_target",
    "check_supervised_y_2d",
    "check_decision_proba_consistency",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_requires_y_none",
    "check_classifiers_multilabel_representation_invariance",
    "check_classifiers_multilabel_output_format_predict",
    "check_classifiers_multilabel_output_format_predict_proba",
    "check_classifiers_multilabel_output_format_decision_function",
]

NOT_APPLICABLE = {
    "check_fit1d": "a 1-D X is TextClassifier's input (one text per sample), not an error",
    "check_fit2d_predict1d": "same: 1-D X is the text input",
    "check_fit2d_1sample": "about 2-D numeric arrays; one text trains (test_one_text_trains)",
    "check_fit2d_1feature": "about numeric feature columns; a text has no fixed features",
    "check_n_features_in": "n_features_in_ counts numeric columns; texts have none",
    "check_n_features_in_after_fitting": "same: no n_features_in_ for text input",
    "check_estimators_dtypes": "float32/int64 numeric X: not text",
    "check_dtype_object": "object arrays of numbers and strings as features: X is text",
    "check_complex_data": "complex-valued features: X is text",
    "check_estimators_nan_inf": "NaN/inf features: X is text",
    "check_estimators_empty_data_messages": "empty 2-D arrays; an empty text list is refused (test_empty_input_is_refused)",
    "check_readonly_memmap_input": "read-only numeric memmaps: X is text",
    "check_f_contiguous_array_estimator": "memory layout of numeric arrays: X is text",
    "check_positive_only_tag_during_fit": "non-negative numeric input tag: X is text",
    "check_estimator_sparse_tag": "sparse matrices: X is text",
    "check_estimator_sparse_array": "sparse arrays: X is text",
    "check_estimator_sparse_matrix": "sparse matrices: X is text",
    "check_array_api_input": "array API namespaces for numeric arrays: X is text",
    "check_array_api_mixed_inputs": "array API namespaces: X is text",
    "check_array_api_same_namespace": "array API namespaces: X is text",
    "check_sparsify_coefficients": "linear models' coef_: textnn has no coef_",
    "check_sample_weights_pandas_series": "fit takes no sample_weight (textnn weighs examples equally)",
    "check_sample_weights_not_an_array": "fit takes no sample_weight",
    "check_sample_weights_list": "fit takes no sample_weight",
    "check_all_zero_sample_weights_error": "fit takes no sample_weight",
    "check_sample_weights_shape": "fit takes no sample_weight",
    "check_sample_weights_not_overwritten": "fit takes no sample_weight",
    "check_sample_weight_equivalence_on_dense_data": "fit takes no sample_weight",
    "check_sample_weight_equivalence_on_sparse_data": "fit takes no sample_weight",
    "check_classifiers_one_label_sample_weights": "fit takes no sample_weight",
    "check_class_weight_classifiers": "no class_weight parameter",
    "check_class_weight_balanced_linear_classifier": "no class_weight parameter",
    "check_estimators_partial_fit_n_features": "no partial_fit",
    "check_non_transformer_estimators_n_iter": "only for estimators with max_iter/n_iter_",
    "check_supervised_y_no_nan": "NaN targets: rejected by the y type check, but the check feeds numeric X",
}


class RowsAsText(TextClassifier):
    """TextClassifier on scikit-learn's numeric test data, each row written as a text."""

    def _rows(self, X):
        X = np.asarray(X)
        if X.dtype.kind in "OU":  # already texts (a method calling another)
            return list(X)
        X = X.astype(float)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        # A text has no feature count; this adapter checks the column count
        # itself so that check_classifiers_train reaches its other
        # assertions (accuracy, shapes, proba/decision consistency).
        if hasattr(self, "n_columns_") and X.shape[1] != self.n_columns_:
            raise ValueError(f"X has {X.shape[1]} columns, fit had {self.n_columns_}")
        return [" ".join(f"f{j}_{int(np.floor(v))}" for j, v in enumerate(row)) for row in X]

    def fit(self, X, y):
        if hasattr(self, "n_columns_"):
            del self.n_columns_
        texts = self._rows(X)
        super().fit(texts, y)
        self.n_columns_ = np.asarray(X).reshape(len(texts), -1).shape[1]
        return self

    def predict(self, X):
        return super().predict(self._rows(X))

    def predict_proba(self, X):
        return super().predict_proba(self._rows(X))

    def decision_function(self, X):
        return super().decision_function(self._rows(X))

    def score(self, X, y, sample_weight=None):
        return super().score(self._rows(X), y, sample_weight)


def _run(name, estimator):
    check = getattr(ec, name)
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize("name", API_CHECKS)
def test_api_check(name):
    _run(name, TextClassifier(**FAST))


@pytest.mark.parametrize("name", DATA_CHECKS)
def test_data_check(name):
    if "multilabel" in name:
        # One score per label for multi-label data: the default's rule.
        _run(name, RowsAsText(epochs=30, threads=1))
    else:
        _run(name, RowsAsText(**FAST))


def test_every_check_is_run_or_explained():
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    yielded = set()
    for estimator in (LogisticRegression(), MLPClassifier()):
        for check in ec._yield_all_checks(estimator, legacy=True):
            yielded.add(getattr(check, "func", check).__name__)
    covered = set(API_CHECKS) | set(DATA_CHECKS) | set(NOT_APPLICABLE)
    assert not yielded - covered, f"checks neither run nor explained: {sorted(yielded - covered)}"


def test_one_text_trains():
    clf = TextClassifier(**FAST).fit(["hello there"], ["greet"])
    assert list(clf.predict(["hello"])) == ["greet"]


def test_empty_input_is_refused():
    with pytest.raises(ValueError, match="at least one text"):
        TextClassifier(**FAST).fit([], [])
