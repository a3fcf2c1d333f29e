//! Why a model chose a label, and how one training step would change it.
//!
//! Two views of one example, both computed with the library's own forward
//! and backward passes ([`Network::forward_eval`], [`Network::backward`],
//! [`Loss::gradient`], [`Activation::derivative`]), so they cannot disagree
//! with what training and prediction do:
//!
//! - [`explain`] ranks the labels and measures each token's **contribution**
//!   to the top label by leaving it out: `c(token) = p(label | text) −
//!   p(label | text without the token)`, where "without" removes every
//!   occurrence of the token and every word or character n-gram that
//!   contains it (no new n-gram is formed across the gap). A positive
//!   contribution pushes toward the label, a negative one away.
//! - [`trace`] follows the chain rule for one labelled example: the forward
//!   values, the loss, and for the output layer the factors of
//!   `dL/dW = dL/da · da/dz · dz/dW`, then the gradient norm of every earlier
//!   layer and the step `ΔW = −lr · dL/dW` that SGD would take.
//!
//! The loss measures the error; the activation's derivative `da/dz` is one
//! factor of the gradient, not an error measure; the optimizer steps
//! against the gradient.
//!
//! ```
//! use textnn::data::Example;
//! use textnn::explain::{explain, trace};
//! use textnn::train::{train, TrainConfig};
//! let ex = |text: &str, label: &str| Example { text: text.into(), labels: vec![label.into()], line: 1 };
//! let examples = vec![ex("good morning", "greet"), ex("bye now", "bye")];
//! let config = TrainConfig { epochs: 30, ..TrainConfig::fasttext() };
//! let model = train(&config, &examples, &mut |_| {}).unwrap();
//!
//! let why = explain(&model, "good morning zebra", 2);
//! assert_eq!(why.label, "greet");
//! let zebra = why.contributions.iter().find(|c| c.token == "zebra").unwrap();
//! assert_eq!(zebra.contribution, 0.0); // not in the vocabulary
//!
//! let step = trace(&model, "good morning", &["greet"], 0.1).unwrap();
//! // Softmax + cross-entropy: dL/dz = p − y.
//! for k in 0..2 {
//!     let o = &step.output_layer;
//!     assert!((o.delta[k] - (step.probabilities[k] - step.targets[k])).abs() < 1e-6);
//! }
//! ```

use crate::features::Featurizer;
use crate::model::Classifier;
use crate::nn::loss::modified_huber_slope;
use crate::nn::network::{count_in_sorted, term_frequency};
use crate::nn::{Activation, Combine, Gradients, Loss, Network, Workspace};
use crate::{Error, Result};
use serde::Serialize;

/// How [`explain`] measures a token's contribution (also written into
/// [`Explanation::method`]).
pub const LEAVE_ONE_OUT_METHOD: &str = "leave-one-token-out: contribution = p(label | text) − \
     p(label | text without the token), removing every occurrence of the token and every \
     word/character n-gram that contains it";

/// A label and its probability.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabelProbability {
    /// Label name.
    pub label: String,
    /// Probability the model gives it.
    pub probability: f64,
}

/// Whether the model knows a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenStatus {
    /// In the vocabulary: it has its own embedding row.
    Known,
    /// Not in the vocabulary, but it still reaches the model through hashed
    /// word or character n-grams.
    NgramsOnly,
    /// Not in the vocabulary and the model has no n-grams: the model never
    /// sees it, so its contribution is 0.
    Unknown,
}

/// One token's leave-one-out contribution to the explained label.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenContribution {
    /// The token as the model sees it (normalised, lowercased, stemmed as
    /// the model was trained).
    pub token: String,
    /// How often it occurs in the text (all occurrences are removed together).
    pub occurrences: usize,
    /// Whether the model knows it.
    pub status: TokenStatus,
    /// Number of feature occurrences removed with it (its word ids and the
    /// n-grams containing it).
    pub features_removed: usize,
    /// Probability of the explained label once the token is removed.
    pub probability_without: f64,
    /// `p(label | text) − p(label | text without the token)`: positive
    /// pushes toward the label, negative away.
    pub contribution: f64,
}

/// Why the model ranks a text's labels as it does.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// The input text.
    pub text: String,
    /// Its tokens, in order, as the model sees them.
    pub tokens: Vec<String>,
    /// The most probable labels, most probable first.
    pub top_labels: Vec<LabelProbability>,
    /// The label whose probability the contributions explain (the top one).
    pub label: String,
    /// Its probability for the whole text.
    pub probability: f64,
    /// How contributions are measured ([`LEAVE_ONE_OUT_METHOD`]).
    pub method: String,
    /// One entry per distinct token, by decreasing `|contribution|`.
    pub contributions: Vec<TokenContribution>,
}

/// Ranks the labels of `text` (the `k` most probable, all if `k` is 0) and
/// explains the top one by leaving each distinct token out in turn.
pub fn explain(model: &Classifier, text: &str, k: usize) -> Explanation {
    let network = model.network();
    let featurizer = featurizer_of(model);
    let tokens = model.pipeline().tokenize(text);
    let mut ws = Workspace::new(network);
    let ids = features_without(model, &featurizer, &tokens, None);
    let probs: Vec<f32> = model.probabilities_of(&ids, &mut ws).to_vec();
    let ranked = crate::model::rank(&probs, k, f32::NEG_INFINITY);
    let top_labels: Vec<LabelProbability> = ranked
        .iter()
        .map(|&(id, p)| LabelProbability {
            label: model.label_name(id).to_string(),
            probability: p as f64,
        })
        .collect();
    // `rank` keeps at least one label: a network has at least one output.
    let (label_id, probability) = ranked.first().copied().unwrap_or((0, probs[0]));
    let hashed = featurizer.config().uses_buckets();

    let mut distinct: Vec<&String> = Vec::new();
    for token in &tokens {
        if !distinct.contains(&token) {
            distinct.push(token);
        }
    }
    let mut contributions: Vec<TokenContribution> = distinct
        .into_iter()
        .map(|token| {
            let occurrences = tokens.iter().filter(|t| *t == token).count();
            let known = model.vocabulary().id(token).is_some();
            let status = match (known, hashed) {
                (true, _) => TokenStatus::Known,
                (false, true) => TokenStatus::NgramsOnly,
                (false, false) => TokenStatus::Unknown,
            };
            if status == TokenStatus::Unknown {
                // The model never sees the token: removing it changes no feature.
                return TokenContribution {
                    token: token.clone(),
                    occurrences,
                    status,
                    features_removed: 0,
                    probability_without: probability as f64,
                    contribution: 0.0,
                };
            }
            let without = features_without(model, &featurizer, &tokens, Some(token));
            let p_without = model.probabilities_of(&without, &mut ws)[label_id];
            TokenContribution {
                token: token.clone(),
                occurrences,
                status,
                features_removed: ids.len().saturating_sub(without.len()),
                probability_without: p_without as f64,
                contribution: probability as f64 - p_without as f64,
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
        tokens,
        top_labels,
        label: model.label_name(label_id).to_string(),
        probability: probability as f64,
        method: LEAVE_ONE_OUT_METHOD.to_string(),
        contributions,
    }
}

/// The model's featurizer, rebuilt from its stored settings exactly as
/// loading a model file does.
fn featurizer_of(model: &Classifier) -> Featurizer {
    Featurizer::new(model.settings().features.clone(), model.vocabulary().len())
}

/// Feature ids of `tokens` with every occurrence of `skip` removed: the
/// tokens are cut into runs at each occurrence and each run is featurized on
/// its own, so n-grams containing `skip` disappear and none is formed across
/// the gap. With `skip = None` this is exactly the model's own extraction.
fn features_without(
    model: &Classifier,
    featurizer: &Featurizer,
    tokens: &[String],
    skip: Option<&String>,
) -> Vec<u32> {
    let mut ids = Vec::new();
    let Some(skip) = skip else {
        featurizer.extract(model.vocabulary(), tokens, &mut ids);
        return ids;
    };
    let mut run_ids = Vec::new();
    for run in tokens.split(|t| t == skip) {
        featurizer.extract(model.vocabulary(), run, &mut run_ids);
        ids.extend_from_slice(&run_ids);
    }
    if featurizer.config().binary {
        ids.sort_unstable();
        ids.dedup();
    }
    ids
}

/// One feature of the example and its weight in the embedding bag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceFeature {
    /// Feature id: the embedding row.
    pub id: u32,
    /// The vocabulary word of the row, or `None` for a hashed n-gram bucket.
    pub word: Option<String>,
    /// Its weight `x_i` in `h = Σ_i x_i E[id_i]`.
    pub weight: f64,
}

/// The output of one hidden layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceHidden {
    /// Its activation `f`.
    pub activation: String,
    /// `a_l = f(W_l a_{l-1} + b_l)`.
    pub output: Vec<f64>,
}

/// The loss of the example.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceLoss {
    /// Name of the loss (`squared error`, `cross-entropy`, …).
    pub name: String,
    /// Its formula.
    pub formula: String,
    /// Its value for this example.
    pub value: f64,
}

/// One entry of a matrix.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatrixEntry {
    /// Row index.
    pub row: usize,
    /// Name of the row (a label for the output layer).
    pub row_name: String,
    /// Column index (a unit of the layer's input).
    pub col: usize,
    /// The value.
    pub value: f64,
}

/// A matrix summarised: shape, norm, largest entries, and every value when
/// it is small.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatrixSummary {
    /// Rows (outputs of the layer).
    pub rows: usize,
    /// Columns (inputs of the layer).
    pub cols: usize,
    /// Frobenius norm `√(Σ w²)`.
    pub norm: f64,
    /// The entries of largest magnitude, largest first (at most 8).
    pub largest: Vec<MatrixEntry>,
    /// Every value, row by row, when the matrix has at most
    /// [`FULL_MATRIX_LIMIT`] entries.
    pub values: Option<Vec<Vec<f64>>>,
}

/// Largest matrix whose every value a [`MatrixSummary`] keeps.
pub const FULL_MATRIX_LIMIT: usize = 1024;

/// The output layer's backward factors, one entry per label.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceOutputLayer {
    /// What `a` is in `dL/da · da/dz`: the output activation `p`, or for
    /// the modified Huber loss the margin `m = ±z`.
    pub a: String,
    /// `dL/da`, the loss's derivative with respect to `a` (squared error:
    /// `a − y`; cross-entropy: `−y/a`; modified Huber: `h'(m)`).
    pub dl_da: Vec<f64>,
    /// `da/dz`, the derivative of `a` (sigmoid: `a(1 − a)`; the margin:
    /// ±1); `None` for softmax, whose derivative is the Jacobian
    /// `diag(p) − p pᵀ` rather than one number per label.
    pub da_dz: Option<Vec<f64>>,
    /// One line saying what `dL/da` and `da/dz` are for this loss.
    pub factors: String,
    /// What `da/dz` is, in a few words ("the activation's derivative", or
    /// for the modified Huber loss "the margin's derivative (±1)").
    pub da_dz_is: String,
    /// `dL/da · da/dz` multiplied out here (for softmax: the Jacobian
    /// product `Σ_j dL/da_j · da_j/dz_k`), to compare with `delta`.
    pub chain_product: Vec<f64>,
    /// `δ = dL/dz` as the loss computes it for backpropagation.
    pub delta: Vec<f64>,
    /// What `delta` simplifies to, e.g. `p − y` for softmax + cross-entropy.
    pub delta_formula: String,
    /// `dz/dW`: the layer's input (the previous layer's activations).
    pub input: Vec<f64>,
    /// Name of that input (`a₀ = embedding output` or a hidden layer).
    pub input_name: String,
    /// `dL/dW = δ ⊗ input` from the library's backward pass.
    pub weight_gradient: MatrixSummary,
    /// `dL/db = δ`, or `None` without bias.
    pub bias_gradient: Option<Vec<f64>>,
    /// `ΔW = −lr · dL/dW`, the step plain SGD would take.
    pub weight_update: MatrixSummary,
}

/// Gradient size of one earlier layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerGradientNorm {
    /// Which layer.
    pub layer: String,
    /// `(rows, cols)` of its weights.
    pub shape: (usize, usize),
    /// `‖dL/dW‖` (bias included).
    pub gradient_norm: f64,
    /// `‖ΔW‖ = lr · ‖dL/dW‖`.
    pub update_norm: f64,
}

/// Gradient of one touched embedding row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EmbeddingRowGradient {
    /// Feature id (row).
    pub id: u32,
    /// Its vocabulary word, or `None` for a hashed n-gram bucket.
    pub word: Option<String>,
    /// `‖dL/dE[id]‖`.
    pub gradient_norm: f64,
}

/// The blog tutorial's names for the output layer's quantities, present
/// when the loss is squared error on sigmoid outputs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TutorialNames {
    /// `layer_2 = sigmoid(np.dot(layer_1, synapse_1))`: the probabilities `a`.
    pub layer_2: Vec<f64>,
    /// `layer_2_error = y − layer_2 = −dL/da` (the tutorial's sign).
    pub layer_2_error: Vec<f64>,
    /// `sigmoid_output_to_derivative(layer_2) = layer_2 · (1 − layer_2) = da/dz`.
    pub sigmoid_output_to_derivative: Vec<f64>,
    /// `layer_2_delta = layer_2_error * sigmoid_output_to_derivative(layer_2) = −dL/dz`.
    pub layer_2_delta: Vec<f64>,
    /// How the tutorial's signs relate to textnn's.
    pub sign_convention: String,
}

/// The chain rule for one labelled example, forward and backward.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trace {
    /// The input text.
    pub text: String,
    /// Its tokens as the model sees them.
    pub tokens: Vec<String>,
    /// Tokens the model has no feature for (they do not enter `h`).
    pub unknown_tokens: Vec<String>,
    /// The gold labels `y` the loss is measured against.
    pub gold: Vec<String>,
    /// One line describing the network.
    pub architecture: String,
    /// Label names, by output index.
    pub labels: Vec<String>,
    /// The example's features with their bag weights.
    pub features: Vec<TraceFeature>,
    /// How the bag combines rows (`sum`, `mean`, `l2`).
    pub combine: String,
    /// `h = Σ_i x_i E[id_i]`, before the embedding activation.
    pub bag: Vec<f64>,
    /// The embedding activation `f₀`.
    pub embedding_activation: String,
    /// `a₀ = f₀(h)`.
    pub embedding_output: Vec<f64>,
    /// Outputs of the hidden layers, first to last.
    pub hidden: Vec<TraceHidden>,
    /// `z = W a + b`, the output layer's pre-activations.
    pub logits: Vec<f64>,
    /// The output activation (`softmax` or `sigmoid`).
    pub output_activation: String,
    /// `p`, the output activation of `z`.
    pub probabilities: Vec<f64>,
    /// `y`, the targets.
    pub targets: Vec<f64>,
    /// The loss.
    pub loss: TraceLoss,
    /// The output layer's backward factors.
    pub output_layer: TraceOutputLayer,
    /// Gradient norms of the dense layers below the output layer.
    pub earlier_layers: Vec<LayerGradientNorm>,
    /// Gradients of the embedding rows this example touches.
    pub embedding_rows: Vec<EmbeddingRowGradient>,
    /// `‖dL/dE‖` over the touched rows.
    pub embedding_gradient_norm: f64,
    /// The learning rate of the SGD step shown.
    pub learning_rate: f64,
    /// The blog tutorial's names (squared error on sigmoid outputs only).
    pub tutorial: Option<TutorialNames>,
}

/// Traces the chain rule for `text` labelled `gold` (label names): the
/// forward values, the loss, the output layer's `dL/da`, `da/dz`,
/// `δ = dL/dz`, `dz/dW` and `dL/dW`, gradient norms below, and the SGD step
/// at `learning_rate`. Fails on an unknown label or a learning rate that is
/// not positive and finite.
pub fn trace(model: &Classifier, text: &str, gold: &[&str], learning_rate: f64) -> Result<Trace> {
    if model.network().config().loss == Loss::Hs {
        return Err(Error::InvalidConfig(
            "--trace does not cover hierarchical softmax (--loss hs) yet; explain without --trace works".into(),
        ));
    }
    if !(learning_rate.is_finite() && learning_rate > 0.0) {
        return Err(Error::InvalidConfig(format!(
            "learning rate must be positive and finite, got {learning_rate}"
        )));
    }
    if gold.is_empty() {
        return Err(Error::InvalidConfig(
            "a trace needs at least one gold label".into(),
        ));
    }
    let labels: Vec<String> = model.labels().names().to_vec();
    let gold_ids = gold
        .iter()
        .map(|name| {
            model
                .labels()
                .id(name)
                .map(|id| id as usize)
                .ok_or_else(|| {
                    Error::InvalidConfig(format!(
                        "unknown label {name:?}; the model's labels are {}",
                        labels.join(", ")
                    ))
                })
        })
        .collect::<Result<Vec<usize>>>()?;

    let network = model.network();
    let config = network.config();
    let vocab = model.vocabulary();
    let tokens = model.pipeline().tokenize(text);
    let ids = model.feature_ids(text);
    let word_of = |id: u32| (id as usize) < vocab.len();
    let word_name = |id: u32| word_of(id).then(|| vocab.name(id as usize).to_string());
    let hashed = model.settings().features.uses_buckets();
    let unknown_tokens: Vec<String> = tokens
        .iter()
        .filter(|t| !hashed && vocab.id(t).is_none())
        .cloned()
        .collect();

    // Forward, with the library's own pass.
    let mut ws = Workspace::new(network);
    network.forward_eval(&ids, &mut ws);
    let weights = bag_weights(network, &ids);
    let mut bag = vec![0.0f64; config.dim];
    for (&id, &x) in ids.iter().zip(&weights) {
        for (h, &e) in bag.iter_mut().zip(network.embedding.row(id as usize)) {
            *h += x * e as f64;
        }
    }
    let features = ids
        .iter()
        .zip(&weights)
        .map(|(&id, &weight)| TraceFeature {
            id,
            word: word_name(id),
            weight,
        })
        .collect();
    let hidden: Vec<TraceHidden> = (0..config.hidden.len())
        .map(|l| TraceHidden {
            activation: config.hidden_activation.to_string(),
            output: widen(ws.hidden_output(l)),
        })
        .collect();
    let probabilities = widen(ws.probabilities());
    let logits = widen(ws.logits());
    let loss = config.loss;
    let targets: Vec<f64> = (0..config.n_labels)
        .map(|k| loss.target::<f64>(k, &gold_ids))
        .collect();
    let loss_value = network.loss(&ws, &gold_ids);

    // Backward, with the library's own pass; δ of the output layer from the
    // loss, as backward computes it.
    let mut delta32 = vec![0.0f32; config.n_labels];
    loss.gradient(ws.logits(), ws.probabilities(), &gold_ids, &mut delta32);
    let delta = widen(&delta32);
    let mut grads = Gradients::new(network);
    network.backward(&ids, &gold_ids, &mut ws, &mut grads, 1.0);

    let Factors {
        a,
        dl_da,
        da_dz,
        chain_product,
        delta_formula,
        factors,
        da_dz_is,
    } = output_factors(loss, &logits, &probabilities, &targets);
    let n_dense = network.layers.len();
    let input = if n_dense >= 2 {
        widen(ws.hidden_output(n_dense - 2))
    } else {
        widen(ws.embedding_output())
    };
    let input_name = if n_dense >= 2 {
        format!("a{} = output of hidden layer {}", n_dense - 1, n_dense - 1)
    } else {
        "a₀ = embedding output".to_string()
    };
    let (out_w, out_b) = &grads.layers[n_dense - 1];
    let gradient_values = matrix_rows(out_w.as_slice(), out_w.rows(), out_w.cols(), 1.0);
    let update_values = matrix_rows(out_w.as_slice(), out_w.rows(), out_w.cols(), -learning_rate);
    let output_layer = TraceOutputLayer {
        a,
        dl_da,
        da_dz,
        factors,
        da_dz_is: da_dz_is.to_string(),
        chain_product,
        delta,
        delta_formula,
        input,
        input_name,
        weight_gradient: summarise(&gradient_values, &labels),
        bias_gradient: (!out_b.is_empty()).then(|| widen(out_b)),
        weight_update: summarise(&update_values, &labels),
    };
    let earlier_layers = grads.layers[..n_dense - 1]
        .iter()
        .enumerate()
        .map(|(l, (w, b))| {
            let norm = (squared(w.as_slice()) + squared(b)).sqrt();
            LayerGradientNorm {
                layer: format!("hidden layer {}", l + 1),
                shape: (w.rows(), w.cols()),
                gradient_norm: norm,
                update_norm: learning_rate * norm,
            }
        })
        .collect();
    let mut embedding_rows: Vec<EmbeddingRowGradient> = grads
        .embedding_rows()
        .map(|(id, g)| EmbeddingRowGradient {
            id,
            word: word_name(id),
            gradient_norm: squared(g).sqrt(),
        })
        .collect();
    embedding_rows.sort_by_key(|r| r.id);
    let embedding_gradient_norm = embedding_rows
        .iter()
        .map(|r| r.gradient_norm * r.gradient_norm)
        .sum::<f64>()
        .sqrt();

    let tutorial = (loss == Loss::Squared).then(|| {
        let o = &output_layer;
        TutorialNames {
            layer_2: probabilities.clone(),
            layer_2_error: o.dl_da.iter().map(|d| -d).collect(),
            sigmoid_output_to_derivative: o.da_dz.clone().unwrap_or_default(),
            layer_2_delta: o.delta.iter().map(|d| -d).collect(),
            sign_convention: "the tutorial writes the error as y − a (= −dL/da for L = ½(a − y)²) \
                 and adds alpha · layer_1ᵀ · layer_2_delta to synapse_1 (= Wᵀ); textnn writes \
                 dL/da = a − y and subtracts lr · dL/dW: the two minus signs cancel, so the step \
                 is the same"
                .to_string(),
        }
    });

    Ok(Trace {
        text: text.to_string(),
        tokens,
        unknown_tokens,
        gold: gold_ids.iter().map(|&k| labels[k].clone()).collect(),
        architecture: config.describe(),
        labels,
        features,
        combine: config.combine.to_string(),
        bag,
        embedding_activation: config.embedding_activation.to_string(),
        embedding_output: widen(ws.embedding_output()),
        hidden,
        logits,
        output_activation: loss.output_activation().to_string(),
        probabilities,
        targets,
        loss: TraceLoss {
            name: loss_name(loss).to_string(),
            formula: loss_formula(loss).to_string(),
            value: loss_value,
        },
        output_layer,
        earlier_layers,
        embedding_rows,
        embedding_gradient_norm,
        learning_rate,
        tutorial,
    })
}

/// Plain-language name of a loss.
fn loss_name(loss: Loss) -> &'static str {
    // `if` rather than `match`, so that a new loss variant gets the
    // generic wording instead of breaking the build here.
    if loss == Loss::Squared {
        "squared error"
    } else if loss == Loss::Softmax {
        "cross-entropy"
    } else if loss == Loss::Ova {
        "binary cross-entropy"
    } else if loss == Loss::Huber {
        "modified Huber"
    } else {
        loss.name()
    }
}

/// The formula of a loss, with `p` the output activation and `y` the targets.
fn loss_formula(loss: Loss) -> &'static str {
    if loss == Loss::Squared {
        "L = ½ Σ_k (p_k − y_k)²"
    } else if loss == Loss::Softmax {
        "L = −Σ_k y_k ln p_k"
    } else if loss == Loss::Ova {
        "L = −Σ_k [y_k ln p_k + (1 − y_k) ln(1 − p_k)]"
    } else if loss == Loss::Huber {
        "L = Σ_k h(m_k), margin m_k = ±z_k (+ for a gold label), h(m) = max(0, 1 − m)² for m ≥ −1, else −4m"
    } else {
        "see the loss's documentation"
    }
}

/// The output layer's factors of the chain rule, as [`output_factors`]
/// gives them.
struct Factors {
    a: String,
    dl_da: Vec<f64>,
    da_dz: Option<Vec<f64>>,
    chain_product: Vec<f64>,
    delta_formula: String,
    factors: String,
    da_dz_is: &'static str,
}

/// `dL/da`, `da/dz`, their product and what `δ = dL/dz` simplifies to,
/// for the output layer, from the logits `z`, `p` and `y`. The derivative
/// `da/dz` of a sigmoid output is [`Activation::derivative`], the same
/// function backpropagation uses for hidden layers. Where `y_k = 0` makes
/// a term of the loss vanish, its `dL/da_k` is 0 even when `p_k` has
/// rounded to 0 or 1 (not `0/0`).
fn output_factors(loss: Loss, z: &[f64], p: &[f64], y: &[f64]) -> Factors {
    let sigmoid_derivative: Vec<f64> = p
        .iter()
        .map(|&a| Activation::Sigmoid.derivative(a))
        .collect();
    let output = "p, the output activation".to_string();
    let elementwise = |dl_da: Vec<f64>, formula: &str, factors: &str| {
        let chain_product = dl_da
            .iter()
            .zip(&sigmoid_derivative)
            .map(|(a, b)| a * b)
            .collect();
        Factors {
            a: output.clone(),
            dl_da,
            da_dz: Some(sigmoid_derivative.clone()),
            chain_product,
            delta_formula: formula.to_string(),
            factors: factors.to_string(),
            da_dz_is: "the activation's derivative",
        }
    };
    if loss == Loss::Squared {
        // L = ½ Σ (a − y)², so dL/da = a − y.
        let dl_da = p.iter().zip(y).map(|(a, t)| a - t).collect();
        elementwise(
            dl_da,
            "(p − y) · p(1 − p)",
            "dL/da = p − y (derivative of the loss), da/dz = p(1 − p) (derivative of the sigmoid)",
        )
    } else if loss == Loss::Ova {
        // L = −y ln a − (1 − y) ln(1 − a), so dL/da = (a − y) / (a(1 − a)).
        let dl_da = p
            .iter()
            .zip(y)
            .map(|(&a, &t)| {
                if a == t {
                    0.0
                } else {
                    (a - t) / (a * (1.0 - a))
                }
            })
            .collect();
        elementwise(
            dl_da,
            "p − y (the sigmoid's derivative cancels)",
            "dL/da = (p − y) / (p(1 − p)) (derivative of the loss), da/dz = p(1 − p) (derivative of the sigmoid)",
        )
    } else if loss == Loss::Softmax {
        // L = −Σ y ln a, so dL/da_j = −y_j / a_j; da_j/dz_k = a_j(δ_jk − a_k).
        let dl_da: Vec<f64> = p
            .iter()
            .zip(y)
            .map(|(a, &t)| if t == 0.0 { 0.0 } else { -t / a })
            .collect();
        let chain_product = (0..p.len())
            .map(|k| {
                (0..p.len())
                    .filter(|&j| y[j] != 0.0)
                    .map(|j| {
                        let jacobian = p[j] * (f64::from(u8::from(j == k)) - p[k]);
                        dl_da[j] * jacobian
                    })
                    .sum()
            })
            .collect();
        Factors {
            a: output,
            dl_da,
            da_dz: None,
            chain_product,
            delta_formula: "p − y (the softmax Jacobian diag(p) − p pᵀ cancels against −y/p)"
                .to_string(),
            factors: "dL/da = −y/p; da/dz is the softmax Jacobian diag(p) − p pᵀ".to_string(),
            da_dz_is: "the activation's derivative",
        }
    } else if loss == Loss::Huber {
        // L = Σ h(m_k) with m_k = s_k z_k, s_k = +1 for a gold label, else
        // −1: dL/dm = h'(m), dm/dz = s. p = σ(z) is shown, not used.
        let sign: Vec<f64> = y
            .iter()
            .map(|&t| if t > 0.0 { 1.0 } else { -1.0 })
            .collect();
        let dl_da: Vec<f64> = z
            .iter()
            .zip(&sign)
            .map(|(&z, &s)| modified_huber_slope(s * z))
            .collect();
        let chain_product = dl_da.iter().zip(&sign).map(|(d, s)| d * s).collect();
        Factors {
            a: "m = ±z, the margin (+ for a gold label); p = σ(z) only ranks".to_string(),
            dl_da,
            da_dz: Some(sign),
            chain_product,
            delta_formula:
                "±h'(m): 0 beyond the margin (m ≥ 1), ∓2(1 − m) within it, ∓4 below m = −1"
                    .to_string(),
            factors:
                "dL/da = h'(m) (derivative of the loss), da/dz = dm/dz = ±1 (the label's sign)"
                    .to_string(),
            da_dz_is: "the margin's derivative (±1)",
        }
    } else {
        let n = p.len();
        Factors {
            a: output,
            dl_da: vec![f64::NAN; n],
            da_dz: None,
            chain_product: vec![f64::NAN; n],
            delta_formula: "as the loss computes it".to_string(),
            factors: "the factors of this loss are not traced".to_string(),
            da_dz_is: "the output's derivative",
        }
    }
}

/// The weight `x_i` of each feature occurrence in `h = Σ_i x_i E[id_i]`:
/// the feature weight (idf, or 1) times the term-frequency factor times
/// the combine's normalisation, as
/// [`NetworkConfig`](crate::nn::NetworkConfig) documents it. [`trace`]'s
/// test checks that `f₀(h)` built from these equals the forward pass's `a₀`.
fn bag_weights(network: &Network, ids: &[u32]) -> Vec<f64> {
    let config = network.config();
    let feature_weight = |id: u32| {
        if config.idf {
            network.feature_weights()[id as usize] as f64
        } else {
            1.0
        }
    };
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    let weights: Vec<f64> = ids
        .iter()
        .map(|&id| {
            let c = count_in_sorted(&sorted, id);
            feature_weight(id) * term_frequency(config, c) / c as f64
        })
        .collect();
    let norm = match config.combine {
        Combine::Sum => 1.0,
        Combine::Mean => ids.len().max(1) as f64,
        Combine::L2 => {
            let mut total = 0.0;
            for run in sorted.chunk_by(|a, b| a == b) {
                let v = term_frequency(config, run.len()) * feature_weight(run[0]);
                total += v * v;
            }
            if total > 0.0 {
                total.sqrt()
            } else {
                1.0
            }
        }
    };
    weights.into_iter().map(|w| w / norm).collect()
}

/// `values` as `f64`.
fn widen(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| v as f64).collect()
}

/// `Σ v²` in `f64`.
fn squared(values: &[f32]) -> f64 {
    values.iter().map(|&v| (v as f64) * (v as f64)).sum()
}

/// A row-major `rows × cols` matrix, each value times `scale`, as rows.
fn matrix_rows(values: &[f32], rows: usize, cols: usize, scale: f64) -> Vec<Vec<f64>> {
    (0..rows)
        .map(|r| {
            values[r * cols..(r + 1) * cols]
                .iter()
                .map(|&v| scale * v as f64)
                .collect()
        })
        .collect()
}

/// Shape, norm, the 8 largest entries, and every value if small.
fn summarise(rows: &[Vec<f64>], row_names: &[String]) -> MatrixSummary {
    let n_rows = rows.len();
    let n_cols = rows.first().map_or(0, Vec::len);
    let norm = rows.iter().flatten().map(|v| v * v).sum::<f64>().sqrt();
    let mut entries: Vec<MatrixEntry> = rows
        .iter()
        .enumerate()
        .flat_map(|(r, row)| {
            row.iter().enumerate().map(move |(c, &value)| MatrixEntry {
                row: r,
                row_name: row_names.get(r).cloned().unwrap_or_default(),
                col: c,
                value,
            })
        })
        .collect();
    entries.sort_by(|a, b| {
        b.value
            .abs()
            .total_cmp(&a.value.abs())
            .then((a.row, a.col).cmp(&(b.row, b.col)))
    });
    entries.truncate(8);
    MatrixSummary {
        rows: n_rows,
        cols: n_cols,
        norm,
        largest: entries,
        values: (n_rows * n_cols <= FULL_MATRIX_LIMIT).then(|| rows.to_vec()),
    }
}
