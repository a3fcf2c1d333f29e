//! Leave-one-token-out explanations of a fastText model's prediction, in
//! the shape of textnn's own ([`crate::explain::Explanation`]):
//! `c(token) = p(label | text) − p(label | text without the token)`, where
//! "without" removes every occurrence of the token, its character n-grams
//! and every word n-gram that contains it (the tokens on either side are
//! read as separate lines, so no word n-gram forms across the gap). The
//! probabilities are the model's own (without the `1e-5` fastText adds to
//! what it prints); the top labels are listed as [`FastTextModel::predict`]
//! reports them.

use super::FastTextModel;
use crate::explain::{
    Explanation, LabelProbability, TokenContribution, TokenStatus, LEAVE_ONE_OUT_METHOD,
};

/// Ranks the labels of `text` (the `k` best, all if `k` is 0) and explains
/// the top one by leaving each distinct token out in turn.
pub fn explain(model: &FastTextModel, text: &str, k: usize) -> Explanation {
    let tokens = FastTextModel::tokens(text);
    let names: Vec<String> = tokens
        .iter()
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .collect();
    let top_labels: Vec<LabelProbability> = model
        .predict(text, k, 0.0)
        .into_iter()
        .map(|(id, p)| LabelProbability {
            label: model.label_name(id).to_string(),
            probability: p as f64,
        })
        .collect();
    let mut scratch = model.scratch();
    let full = ids_without(model, &tokens, None);
    // A text with no known row has no top label: nothing to explain.
    let Some(label_id) = model
        .probabilities_of(&full, &mut scratch)
        .and_then(|p| (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a))))
    else {
        return Explanation {
            text: text.to_string(),
            tokens: names,
            top_labels,
            label: String::new(),
            probability: 0.0,
            method: LEAVE_ONE_OUT_METHOD.to_string(),
            contributions: Vec::new(),
        };
    };
    let probability = probability_of(model, &full, label_id, &mut scratch);
    let hashed = model.args().hashes();
    let mut distinct: Vec<&[u8]> = Vec::new();
    for token in &tokens {
        if !distinct.contains(token) {
            distinct.push(token);
        }
    }
    let dictionary = model.dictionary();
    let mut contributions: Vec<TokenContribution> = distinct
        .into_iter()
        .map(|token| {
            let occurrences = tokens.iter().filter(|t| **t == token).count();
            let status = if dictionary.is_word(token) {
                TokenStatus::Known
            } else if hashed && !dictionary.is_label(token) {
                TokenStatus::NgramsOnly
            } else {
                TokenStatus::Unknown
            };
            let without = ids_without(model, &tokens, Some(token));
            let p_without = probability_of(model, &without, label_id, &mut scratch);
            TokenContribution {
                token: String::from_utf8_lossy(token).into_owned(),
                occurrences,
                status,
                features_removed: full.len().saturating_sub(without.len()),
                probability_without: p_without,
                contribution: probability - p_without,
            }
        })
        .collect();
    contributions.sort_by(|a, b| {
        b.contribution
            .abs()
            .total_cmp(&a.contribution.abs())
            .then_with(|| a.token.cmp(&b.token))
    });
    Explanation {
        text: text.to_string(),
        tokens: names,
        top_labels,
        label: model.label_name(label_id).to_string(),
        probability,
        method: LEAVE_ONE_OUT_METHOD.to_string(),
        contributions,
    }
}

/// The input rows of `tokens` with every occurrence of `skip` left out,
/// each run between occurrences read as a line of its own.
fn ids_without(model: &FastTextModel, tokens: &[&[u8]], skip: Option<&[u8]>) -> Vec<u32> {
    let mut ids = Vec::new();
    let mut buffers = Default::default();
    match skip {
        None => model
            .dictionary()
            .push_token_ids(tokens.iter().copied(), &mut ids, &mut buffers),
        Some(skip) => {
            for run in tokens.split(|t| *t == skip) {
                model
                    .dictionary()
                    .push_token_ids(run.iter().copied(), &mut ids, &mut buffers);
            }
        }
    }
    ids
}

/// The model's probability of `label` for rows `ids` (0 with no row).
fn probability_of(
    model: &FastTextModel,
    ids: &[u32],
    label: usize,
    scratch: &mut super::Scratch,
) -> f64 {
    model
        .probabilities_of(ids, scratch)
        .map_or(0.0, |p| p[label] as f64)
}
