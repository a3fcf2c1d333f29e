//! Evaluation figures for `textnn test`.
//!
//! For every example the classifier returns a ranked list `R` of labels
//! (best first, already cut to the top `k` with probability ≥ threshold, so
//! possibly empty); the example has a set `G` of gold labels, some of which
//! the model may never have seen. Summed over the examples:
//!
//! ```text
//! accuracy       = #{examples whose R[0] is in G} / examples      (= P@1)
//! error_rate     = 1 - accuracy
//! loss           = Σ loss_i / (examples that have a loss)
//! precision_at_k = Σ |R ∩ G| / Σ |R|
//! recall_at_k    = Σ |R ∩ G| / Σ |G|           (unseen gold labels included)
//! F1(label)      = 2·P·R / (P + R) = 2·tp / (support + predicted)
//! macro_f1       = mean of F1(label) over labels with support > 0 or predicted > 0
//! weighted_f1    = Σ support·F1(label) / Σ support
//! ```
//!
//! Every ratio whose denominator is 0 is 0, as with scikit-learn's
//! `zero_division=0`.
//!
//! ```
//! use textnn::metrics::Evaluator;
//!
//! let labels = vec!["spam".to_string(), "ham".to_string()];
//! let mut evaluator = Evaluator::new(labels, 1);
//! evaluator.add(&[0], &[], &[(0, 0.9)], Some(0.1));
//! evaluator.add(&[1], &[], &[(0, 0.7)], Some(1.2));
//! let report = evaluator.finish();
//! assert_eq!(report.examples, 2);
//! assert_eq!(report.accuracy, 0.5);
//! assert!((report.loss - 0.65).abs() < 1e-12);
//! assert!(report.to_text().contains("accuracy"));
//! ```

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use serde::Serialize;

/// Accumulates predictions one example at a time, then computes a [`Report`].
///
/// Counting rules, applied per example:
///
/// - gold labels and unseen gold labels are sets: a label listed twice for
///   one example counts once;
/// - a label repeated in `predicted` counts once, at its first (best) rank;
/// - a label is *predicted* for the example when it appears in `predicted`,
///   and a *true positive* when it is also gold.
#[derive(Clone, Debug)]
pub struct Evaluator {
    label_names: Vec<String>,
    k: usize,
    examples: usize,
    /// Examples whose first prediction is gold.
    top_correct: usize,
    loss_sum: f64,
    loss_count: usize,
    /// Σ |R| over examples.
    n_predictions: usize,
    /// Σ |R ∩ G| over examples.
    n_correct_predictions: usize,
    /// Σ |G| over examples, unseen gold labels included.
    n_gold: usize,
    /// Per model label: times it is gold.
    support: Vec<usize>,
    /// Per model label: times it is returned.
    predicted: Vec<usize>,
    /// Per model label: times it is returned and gold.
    true_positives: Vec<usize>,
    /// Unseen gold label name -> number of examples that carry it. A
    /// `BTreeMap` so that the report lists them sorted by name for free.
    unseen: BTreeMap<String, usize>,
    examples_with_unseen_labels: usize,
    /// Scratch flags, one per model label, reused so that `add` allocates
    /// nothing for known labels.
    is_gold: Vec<bool>,
    is_seen_prediction: Vec<bool>,
}

impl Evaluator {
    /// Starts an empty evaluation.
    ///
    /// `label_names`: the model's labels, by index. `k`: how many predictions
    /// per example the caller requests; it is only reported, the figures use
    /// whatever lists [`add`](Self::add) receives.
    pub fn new(label_names: Vec<String>, k: usize) -> Self {
        let n_labels = label_names.len();
        Evaluator {
            label_names,
            k,
            examples: 0,
            top_correct: 0,
            loss_sum: 0.0,
            loss_count: 0,
            n_predictions: 0,
            n_correct_predictions: 0,
            n_gold: 0,
            support: vec![0; n_labels],
            predicted: vec![0; n_labels],
            true_positives: vec![0; n_labels],
            unseen: BTreeMap::new(),
            examples_with_unseen_labels: 0,
            is_gold: vec![false; n_labels],
            is_seen_prediction: vec![false; n_labels],
        }
    }

    /// Adds one example.
    ///
    /// `gold`: indices of the example's known gold labels; `unseen_gold`:
    /// names of gold labels the model doesn't know; `predicted`: the ranked
    /// list the classifier returned (best first, may be empty); `loss`: this
    /// example's loss, computed by the caller (the report gives the mean),
    /// or `None` when it has none (all its gold labels are unseen, so the
    /// loss is undefined).
    ///
    /// # Panics
    ///
    /// If an index in `gold` or `predicted` is not a label of the model: that
    /// is a bug in the caller, not a property of the data.
    pub fn add(
        &mut self,
        gold: &[usize],
        unseen_gold: &[String],
        predicted: &[(usize, f32)],
        loss: Option<f64>,
    ) {
        let n_labels = self.label_names.len();
        self.examples += 1;
        if let Some(loss) = loss {
            self.loss_sum += loss;
            self.loss_count += 1;
        }

        for &label_idx in gold {
            assert!(
                label_idx < n_labels,
                "gold label index {label_idx} out of range for {n_labels} labels"
            );
            if !self.is_gold[label_idx] {
                self.is_gold[label_idx] = true;
                self.support[label_idx] += 1;
                self.n_gold += 1;
            }
        }

        let mut has_unseen = false;
        for (position, name) in unseen_gold.iter().enumerate() {
            // Unseen lists are short (usually empty), so a quadratic duplicate
            // check is cheaper than building a set.
            if unseen_gold[..position].contains(name) {
                continue;
            }
            has_unseen = true;
            self.n_gold += 1;
            *self.unseen.entry(name.clone()).or_insert(0) += 1;
        }
        if has_unseen {
            self.examples_with_unseen_labels += 1;
        }

        if let Some(&(top_idx, _)) = predicted.first() {
            assert!(
                top_idx < n_labels,
                "predicted label index {top_idx} out of range for {n_labels} labels"
            );
            if self.is_gold[top_idx] {
                self.top_correct += 1;
            }
        }
        for &(label_idx, _) in predicted {
            assert!(
                label_idx < n_labels,
                "predicted label index {label_idx} out of range for {n_labels} labels"
            );
            if self.is_seen_prediction[label_idx] {
                continue;
            }
            self.is_seen_prediction[label_idx] = true;
            self.predicted[label_idx] += 1;
            self.n_predictions += 1;
            if self.is_gold[label_idx] {
                self.true_positives[label_idx] += 1;
                self.n_correct_predictions += 1;
            }
        }

        // Clear only the flags this example set, so the cost of `add` does
        // not grow with the number of labels.
        for &label_idx in gold {
            self.is_gold[label_idx] = false;
        }
        for &(label_idx, _) in predicted {
            self.is_seen_prediction[label_idx] = false;
        }
    }

    /// Computes the figures; see [`Report`] for their definitions.
    pub fn finish(self) -> Report {
        let labels: Vec<LabelReport> = self
            .label_names
            .into_iter()
            .enumerate()
            .map(|(label_idx, label)| {
                let tp = self.true_positives[label_idx];
                let support = self.support[label_idx];
                let predicted = self.predicted[label_idx];
                LabelReport {
                    label,
                    precision: ratio(tp, predicted),
                    recall: ratio(tp, support),
                    f1: f1(tp, support, predicted),
                    support,
                    predicted,
                }
            })
            .collect();
        let unseen_labels: Vec<UnseenLabel> = self
            .unseen
            .into_iter()
            .map(|(label, count)| UnseenLabel { label, count })
            .collect();

        // Unseen labels take part in the F1 averages as labels that are gold
        // `count` times and never predicted (F1 = 0), exactly as
        // scikit-learn would score them given the raw gold names; leaving
        // them out would flatter a model trained on too few labels.
        let mut f1_sum = 0.0;
        let mut n_averaged = 0usize;
        let mut weighted_sum = 0.0;
        let mut support_sum = 0usize;
        for label in &labels {
            if label.support > 0 || label.predicted > 0 {
                f1_sum += label.f1;
                n_averaged += 1;
            }
            weighted_sum += label.support as f64 * label.f1;
            support_sum += label.support;
        }
        for unseen in &unseen_labels {
            n_averaged += 1;
            support_sum += unseen.count;
        }

        let accuracy = ratio(self.top_correct, self.examples);
        Report {
            examples: self.examples,
            accuracy,
            error_rate: 1.0 - accuracy,
            loss: if self.loss_count == 0 {
                0.0
            } else {
                self.loss_sum / self.loss_count as f64
            },
            k: self.k,
            precision_at_k: ratio(self.n_correct_predictions, self.n_predictions),
            recall_at_k: ratio(self.n_correct_predictions, self.n_gold),
            macro_f1: if n_averaged == 0 {
                0.0
            } else {
                f1_sum / n_averaged as f64
            },
            weighted_f1: if support_sum == 0 {
                0.0
            } else {
                weighted_sum / support_sum as f64
            },
            labels,
            unseen_labels,
            examples_with_unseen_labels: self.examples_with_unseen_labels,
        }
    }
}

/// `numerator / denominator`, or 0 when the denominator is 0
/// (scikit-learn's `zero_division=0`).
fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// F1 = 2·P·R / (P + R) = 2·tp / (support + predicted), or 0 when the label
/// is neither gold nor predicted. The count form avoids rounding P and R
/// first.
fn f1(true_positives: usize, support: usize, predicted: usize) -> f64 {
    ratio(2 * true_positives, support + predicted)
}

/// Figures of one evaluation; serialized as the JSON of `textnn test --json`.
///
/// Notation: per example, `R` is the returned list (deduplicated) and `G` the
/// set of gold labels, unseen ones included. Every ratio whose denominator is
/// 0 is 0 (scikit-learn's `zero_division=0`).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Number of examples added.
    pub examples: usize,
    /// `#{examples with R non-empty and R[0] ∈ G} / examples`, i.e. P@1; an
    /// example with no prediction counts as wrong.
    pub accuracy: f64,
    /// `1 - accuracy` (so 1 when there are no examples).
    pub error_rate: f64,
    /// `Σ loss_i / n`, the mean loss over the `n` examples that have one (0 when there
    /// are no examples).
    pub loss: f64,
    /// The number of predictions per example the caller requested.
    pub k: usize,
    /// fastText's precision: `Σ |R ∩ G| / Σ |R|`, correct predictions over
    /// predictions made, so examples with fewer than `k` predictions (cut by
    /// the threshold) are not penalised for the missing ones.
    pub precision_at_k: f64,
    /// `Σ |R ∩ G| / Σ |G|`, correct predictions over gold labels. Unlike
    /// fastText, which drops unknown labels when reading, unseen gold labels
    /// count in the denominator, since no model could predict them.
    pub recall_at_k: f64,
    /// Unweighted mean of `f1` over the labels with `support > 0` or
    /// `predicted > 0`: model labels that never appear on either side are
    /// left out (scikit-learn's default, the union of `y_true` and `y_pred`),
    /// and every unseen gold label is included with F1 = 0.
    pub macro_f1: f64,
    /// `Σ support·f1 / Σ support` over model labels and unseen gold labels
    /// (the latter with F1 = 0).
    pub weighted_f1: f64,
    /// One entry per model label, in label-index order.
    pub labels: Vec<LabelReport>,
    /// Gold labels the model has never seen, sorted by name.
    pub unseen_labels: Vec<UnseenLabel>,
    /// Number of examples with at least one unseen gold label.
    pub examples_with_unseen_labels: usize,
}

/// Figures for one model label.
#[derive(Clone, Debug, Serialize)]
pub struct LabelReport {
    /// The label's name.
    pub label: String,
    /// `tp / predicted`: of the examples it was returned for, the fraction
    /// where it is gold (0 when never returned).
    pub precision: f64,
    /// `tp / support`: of the examples where it is gold, the fraction it was
    /// returned for (0 when never gold).
    pub recall: f64,
    /// `2·precision·recall / (precision + recall) = 2·tp / (support +
    /// predicted)`; 0 when both are 0.
    pub f1: f64,
    /// Number of examples where this label is gold.
    pub support: usize,
    /// Number of examples for which this label was returned.
    pub predicted: usize,
}

/// A gold label that the model does not know.
#[derive(Clone, Debug, Serialize)]
pub struct UnseenLabel {
    /// The label's name as written in the test data.
    pub label: String,
    /// Number of examples that carry it.
    pub count: usize,
}

/// How many unseen label names the text report lists before "and N more".
const MAX_UNSEEN_LISTED: usize = 10;

impl Report {
    /// Human-readable report for the terminal.
    ///
    /// A summary block (examples, accuracy, error rate = 1 − accuracy, mean
    /// loss, P@k, R@k, macro and weighted F1, unseen labels), then a table
    /// with one line per model label (label, precision, recall, F1, support),
    /// sorted by support, largest first, ties in label-index order. Figures
    /// have four decimals; columns are aligned.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; only the signature is fallible.
        self.write_text(&mut out)
            .expect("writing to a String never fails");
        out
    }

    fn write_text(&self, out: &mut String) -> fmt::Result {
        let k = self.k;
        writeln!(out, "{:<16}{}", "examples", self.examples)?;
        writeln!(out, "{:<16}{:.4}", "accuracy", self.accuracy)?;
        writeln!(out, "{:<16}{:.4}", "error rate", self.error_rate)?;
        writeln!(out, "{:<16}{:.4}", "mean loss", self.loss)?;
        writeln!(out, "{:<16}{:.4}", format!("P@{k}"), self.precision_at_k)?;
        writeln!(out, "{:<16}{:.4}", format!("R@{k}"), self.recall_at_k)?;
        writeln!(out, "{:<16}{:.4}", "macro F1", self.macro_f1)?;
        writeln!(out, "{:<16}{:.4}", "weighted F1", self.weighted_f1)?;
        write!(out, "{:<16}", "unseen labels")?;
        if self.unseen_labels.is_empty() {
            writeln!(out, "none")?;
        } else {
            write!(
                out,
                "{} in {} examples:",
                self.unseen_labels.len(),
                self.examples_with_unseen_labels
            )?;
            for unseen in self.unseen_labels.iter().take(MAX_UNSEEN_LISTED) {
                write!(out, " {} ({})", unseen.label, unseen.count)?;
            }
            if self.unseen_labels.len() > MAX_UNSEEN_LISTED {
                write!(
                    out,
                    " and {} more",
                    self.unseen_labels.len() - MAX_UNSEEN_LISTED
                )?;
            }
            writeln!(out)?;
        }

        // Rust pads by `char` count, which matches the terminal width for
        // most label names (not for wide CJK characters or combining marks).
        let label_width = self
            .labels
            .iter()
            .map(|label| label.label.chars().count())
            .chain(std::iter::once("label".len()))
            .max()
            .unwrap_or(0);
        let support_width = self
            .labels
            .iter()
            .map(|label| label.support.to_string().len())
            .chain(std::iter::once("support".len()))
            .max()
            .unwrap_or(0);
        let mut order: Vec<&LabelReport> = self.labels.iter().collect();
        // A stable sort keeps label-index order among equal supports.
        order.sort_by_key(|label| std::cmp::Reverse(label.support));

        writeln!(out)?;
        writeln!(
            out,
            "{:<label_width$}  {:>9}  {:>9}  {:>9}  {:>support_width$}",
            "label", "precision", "recall", "f1", "support"
        )?;
        for label in order {
            writeln!(
                out,
                "{:<label_width$}  {:>9.4}  {:>9.4}  {:>9.4}  {:>support_width$}",
                label.label, label.precision, label.recall, label.f1, label.support
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One call to [`Evaluator::add`].
    struct Example {
        gold: &'static [usize],
        unseen: &'static [&'static str],
        predicted: &'static [(usize, f32)],
        loss: f64,
    }

    /// Expected figures of one label: precision, recall, f1, support,
    /// predicted.
    type Expected = (f64, f64, f64, usize, usize);

    struct Case {
        name: &'static str,
        labels: &'static [&'static str],
        k: usize,
        examples: &'static [Example],
        accuracy: f64,
        loss: f64,
        precision_at_k: f64,
        recall_at_k: f64,
        macro_f1: f64,
        weighted_f1: f64,
        per_label: &'static [Expected],
        unseen: &'static [(&'static str, usize)],
        examples_with_unseen_labels: usize,
    }

    const fn ex(gold: &'static [usize], predicted: &'static [(usize, f32)], loss: f64) -> Example {
        Example {
            gold,
            unseen: &[],
            predicted,
            loss,
        }
    }

    fn evaluate(labels: &[&str], k: usize, examples: &[Example]) -> Report {
        let names = labels.iter().map(|name| name.to_string()).collect();
        let mut evaluator = Evaluator::new(names, k);
        for example in examples {
            let unseen: Vec<String> = example.unseen.iter().map(|s| s.to_string()).collect();
            evaluator.add(example.gold, &unseen, example.predicted, Some(example.loss));
        }
        evaluator.finish()
    }

    fn assert_close(case: &str, what: &str, actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-12,
            "{case}: {what} = {actual}, expected {expected}"
        );
    }

    const CASES: &[Case] = &[
        Case {
            // Every top prediction is the single gold label.
            name: "perfect",
            labels: &["a", "b", "c"],
            k: 1,
            examples: &[
                ex(&[0], &[(0, 0.9)], 0.1),
                ex(&[1], &[(1, 0.8)], 0.2),
                ex(&[2], &[(2, 0.7)], 0.3),
                ex(&[0], &[(0, 0.6)], 0.4),
            ],
            accuracy: 1.0,
            // (0.1 + 0.2 + 0.3 + 0.4) / 4
            loss: 0.25,
            precision_at_k: 1.0,
            recall_at_k: 1.0,
            macro_f1: 1.0,
            weighted_f1: 1.0,
            per_label: &[
                (1.0, 1.0, 1.0, 2, 2),
                (1.0, 1.0, 1.0, 1, 1),
                (1.0, 1.0, 1.0, 1, 1),
            ],
            unseen: &[],
            examples_with_unseen_labels: 0,
        },
        Case {
            // a is always predicted as b and b as a: every figure is 0.
            name: "always wrong",
            labels: &["a", "b"],
            k: 1,
            examples: &[ex(&[0], &[(1, 0.9)], 2.0), ex(&[1], &[(0, 0.8)], 3.0)],
            accuracy: 0.0,
            loss: 2.5,
            precision_at_k: 0.0,
            recall_at_k: 0.0,
            macro_f1: 0.0,
            weighted_f1: 0.0,
            per_label: &[(0.0, 0.0, 0.0, 1, 1), (0.0, 0.0, 0.0, 1, 1)],
            unseen: &[],
            examples_with_unseen_labels: 0,
        },
        Case {
            // Example 1: G = {a, b}, R = [a, c]: top right, 1 of 2 correct.
            // Example 2: G = {c},    R = [b, c]: top wrong, 1 of 2 correct.
            // accuracy = 1/2; P@2 = 2/4; R@2 = 2/3 (three gold labels).
            // a: tp 1, support 1, predicted 1 -> F1 1.
            // b: tp 0, support 1, predicted 1 -> F1 0.
            // c: tp 1, support 1, predicted 2 -> P 1/2, R 1, F1 2/3.
            // macro = weighted (equal supports) = (1 + 0 + 2/3) / 3 = 5/9.
            name: "multi-label k=2",
            labels: &["a", "b", "c"],
            k: 2,
            examples: &[
                ex(&[0, 1], &[(0, 0.6), (2, 0.3)], 0.5),
                ex(&[2], &[(1, 0.5), (2, 0.4)], 1.5),
            ],
            accuracy: 0.5,
            loss: 1.0,
            precision_at_k: 0.5,
            recall_at_k: 2.0 / 3.0,
            macro_f1: 5.0 / 9.0,
            weighted_f1: 5.0 / 9.0,
            per_label: &[
                (1.0, 1.0, 1.0, 1, 1),
                (0.0, 0.0, 0.0, 1, 1),
                (0.5, 1.0, 2.0 / 3.0, 1, 2),
            ],
            unseen: &[],
            examples_with_unseen_labels: 0,
        },
        Case {
            // Example 1 returns nothing (all below the threshold): wrong for
            // accuracy and recall, but not a prediction for P@k.
            // accuracy = 1/2; P@1 = 1/1; R@1 = 1/2.
            // a: support 1, predicted 0 -> P 0 (zero division), R 0, F1 0.
            // b: F1 1. macro = weighted = 1/2.
            name: "empty predictions",
            labels: &["a", "b"],
            k: 1,
            examples: &[ex(&[0], &[], 1.0), ex(&[1], &[(1, 0.9)], 0.0)],
            accuracy: 0.5,
            loss: 0.5,
            precision_at_k: 1.0,
            recall_at_k: 0.5,
            macro_f1: 0.5,
            weighted_f1: 0.5,
            per_label: &[(0.0, 0.0, 0.0, 1, 0), (1.0, 1.0, 1.0, 1, 1)],
            unseen: &[],
            examples_with_unseen_labels: 0,
        },
        Case {
            // Nothing returned at all: every ratio has a zero denominator or
            // a zero numerator.
            name: "no predictions at all",
            labels: &["a", "b"],
            k: 3,
            examples: &[ex(&[0], &[], 1.0), ex(&[1], &[], 1.0)],
            accuracy: 0.0,
            loss: 1.0,
            precision_at_k: 0.0,
            recall_at_k: 0.0,
            macro_f1: 0.0,
            weighted_f1: 0.0,
            per_label: &[(0.0, 0.0, 0.0, 1, 0), (0.0, 0.0, 0.0, 1, 0)],
            unseen: &[],
            examples_with_unseen_labels: 0,
        },
        Case {
            // 1: G = {a, z},  R = [a]: top right.
            // 2: G = {y, z},  R = [b]: top wrong (no known gold at all).
            // 3: G = {b},     R = [b]: top right.
            // accuracy = 2/3; P@1 = 2/3; R@1 = 2 / (2 + 2 + 1) = 2/5.
            // a: F1 1; b: tp 1, support 1, predicted 2 -> P 1/2, R 1, F1 2/3;
            // y (support 1) and z (support 2): F1 0.
            // macro = (1 + 2/3 + 0 + 0) / 4 = 5/12.
            // weighted = (1·1 + 1·2/3 + 1·0 + 2·0) / 5 = 1/3.
            name: "unseen labels",
            labels: &["a", "b"],
            k: 1,
            examples: &[
                Example {
                    gold: &[0],
                    unseen: &["z"],
                    predicted: &[(0, 0.9)],
                    loss: 0.3,
                },
                Example {
                    gold: &[],
                    unseen: &["z", "y"],
                    predicted: &[(1, 0.7)],
                    loss: 0.6,
                },
                ex(&[1], &[(1, 0.8)], 0.0),
            ],
            accuracy: 2.0 / 3.0,
            loss: 0.3,
            precision_at_k: 2.0 / 3.0,
            recall_at_k: 0.4,
            macro_f1: 5.0 / 12.0,
            weighted_f1: 1.0 / 3.0,
            per_label: &[(1.0, 1.0, 1.0, 1, 1), (0.5, 1.0, 2.0 / 3.0, 1, 2)],
            unseen: &[("y", 1), ("z", 2)],
            examples_with_unseen_labels: 2,
        },
        Case {
            // Eight single-label examples, gold -> predicted:
            //   a -> a  ×4,  a -> b ×1   (support a = 5)
            //   b -> b  ×1,  b -> a ×1   (support b = 2)
            //   c -> a  ×1               (support c = 1)
            //   d never appears on either side, so it is left out of macro F1.
            // a: tp 4, predicted 6 -> P 2/3, R 4/5, F1 = 8/(5+6) = 8/11.
            // b: tp 1, predicted 2 -> P 1/2, R 1/2, F1 = 2/(2+2) = 1/2.
            // c: tp 0, predicted 0 -> F1 0.
            // macro    = (8/11 + 1/2 + 0) / 3 = 27/66 = 9/22 ≈ 0.409
            //            (27/88 if d were counted).
            // weighted = (5·8/11 + 2·1/2 + 1·0) / 8 = (51/11) / 8 = 51/88 ≈ 0.580:
            // the big, well-classified label a pulls it above macro.
            name: "three classes, macro vs weighted",
            labels: &["a", "b", "c", "d"],
            k: 1,
            examples: &[
                ex(&[0], &[(0, 0.9)], 0.0),
                ex(&[0], &[(0, 0.9)], 0.0),
                ex(&[0], &[(0, 0.9)], 0.0),
                ex(&[0], &[(0, 0.9)], 0.0),
                ex(&[0], &[(1, 0.9)], 0.0),
                ex(&[1], &[(1, 0.9)], 0.0),
                ex(&[1], &[(0, 0.9)], 0.0),
                ex(&[2], &[(0, 0.9)], 0.0),
            ],
            accuracy: 5.0 / 8.0,
            loss: 0.0,
            precision_at_k: 5.0 / 8.0,
            recall_at_k: 5.0 / 8.0,
            macro_f1: 9.0 / 22.0,
            weighted_f1: 51.0 / 88.0,
            per_label: &[
                (2.0 / 3.0, 0.8, 8.0 / 11.0, 5, 6),
                (0.5, 0.5, 0.5, 2, 2),
                (0.0, 0.0, 0.0, 1, 0),
                (0.0, 0.0, 0.0, 0, 0),
            ],
            unseen: &[],
            examples_with_unseen_labels: 0,
        },
        Case {
            // b is predicted but never gold: it counts in macro F1 with F1 0
            // and weighs nothing in weighted F1. c appears nowhere.
            // a: tp 1, support 2, predicted 1 -> P 1, R 1/2, F1 2/3.
            // macro = (2/3 + 0) / 2 = 1/3; weighted = (2·2/3) / 2 = 2/3.
            name: "label predicted but never gold",
            labels: &["a", "b", "c"],
            k: 1,
            examples: &[ex(&[0], &[(0, 0.9)], 0.0), ex(&[0], &[(1, 0.9)], 0.0)],
            accuracy: 0.5,
            loss: 0.0,
            precision_at_k: 0.5,
            recall_at_k: 0.5,
            macro_f1: 1.0 / 3.0,
            weighted_f1: 2.0 / 3.0,
            per_label: &[
                (1.0, 0.5, 2.0 / 3.0, 2, 1),
                (0.0, 0.0, 0.0, 0, 1),
                (0.0, 0.0, 0.0, 0, 0),
            ],
            unseen: &[],
            examples_with_unseen_labels: 0,
        },
        Case {
            // Repeated gold labels, unseen labels and predictions count once
            // per example: G = {a, z}, R = [a].
            name: "duplicates count once",
            labels: &["a", "b"],
            k: 2,
            examples: &[Example {
                gold: &[0, 0],
                unseen: &["z", "z"],
                predicted: &[(0, 0.5), (0, 0.4)],
                loss: 1.0,
            }],
            accuracy: 1.0,
            loss: 1.0,
            precision_at_k: 1.0,
            recall_at_k: 0.5,
            // a: F1 1; z: F1 0 -> macro 1/2, weighted (1·1 + 1·0) / 2.
            macro_f1: 0.5,
            weighted_f1: 0.5,
            per_label: &[(1.0, 1.0, 1.0, 1, 1), (0.0, 0.0, 0.0, 0, 0)],
            unseen: &[("z", 1)],
            examples_with_unseen_labels: 1,
        },
        Case {
            // No examples: every figure is 0 except error_rate = 1 - 0.
            name: "no examples",
            labels: &["a"],
            k: 1,
            examples: &[],
            accuracy: 0.0,
            loss: 0.0,
            precision_at_k: 0.0,
            recall_at_k: 0.0,
            macro_f1: 0.0,
            weighted_f1: 0.0,
            per_label: &[(0.0, 0.0, 0.0, 0, 0)],
            unseen: &[],
            examples_with_unseen_labels: 0,
        },
    ];

    #[test]
    fn figures_match_hand_computed_values() {
        for case in CASES {
            let report = evaluate(case.labels, case.k, case.examples);
            let name = case.name;
            assert_eq!(report.examples, case.examples.len(), "{name}: examples");
            assert_eq!(report.k, case.k, "{name}: k");
            assert_close(name, "accuracy", report.accuracy, case.accuracy);
            assert_close(name, "error_rate", report.error_rate, 1.0 - case.accuracy);
            assert_close(name, "loss", report.loss, case.loss);
            assert_close(name, "P@k", report.precision_at_k, case.precision_at_k);
            assert_close(name, "R@k", report.recall_at_k, case.recall_at_k);
            assert_close(name, "macro_f1", report.macro_f1, case.macro_f1);
            assert_close(name, "weighted_f1", report.weighted_f1, case.weighted_f1);

            assert_eq!(report.labels.len(), case.per_label.len(), "{name}: labels");
            for (label, (expected, name_expected)) in report
                .labels
                .iter()
                .zip(case.per_label.iter().zip(case.labels))
            {
                let (precision, recall, f1, support, predicted) = *expected;
                let what = format!("{name}/{}", label.label);
                assert_eq!(label.label, *name_expected, "{what}: order");
                assert_close(&what, "precision", label.precision, precision);
                assert_close(&what, "recall", label.recall, recall);
                assert_close(&what, "f1", label.f1, f1);
                assert_eq!(label.support, support, "{what}: support");
                assert_eq!(label.predicted, predicted, "{what}: predicted");
            }

            let unseen: Vec<(&str, usize)> = report
                .unseen_labels
                .iter()
                .map(|unseen| (unseen.label.as_str(), unseen.count))
                .collect();
            assert_eq!(unseen, case.unseen, "{name}: unseen labels");
            assert_eq!(
                report.examples_with_unseen_labels, case.examples_with_unseen_labels,
                "{name}: examples with unseen labels"
            );
        }
    }

    #[test]
    fn report_serializes_with_required_keys() {
        let case = &CASES[5];
        let report = evaluate(case.labels, case.k, case.examples);
        let json = serde_json::to_value(&report).unwrap();
        for key in [
            "examples",
            "accuracy",
            "error_rate",
            "loss",
            "k",
            "precision_at_k",
            "recall_at_k",
            "macro_f1",
            "weighted_f1",
            "labels",
            "unseen_labels",
            "examples_with_unseen_labels",
        ] {
            assert!(json.get(key).is_some(), "missing key {key} in {json}");
        }
        assert_eq!(json["examples"], 3);
        assert_eq!(json["labels"][1]["label"], "b");
        assert_eq!(json["labels"][1]["support"], 1);
        assert_eq!(json["labels"][1]["predicted"], 2);
        assert_eq!(json["unseen_labels"][1]["label"], "z");
        assert_eq!(json["unseen_labels"][1]["count"], 2);
    }

    #[test]
    fn text_report_has_summary_and_table_sorted_by_support() {
        let case = &CASES[6];
        let report = evaluate(case.labels, case.k, case.examples);
        let text = report.to_text();
        let lines: Vec<&str> = text.lines().collect();
        let expected_summary = [
            ("examples", "8"),
            ("accuracy", "0.6250"),
            ("error rate", "0.3750"),
            ("mean loss", "0.0000"),
            ("P@1", "0.6250"),
            ("R@1", "0.6250"),
            ("macro F1", "0.4091"),
            ("weighted F1", "0.5795"),
            ("unseen labels", "none"),
        ];
        for (line, (name, value)) in lines.iter().zip(expected_summary) {
            assert!(
                line.starts_with(name) && line.ends_with(value),
                "{line:?} should be {name} ... {value}"
            );
        }
        let table = &lines[expected_summary.len() + 1..];
        let first_column: Vec<&str> = table
            .iter()
            .map(|line| line.split_whitespace().next().unwrap())
            .collect();
        // Supports 5, 2, 1, 0: largest first.
        assert_eq!(first_column, ["label", "a", "b", "c", "d"]);
        assert_eq!(table[1], "a         0.6667     0.8000     0.7273        5");
        // Aligned columns: every table line has the same width.
        assert!(table.iter().all(|line| line.len() == table[0].len()));
    }

    #[test]
    fn text_report_lists_unseen_labels() {
        let case = &CASES[5];
        let text = evaluate(case.labels, case.k, case.examples).to_text();
        assert!(
            text.contains("unseen labels   2 in 2 examples: y (1) z (2)\n"),
            "{text}"
        );
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn unknown_predicted_index_panics() {
        let mut evaluator = Evaluator::new(vec!["a".to_string()], 1);
        evaluator.add(&[0], &[], &[(1, 0.5)], Some(0.0));
    }
}
