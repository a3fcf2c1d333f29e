//! A label audit of training data, from cross-validation's out-of-fold
//! predictions ([`crate::cv`]) and the texts themselves:
//!
//! - **likely mislabelled** examples: the out-of-fold model, which never
//!   saw the example, prefers another label (the suggested one); ranked by
//!   the probability the model gives the example's own label, lowest
//!   first (the most confident disagreement first; ties by the suggested
//!   label's probability, highest first). On noisy copies of three shared
//!   sets (BENCHMARKS.md) this ranked the changed labels better than the
//!   margin `p(suggested) − p(given)`;
//! - **duplicates under different labels**: texts equal after
//!   normalisation (lowercase, letters and digits only, single spaces) —
//!   *exact* — or with the same set of words once numbers are ignored —
//!   *near* (reordered, repeated or renumbered words) — filed under
//!   different labels;
//! - **small labels**: labels with fewer than `min_examples` examples;
//! - **merge candidates**: label pairs the model cannot tell apart, whose
//!   examples are predicted as the other label at a rate of at least
//!   `merge_rate` (both directions over both labels' examples).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::cv::CrossValidation;
use crate::data::Example;

/// Thresholds of the audit.
#[derive(Clone, Debug)]
pub struct AuditSettings {
    /// Labels with fewer examples are reported.
    pub min_examples: usize,
    /// Label pairs confused at least at this rate are merge candidates.
    pub merge_rate: f64,
}

impl Default for AuditSettings {
    /// At least 5 examples per label; pairs confused 20 % of the time.
    fn default() -> Self {
        AuditSettings {
            min_examples: 5,
            merge_rate: 0.2,
        }
    }
}

/// What the audit found; every example is named by its index into the
/// audited examples and its line.
#[derive(Clone, Debug, Serialize)]
pub struct Audit {
    /// Examples whose out-of-fold prediction disagrees with their label,
    /// most suspicious first.
    pub mislabelled: Vec<Suspect>,
    /// Groups of equal or near-equal texts under different labels.
    pub duplicates: Vec<DuplicateGroup>,
    /// Labels with too few examples, fewest first.
    pub small_labels: Vec<SmallLabel>,
    /// Label pairs the model cannot tell apart, most confused first.
    pub merge_candidates: Vec<MergeCandidate>,
}

/// An example that is likely mislabelled.
#[derive(Clone, Debug, Serialize)]
pub struct Suspect {
    /// Index into the audited examples.
    pub index: usize,
    /// Its line.
    pub line: usize,
    /// Its text.
    pub text: String,
    /// Its labels as given.
    pub given: Vec<String>,
    /// The label the out-of-fold model prefers.
    pub suggested: String,
    /// The out-of-fold probability of the given label (the highest of
    /// them for several).
    pub given_probability: f32,
    /// The out-of-fold probability of the suggested label.
    pub suggested_probability: f32,
    /// `1 − given_probability`: the ranking key, highest first.
    pub score: f32,
}

/// How two or more texts were found equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// Equal after normalisation.
    Exact,
    /// The same words, in any order and number, numbers ignored.
    Near,
}

/// Texts equal under [`Match`] but filed under different labels.
#[derive(Clone, Debug, Serialize)]
pub struct DuplicateGroup {
    /// How they are equal.
    pub kind: Match,
    /// The normalised text (exact) or the sorted words (near) they share.
    pub key: String,
    /// The examples, in data order.
    pub members: Vec<Member>,
}

/// One example of a [`DuplicateGroup`].
#[derive(Clone, Debug, Serialize)]
pub struct Member {
    /// Index into the audited examples.
    pub index: usize,
    /// Its line.
    pub line: usize,
    /// Its labels.
    pub labels: Vec<String>,
    /// Its text.
    pub text: String,
}

/// A label with too few examples.
#[derive(Clone, Debug, Serialize)]
pub struct SmallLabel {
    /// The label.
    pub label: String,
    /// Its examples.
    pub count: usize,
    /// Their lines.
    pub lines: Vec<usize>,
}

/// Two labels the model keeps mixing up.
#[derive(Clone, Debug, Serialize)]
pub struct MergeCandidate {
    /// The label with more examples.
    pub first: String,
    /// The other.
    pub second: String,
    /// Examples of `first` predicted as `second`.
    pub first_as_second: usize,
    /// Examples of `second` predicted as `first`.
    pub second_as_first: usize,
    /// Both counts over both labels' examples.
    pub rate: f64,
    /// Lines of the confused examples (both directions), in data order.
    pub lines: Vec<usize>,
}

/// Audits `examples` with their cross-validation `cv` (made on the same
/// examples, in the same order).
///
/// # Panics
///
/// If `cv` does not have one prediction per example (a bug in the caller).
pub fn audit(examples: &[Example], cv: &CrossValidation, settings: &AuditSettings) -> Audit {
    assert_eq!(
        examples.len(),
        cv.predictions.len(),
        "one prediction per example"
    );
    Audit {
        mislabelled: suspects(examples, cv),
        duplicates: duplicates(examples),
        small_labels: small_labels(examples, settings.min_examples),
        merge_candidates: merge_candidates(examples, cv, settings.merge_rate),
    }
}

/// The examples whose best other label is more probable than their own.
fn suspects(examples: &[Example], cv: &CrossValidation) -> Vec<Suspect> {
    let mut found = Vec::new();
    for (index, (example, prediction)) in examples.iter().zip(&cv.predictions).enumerate() {
        let is_given = |label: &str| example.labels.iter().any(|l| l == label);
        let best_other = cv
            .labels
            .iter()
            .zip(&prediction.probabilities)
            .filter(|(label, _)| !is_given(label))
            .fold(
                None,
                |best: Option<(&String, f32)>, (label, &p)| match best {
                    Some((_, q)) if q >= p => best,
                    _ => Some((label, p)),
                },
            );
        let Some((suggested, suggested_probability)) = best_other else {
            continue;
        };
        if suggested_probability > prediction.given_probability {
            found.push(Suspect {
                index,
                line: example.line,
                text: example.text.clone(),
                given: example.labels.clone(),
                suggested: suggested.clone(),
                given_probability: prediction.given_probability,
                suggested_probability,
                score: 1.0 - prediction.given_probability,
            });
        }
    }
    // Stable: equal keys stay in data order.
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.suggested_probability.total_cmp(&a.suggested_probability))
    });
    found
}

/// `text` lowercased, with every run of characters that are not letters
/// or digits made one space, trimmed.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// The sorted, distinct words of a normalised text, without the words that
/// are all digits.
fn word_set(normalised: &str) -> String {
    let words: BTreeSet<&str> = normalised
        .split(' ')
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_numeric()))
        .collect();
    words.into_iter().collect::<Vec<_>>().join(" ")
}

/// Groups of examples with equal keys whose label sets differ: exact
/// groups, then near groups that are not an exact group again.
fn duplicates(examples: &[Example]) -> Vec<DuplicateGroup> {
    let mut exact: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut near: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, example) in examples.iter().enumerate() {
        let normalised = normalise(&example.text);
        if normalised.is_empty() {
            continue;
        }
        near.entry(word_set(&normalised)).or_default().push(index);
        exact.entry(normalised).or_default().push(index);
    }
    let label_set = |i: usize| {
        let mut labels = examples[i].labels.clone();
        labels.sort();
        labels
    };
    let conflicting = |members: &[usize]| {
        members
            .iter()
            .any(|&i| label_set(i) != label_set(members[0]))
    };
    let group = |kind: Match, key: String, members: &[usize]| DuplicateGroup {
        kind,
        key,
        members: members
            .iter()
            .map(|&index| Member {
                index,
                line: examples[index].line,
                labels: examples[index].labels.clone(),
                text: examples[index].text.clone(),
            })
            .collect(),
    };
    let mut groups = Vec::new();
    let mut exact_sets: BTreeSet<Vec<usize>> = BTreeSet::new();
    for (key, members) in exact {
        if members.len() > 1 && conflicting(&members) {
            exact_sets.insert(members.clone());
            groups.push(group(Match::Exact, key, &members));
        }
    }
    for (key, members) in near {
        if members.len() > 1
            && conflicting(&members)
            && !exact_sets.contains(&members)
            && !key.is_empty()
        {
            groups.push(group(Match::Near, key, &members));
        }
    }
    // Exact groups first, then by first line.
    groups.sort_by_key(|g| (g.kind == Match::Near, g.members[0].index));
    groups
}

/// Labels with fewer than `min_examples` examples, fewest first (ties by
/// name).
fn small_labels(examples: &[Example], min_examples: usize) -> Vec<SmallLabel> {
    let mut lines: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for example in examples {
        for label in &example.labels {
            lines.entry(label).or_default().push(example.line);
        }
    }
    let mut small: Vec<SmallLabel> = lines
        .into_iter()
        .filter(|(_, lines)| lines.len() < min_examples)
        .map(|(label, lines)| SmallLabel {
            label: label.to_string(),
            count: lines.len(),
            lines,
        })
        .collect();
    small.sort_by_key(|s| s.count);
    small
}

/// Label pairs whose examples are predicted as each other at a rate of at
/// least `merge_rate`, by the first given label and the top prediction.
fn merge_candidates(
    examples: &[Example],
    cv: &CrossValidation,
    merge_rate: f64,
) -> Vec<MergeCandidate> {
    let index_of = |label: &str| cv.labels.binary_search_by(|l| l.as_str().cmp(label)).ok();
    let n = cv.labels.len();
    let mut support = vec![0usize; n];
    let mut confused: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (example, prediction) in examples.iter().zip(&cv.predictions) {
        let Some(given) = example.labels.first().and_then(|l| index_of(l)) else {
            continue;
        };
        support[given] += 1;
        let predicted = prediction.predicted.as_deref().and_then(index_of);
        if let Some(predicted) = predicted.filter(|p| !example.labels.contains(&cv.labels[*p])) {
            confused
                .entry((given, predicted))
                .or_default()
                .push(example.line);
        }
    }
    let mut candidates = Vec::new();
    for (&(a, b), lines) in &confused {
        if a > b && confused.contains_key(&(b, a)) {
            continue; // counted with (b, a)
        }
        let back = confused.get(&(b, a)).cloned().unwrap_or_default();
        let rate = (lines.len() + back.len()) as f64 / (support[a] + support[b]) as f64;
        if rate < merge_rate {
            continue;
        }
        let (first, second, first_as_second, second_as_first) = if support[a] >= support[b] {
            (a, b, lines.len(), back.len())
        } else {
            (b, a, back.len(), lines.len())
        };
        let mut all: Vec<usize> = lines.iter().chain(&back).copied().collect();
        all.sort_unstable();
        candidates.push(MergeCandidate {
            first: cv.labels[first].clone(),
            second: cv.labels[second].clone(),
            first_as_second,
            second_as_first,
            rate,
            lines: all,
        });
    }
    candidates.sort_by(|x, y| y.rate.total_cmp(&x.rate));
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cv::OutOfFold;

    fn example(text: &str, label: &str, line: usize) -> Example {
        Example {
            text: text.to_string(),
            labels: vec![label.to_string()],
            line,
        }
    }

    /// A cross-validation over labels `a`, `b` whose predictions give `a`
    /// the probabilities listed.
    fn cv_with(p_a: &[f32]) -> CrossValidation {
        CrossValidation {
            labels: vec!["a".into(), "b".into()],
            folds: Vec::new(),
            summary: Vec::new(),
            predictions: p_a
                .iter()
                .map(|&p| OutOfFold {
                    fold: 0,
                    predicted: Some(if p >= 0.5 { "a" } else { "b" }.to_string()),
                    probability: p.max(1.0 - p),
                    given_probability: 0.0,
                    probabilities: vec![p, 1.0 - p],
                })
                .collect(),
        }
    }

    #[test]
    fn confident_disagreement_ranks_first() {
        let examples = vec![
            example("one", "a", 1),
            example("two", "a", 2),
            example("three", "b", 3),
            example("four", "a", 4),
        ];
        let mut cv = cv_with(&[0.9, 0.4, 0.2, 0.05]);
        for (prediction, example) in cv.predictions.iter_mut().zip(&examples) {
            let given = usize::from(example.labels[0] == "b");
            prediction.given_probability = prediction.probabilities[given];
        }
        let found = suspects(&examples, &cv);
        let lines: Vec<usize> = found.iter().map(|s| s.line).collect();
        assert_eq!(lines, [4, 2], "line 3 agrees (b at 0.8), line 1 agrees");
        assert_eq!(found[0].suggested, "b");
        assert!((found[0].score - 0.95).abs() < 1e-6);
    }

    #[test]
    fn duplicates_exact_and_near_under_different_labels() {
        let examples = vec![
            example("Turn ON the light!", "on", 1),
            example("turn on the light", "off", 2),
            example("turn on the light", "on", 3),
            example("set timer 5 minutes", "timer", 4),
            example("minutes timer set 10", "alarm", 5),
            example("same label", "x", 6),
            example("Same label.", "x", 7),
        ];
        let groups = duplicates(&examples);
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert_eq!(groups[0].kind, Match::Exact);
        assert_eq!(groups[0].key, "turn on the light");
        let lines: Vec<usize> = groups[0].members.iter().map(|m| m.line).collect();
        assert_eq!(lines, [1, 2, 3]);
        assert_eq!(groups[1].kind, Match::Near);
        assert_eq!(groups[1].key, "minutes set timer");
    }

    #[test]
    fn normalising_keeps_letters_and_digits() {
        assert_eq!(normalise("  Hello,  WORLD!! 42°C "), "hello world 42 c");
        assert_eq!(normalise("Ünïcode—text"), "ünïcode text");
        assert_eq!(normalise("?!"), "");
    }

    #[test]
    fn small_labels_and_merge_candidates() {
        let mut examples = Vec::new();
        for i in 0..6 {
            examples.push(example(&format!("a{i}"), "a", i + 1));
        }
        for i in 0..4 {
            examples.push(example(&format!("b{i}"), "b", i + 7));
        }
        // Three of a's six and one of b's four predicted as the other.
        let p_a = [0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9];
        let cv = cv_with(&p_a);
        let small = small_labels(&examples, 5);
        assert_eq!(small.len(), 1);
        assert_eq!((small[0].label.as_str(), small[0].count), ("b", 4));
        assert_eq!(small[0].lines, [7, 8, 9, 10]);
        let merge = merge_candidates(&examples, &cv, 0.2);
        assert_eq!(merge.len(), 1);
        let m = &merge[0];
        assert_eq!((m.first.as_str(), m.second.as_str()), ("a", "b"));
        assert_eq!((m.first_as_second, m.second_as_first), (3, 1));
        assert!((m.rate - 0.4).abs() < 1e-12);
        assert_eq!(m.lines, [4, 5, 6, 10]);
        assert!(merge_candidates(&examples, &cv, 0.5).is_empty());
    }
}
