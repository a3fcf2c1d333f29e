//! K-fold cross-validation: stratified, seeded folds; one model per fold
//! trained (by the caller's function) on the other folds and scored on its
//! own; each metric's mean and standard deviation over the folds; and every
//! example's out-of-fold prediction, made by the one model that did not
//! see it.
//!
//! Folds are stratified by each example's first label: the examples of a
//! label, in a seeded shuffle, are dealt to the folds in turn, the deal
//! going on from label to label (labels in name order), so fold sizes
//! differ by at most one and a label with at least `k` examples is in
//! every fold.
//!
//! ```
//! use textnn::cv::stratified_folds;
//! use textnn::data::Example;
//!
//! let examples: Vec<Example> = (0..10)
//!     .map(|i| Example { text: format!("t{i}"), labels: vec![format!("l{}", i % 2)], line: i + 1 })
//!     .collect();
//! let folds = stratified_folds(&examples, 5, 1).unwrap();
//! for fold in 0..5 {
//!     assert_eq!(folds.iter().filter(|&&f| f == fold).count(), 2);
//! }
//! ```

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::data::Example;
use crate::metrics::{Evaluator, Report};
use crate::{Classifier, Error, Result};

/// The fold (`0..k`) of each example, by index; see the module docs.
pub fn stratified_folds(examples: &[Example], k: usize, seed: u64) -> Result<Vec<usize>> {
    check_folds(k, examples.len())?;
    let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, example) in examples.iter().enumerate() {
        let label = example.labels.first().map_or("", String::as_str);
        by_label.entry(label).or_default().push(index);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut folds = vec![0; examples.len()];
    let mut next = 0;
    for indices in by_label.values_mut() {
        indices.shuffle(&mut rng);
        for &index in indices.iter() {
            folds[index] = next;
            next = (next + 1) % k;
        }
    }
    Ok(folds)
}

/// Refuses fewer than 2 folds, or more folds than `examples`.
pub fn check_folds(k: usize, examples: usize) -> Result<()> {
    if k < 2 {
        return Err(Error::InvalidConfig(format!(
            "cross-validation needs at least 2 folds, got {k}"
        )));
    }
    if examples < k {
        return Err(Error::InvalidConfig(format!(
            "{k} folds need at least {k} examples, got {examples}"
        )));
    }
    Ok(())
}

/// One example's prediction by the model of the fold that held it out.
#[derive(Clone, Debug, Serialize)]
pub struct OutOfFold {
    /// The example's fold.
    pub fold: usize,
    /// The most probable label (`None` when the fold's model knows no
    /// label, which cannot happen with labelled training data).
    pub predicted: Option<String>,
    /// Its probability.
    pub probability: f32,
    /// The highest probability of any of the example's given labels (0
    /// when the fold's model does not know them).
    pub given_probability: f32,
    /// Probability of every label of the data, by index into
    /// [`CrossValidation::labels`] (0 for labels the fold's model lacks).
    #[serde(skip)]
    pub probabilities: Vec<f32>,
}

/// One metric over the folds.
#[derive(Clone, Debug, Serialize)]
pub struct MetricSummary {
    /// The metric's name, as in [`Report`]'s JSON.
    pub metric: &'static str,
    /// Mean over the folds.
    pub mean: f64,
    /// Sample standard deviation over the folds (n − 1 in the denominator).
    pub sd: f64,
    /// Per fold.
    pub folds: Vec<f64>,
}

/// What cross-validation found.
#[derive(Clone, Debug, Serialize)]
pub struct CrossValidation {
    /// Every label of the data, sorted by name.
    pub labels: Vec<String>,
    /// Each fold's figures on its held-out examples.
    pub folds: Vec<Report>,
    /// Accuracy, macro F1, weighted F1 and loss over the folds.
    pub summary: Vec<MetricSummary>,
    /// Out-of-fold prediction of every example, by index.
    #[serde(skip)]
    pub predictions: Vec<OutOfFold>,
}

/// Runs `k`-fold cross-validation on `examples` with the folds of
/// [`stratified_folds`] (`seed`): for each fold in turn, `train(fold,
/// training examples)` trains a model on the other folds, which is scored
/// on the fold and predicts its examples; `fold_done(fold, model, report)`
/// sees each model (to save it, or print its figures) before the next is
/// trained.
pub fn cross_validate(
    examples: &[Example],
    k: usize,
    seed: u64,
    train: &mut dyn FnMut(usize, &[Example]) -> Result<Classifier>,
    fold_done: &mut dyn FnMut(usize, &Classifier, &Report) -> Result<()>,
) -> Result<CrossValidation> {
    let folds = stratified_folds(examples, k, seed)?;
    let mut labels: Vec<String> = examples
        .iter()
        .flat_map(|e| e.labels.iter().cloned())
        .collect();
    labels.sort();
    labels.dedup();
    let mut predictions: Vec<Option<OutOfFold>> = vec![None; examples.len()];
    let mut reports = Vec::with_capacity(k);
    for fold in 0..k {
        let training: Vec<Example> = examples
            .iter()
            .zip(&folds)
            .filter(|(_, &f)| f != fold)
            .map(|(e, _)| e.clone())
            .collect();
        let model = train(fold, &training)?;
        let held_out = (0..examples.len()).filter(|&i| folds[i] == fold);
        let report = predict_fold(&model, examples, held_out, fold, &labels, &mut predictions);
        fold_done(fold, &model, &report)?;
        reports.push(report);
    }
    Ok(CrossValidation {
        summary: summarise(&reports),
        labels,
        folds: reports,
        predictions: predictions
            .into_iter()
            .map(|p| p.expect("every example is in one fold"))
            .collect(),
    })
}

/// Scores `model` on the examples `held_out` and records their
/// out-of-fold predictions.
fn predict_fold(
    model: &Classifier,
    examples: &[Example],
    held_out: impl Iterator<Item = usize>,
    fold: usize,
    labels: &[String],
    predictions: &mut [Option<OutOfFold>],
) -> Report {
    let names = model.labels().names();
    // The data's label index of each of the model's labels.
    let global: Vec<usize> = names
        .iter()
        .map(|name| {
            labels
                .binary_search(name)
                .expect("the fold's labels are the data's")
        })
        .collect();
    let mut evaluator = Evaluator::new(names.to_vec(), 1);
    let mut scratch = model.scratch();
    let (mut gold, mut unseen) = (Vec::new(), Vec::new());
    for index in held_out {
        let example = &examples[index];
        model
            .labels()
            .split_known(&example.labels, &mut gold, &mut unseen);
        let loss = (!gold.is_empty()).then(|| model.loss_with(&example.text, &gold, &mut scratch));
        let probabilities = model
            .probabilities_with(&example.text, &mut scratch)
            .to_vec();
        let top = crate::model::rank(&probabilities, 1, 0.0);
        evaluator.add(&gold, &unseen, &top, loss);
        let mut all = vec![0.0; labels.len()];
        for (model_label, &p) in probabilities.iter().enumerate() {
            all[global[model_label]] = p;
        }
        predictions[index] = Some(OutOfFold {
            fold,
            predicted: top.first().map(|&(label, _)| names[label].clone()),
            probability: top.first().map_or(0.0, |&(_, p)| p),
            given_probability: gold.iter().map(|&g| probabilities[g]).fold(0.0, f32::max),
            probabilities: all,
        });
    }
    evaluator.finish()
}

/// Mean and sample standard deviation of the main metrics over `reports`.
pub fn summarise(reports: &[Report]) -> Vec<MetricSummary> {
    let metric = |metric: &'static str, value: fn(&Report) -> f64| {
        let folds: Vec<f64> = reports.iter().map(value).collect();
        let (mean, sd) = mean_and_sd(&folds);
        MetricSummary {
            metric,
            mean,
            sd,
            folds,
        }
    };
    vec![
        metric("accuracy", |r| r.accuracy),
        metric("macro_f1", |r| r.macro_f1),
        metric("weighted_f1", |r| r.weighted_f1),
        metric("loss", |r| r.loss),
    ]
}

/// Mean and sample standard deviation (0 for fewer than two values).
pub fn mean_and_sd(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, variance.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(label: &str, i: usize) -> Example {
        Example {
            text: format!("{label} {i}"),
            labels: vec![label.to_string()],
            line: i + 1,
        }
    }

    #[test]
    fn folds_are_stratified_balanced_and_seeded() {
        let mut examples = Vec::new();
        for i in 0..23 {
            examples.push(example("big", i));
        }
        for i in 0..7 {
            examples.push(example("small", 100 + i));
        }
        let folds = stratified_folds(&examples, 5, 7).unwrap();
        for fold in 0..5 {
            let size = folds.iter().filter(|&&f| f == fold).count();
            assert_eq!(size, 6, "30 examples in 5 folds");
            let small = (23..30).filter(|&i| folds[i] == fold).count();
            assert!((1..=2).contains(&small), "fold {fold} has {small} small");
        }
        assert_eq!(folds, stratified_folds(&examples, 5, 7).unwrap());
        assert_ne!(folds, stratified_folds(&examples, 5, 8).unwrap());
    }

    #[test]
    fn too_few_folds_or_examples_are_refused() {
        let examples = vec![example("a", 0), example("a", 1)];
        assert!(stratified_folds(&examples, 1, 0).is_err());
        let message = stratified_folds(&examples, 3, 0).unwrap_err().to_string();
        assert!(
            message.contains("3 folds need at least 3 examples"),
            "{message}"
        );
    }

    #[test]
    fn sample_standard_deviation() {
        let (mean, sd) = mean_and_sd(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(mean, 2.5);
        assert!((sd - 1.290_994_448_7).abs() < 1e-9);
        assert_eq!(mean_and_sd(&[5.0]), (5.0, 0.0));
    }
}
