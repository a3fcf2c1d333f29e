//! The one network every preset is a shape of:
//!
//! ```text
//! sparse feature ids ─▶ embedding bag  h = Σ_i w_i E[id_i]   (w_i = 1/n for mean, 1 for sum)
//!                   ─▶ a₀ = f₀(h)                            (optional activation)
//!                   ─▶ a_l = f(W_l a_{l-1} + b_l)            (zero or more hidden layers)
//!                   ─▶ z = W_out a + b_out ─▶ p = softmax(z) or σ(z) ─▶ loss L(p, t)
//! ```
//!
//! Backward runs the same chain in reverse. With `δ = dL/dz` of a layer:
//! `dL/dW = δ aᵀ` (the layer's input `a`), `dL/db = δ`, and the gradient
//! passed down is `dL/da = Wᵀ δ`, which the activation below turns into the
//! next `δ` by multiplying with its derivative `da/dz`. The embedding
//! gradient touches only the rows of the example's features.
//!
//! fastText's model is `mean` + identity + no hidden layer + softmax; the
//! classic blog network is `sum` of unique words + sigmoid (20 units) +
//! no hidden layer + squared error.
//!
//! ```
//! use textnn::nn::{Network, NetworkConfig, Workspace, Loss};
//! use rand::SeedableRng;
//! let config = NetworkConfig { input_rows: 10, dim: 4, n_labels: 3, ..NetworkConfig::default() };
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! let net: Network = Network::new(config, &mut rng).unwrap();
//! let mut ws = Workspace::new(&net);
//! net.forward_eval(&[1, 5, 7], &mut ws);
//! let total: f32 = ws.probabilities().iter().sum();
//! assert!((total - 1.0).abs() < 1e-6);
//! ```

use super::activation::Activation;
use super::huffman::HuffmanTree;
use super::loss::Loss;
use super::overflow::{all_finite, divide_exactly, repair_bag, repair_dense};
use crate::linalg::kernels::prefetch;
use crate::linalg::{add_scaled, Matrix, Scalar};
use crate::{Error, Result};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How many embedding rows ahead the bag asks the CPU to load.
const ROWS_AHEAD: usize = 4;

/// How the embedding bag combines the rows of an example's features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    /// Average of the rows (fastText).
    Mean,
    /// Sum of the rows (a bag-of-words vector times a weight matrix).
    Sum,
    /// Rows weighted so the input vector has unit L2 norm (as TF-IDF
    /// vectors are normalised): `x_j = c_j w_j / √(Σ_k (c_k w_k)²)` for a
    /// feature seen `c_j` times with feature weight `w_j`.
    L2,
}

impl std::str::FromStr for Combine {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "mean" => Ok(Combine::Mean),
            "sum" => Ok(Combine::Sum),
            "l2" => Ok(Combine::L2),
            _ => Err(format!("unknown combine {s:?}; choose mean, sum or l2")),
        }
    }
}

impl std::fmt::Display for Combine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Combine::Mean => "mean",
            Combine::Sum => "sum",
            Combine::L2 => "l2",
        })
    }
}

/// How the weights start.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// fastText's: embedding rows uniform in ±1/dim, hidden layers uniform
    /// in ±√(6/(fan_in+fan_out)) (Glorot), output layer zero.
    Default,
    /// Every weight uniform in ±scale (the blog: `2 * random() - 1`, scale 1).
    Uniform(f32),
}

/// The shape of a network. Checked by [`NetworkConfig::validate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// Rows of the embedding matrix: the number of distinct feature ids.
    pub input_rows: usize,
    /// Width of each embedding row.
    pub dim: usize,
    /// How rows are combined.
    pub combine: Combine,
    /// Weight each feature by its inverse document frequency
    /// `ln((1 + N) / (1 + df)) + 1` in the training data (frozen, not learnt).
    #[serde(default)]
    pub idf: bool,
    /// Weight a feature seen `c` times in a text by `1 + ln c` instead of
    /// `c` (scikit-learn's `sublinear_tf`): a word said five times counts
    /// 2.6 times, not 5. Only repeats are affected, so it changes nothing
    /// with binary features.
    #[serde(default)]
    pub sublinear_tf: bool,
    /// Activation applied to the embedding bag's output.
    pub embedding_activation: Activation,
    /// Widths of the dense hidden layers, first to last.
    pub hidden: Vec<usize>,
    /// Activation of every hidden layer.
    pub hidden_activation: Activation,
    /// Number of labels (outputs).
    pub n_labels: usize,
    /// Output activation and loss.
    pub loss: Loss,
    /// Whether dense layers (hidden and output) have a bias.
    pub bias: bool,
    /// How the weights start.
    pub init: Init,
    /// Training count of each label; with `--loss hs` it shapes the
    /// Huffman tree (empty: all labels count the same).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub label_counts: Vec<u64>,
    /// Embedding rows drawn at random at the start (the vocabulary's);
    /// the rows after them (hashed n-gram buckets) start at zero. A bucket
    /// that no training text reaches stays zero: it adds nothing to a
    /// prediction instead of noise, and the model file leaves it out.
    /// `None`: every row is drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_rows: Option<usize>,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            input_rows: 1,
            dim: 100,
            combine: Combine::Mean,
            idf: false,
            sublinear_tf: false,
            embedding_activation: Activation::Identity,
            hidden: Vec::new(),
            hidden_activation: Activation::Relu,
            n_labels: 2,
            loss: Loss::Softmax,
            bias: false,
            init: Init::Default,
            label_counts: Vec::new(),
            random_rows: None,
        }
    }
}

/// Largest number of weights a network may have (4 G), so a size typo
/// fails with a message instead of exhausting memory.
pub const MAX_PARAMETERS: usize = 1 << 32;

impl NetworkConfig {
    /// Checks every size; returns the total number of weights.
    pub fn validate(&self) -> Result<usize> {
        let bad = |m: String| Err(Error::InvalidConfig(m));
        if self.dim == 0 {
            return bad("dim must be at least 1, got 0".into());
        }
        if self.input_rows == 0 {
            return bad("the model has no input features (empty vocabulary and no buckets)".into());
        }
        if self.n_labels == 0 {
            return bad("the training data has no labels".into());
        }
        if !self.label_counts.is_empty() && self.label_counts.len() != self.n_labels {
            return bad(format!(
                "{} label counts for {} labels",
                self.label_counts.len(),
                self.n_labels
            ));
        }
        if let Some(rows) = self.random_rows.filter(|&r| r > self.input_rows) {
            return bad(format!(
                "{rows} randomly initialised rows, more than the {} input rows",
                self.input_rows
            ));
        }
        if let Some(w) = self.hidden.iter().find(|&&w| w == 0) {
            return bad(format!("hidden layer widths must be at least 1, got {w}"));
        }
        if let Init::Uniform(s) = self.init {
            if !(s.is_finite() && s > 0.0) {
                return bad(format!("init scale must be positive and finite, got {s}"));
            }
        }
        let mut total = self.input_rows.checked_mul(self.dim);
        let mut fan_in = self.dim;
        for &width in self
            .hidden
            .iter()
            .chain(std::iter::once(&self.output_width()))
        {
            total = total.and_then(|t| t.checked_add(width.checked_mul(fan_in + 1)?));
            fan_in = width;
        }
        match total {
            Some(t) if t <= MAX_PARAMETERS => Ok(t),
            _ => bad(format!(
                "the network would have more than {MAX_PARAMETERS} weights \
                 ({} input rows × dim {}); lower --buckets or --dim",
                self.input_rows, self.dim
            )),
        }
    }

    /// One line describing the architecture, e.g.
    /// `mean of 100-dim rows (12 000 inputs) → identity → softmax over 42 labels (cross-entropy)`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{}{}{} of {}-dim rows ({} inputs) → {}",
            if self.sublinear_tf { "log-tf " } else { "" },
            if self.idf { "idf-weighted " } else { "" },
            self.combine,
            self.dim,
            self.input_rows,
            self.embedding_activation
        );
        for w in &self.hidden {
            s.push_str(&format!(" → dense {w} {}", self.hidden_activation));
        }
        let loss = match self.loss {
            Loss::Softmax => "cross-entropy",
            Loss::Ova => "binary cross-entropy",
            Loss::Squared => "squared error",
            Loss::Hs => "cross-entropy, Huffman tree",
            Loss::Huber => "modified Huber",
        };
        s.push_str(&format!(
            " → {} over {} labels ({loss}){}",
            self.loss.output_activation(),
            self.n_labels,
            if self.bias { ", with bias" } else { "" }
        ));
        s
    }

    /// Width of the input of dense layer `l` (0 = first hidden or output).
    fn layer_input_width(&self, l: usize) -> usize {
        if l == 0 {
            self.dim
        } else {
            self.hidden[l - 1]
        }
    }

    /// Width of the output of dense layer `l`.
    fn layer_output_width(&self, l: usize) -> usize {
        self.hidden.get(l).copied().unwrap_or(self.output_width())
    }

    /// Outputs of the last layer: one per label, or one per internal node
    /// of the Huffman tree (`labels − 1`) with hierarchical softmax.
    pub fn output_width(&self) -> usize {
        match self.loss {
            Loss::Hs => self.n_labels.saturating_sub(1),
            _ => self.n_labels,
        }
    }

    /// The Huffman tree of hierarchical softmax, `None` for other losses.
    fn huffman_tree(&self) -> Option<HuffmanTree> {
        (self.loss == Loss::Hs).then(|| {
            if self.label_counts.is_empty() {
                HuffmanTree::new(&vec![1; self.n_labels.max(1)])
            } else {
                HuffmanTree::new(&self.label_counts)
            }
        })
    }

    /// Number of dense layers (hidden + output).
    pub fn n_dense_layers(&self) -> usize {
        self.hidden.len() + 1
    }
}

/// A fully connected layer `z = W a + b`: `W` is `outputs × inputs`, `b`
/// is empty when the network has no bias.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<F> {
    /// `outputs × inputs` weights.
    pub weights: Matrix<F>,
    /// One bias per output, or empty.
    pub bias: Vec<F>,
}

/// The network's weights and shape. Immutable during prediction, so one
/// network can be shared by any number of threads (`Send + Sync`).
#[derive(Clone, Debug, PartialEq)]
pub struct Network<F = f32> {
    config: NetworkConfig,
    /// `input_rows × dim` embedding matrix.
    pub embedding: Matrix<F>,
    /// Hidden layers, then the output layer.
    pub layers: Vec<Dense<F>>,
    /// Frozen per-row weights of the embedding bag (inverse document
    /// frequencies); empty unless `config.idf`.
    feature_weights: Vec<F>,
    /// The label tree of hierarchical softmax (`None` for other losses).
    tree: Option<HuffmanTree>,
}

impl<F: Scalar> Network<F> {
    /// A new network with weights drawn from `rng` as `config.init` says.
    pub fn new(config: NetworkConfig, rng: &mut impl Rng) -> Result<Self> {
        Self::with_embedding_fill(config, rng, |values, scale, rng| {
            fill_uniform(values, scale, rng)
        })
    }

    /// [`Network::new`] with the embedding, by far the largest matrix,
    /// filled on `threads` threads: each seeks its own copy of the
    /// generator to its part's first value, so the weights and the
    /// generator's state afterwards are exactly those of `Network::new`.
    pub fn new_parallel(
        config: NetworkConfig,
        rng: &mut ChaCha8Rng,
        threads: usize,
    ) -> Result<Self> {
        Self::with_embedding_fill(config, rng, |values, scale, rng| {
            fill_uniform_parallel(values, scale, rng, threads)
        })
    }

    /// [`Network::new`] with `fill_embedding(values, scale, rng)` drawing
    /// the embedding's values as [`fill_uniform`] does.
    fn with_embedding_fill<R: Rng>(
        config: NetworkConfig,
        rng: &mut R,
        fill_embedding: impl FnOnce(&mut [F], f64, &mut R),
    ) -> Result<Self> {
        config.validate()?;
        let mut embedding = Matrix::zeros(config.input_rows, config.dim);
        crate::memory::advise_huge_pages(embedding.as_slice());
        let embed_scale = match config.init {
            Init::Default => 1.0 / config.dim as f64,
            Init::Uniform(s) => s as f64,
        };
        let drawn = config.random_rows.unwrap_or(config.input_rows) * config.dim;
        fill_embedding(&mut embedding.as_mut_slice()[..drawn], embed_scale, rng);
        let n_layers = config.n_dense_layers();
        let mut layers = Vec::with_capacity(n_layers);
        for l in 0..n_layers {
            let (inputs, outputs) = (config.layer_input_width(l), config.layer_output_width(l));
            let mut weights = Matrix::zeros(outputs, inputs);
            let scale = match config.init {
                Init::Default if l + 1 == n_layers => 0.0,
                Init::Default => (6.0 / (inputs + outputs) as f64).sqrt(),
                Init::Uniform(s) => s as f64,
            };
            fill_uniform(weights.as_mut_slice(), scale, rng);
            let bias = vec![F::zero(); if config.bias { outputs } else { 0 }];
            layers.push(Dense { weights, bias });
        }
        let feature_weights = if config.idf {
            vec![F::one(); config.input_rows]
        } else {
            Vec::new()
        };
        Ok(Network {
            tree: config.huffman_tree(),
            config,
            embedding,
            layers,
            feature_weights,
        })
    }

    /// Sets the frozen feature weights (one positive, finite value per input
    /// row); only for networks configured with `idf`.
    pub fn set_feature_weights(&mut self, weights: Vec<F>) -> Result<()> {
        if !self.config.idf {
            return Err(Error::InvalidConfig(
                "feature weights given to a network without idf".into(),
            ));
        }
        if weights.len() != self.config.input_rows {
            return Err(Error::InvalidConfig(format!(
                "{} feature weights for {} input rows",
                weights.len(),
                self.config.input_rows
            )));
        }
        if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w > F::zero())) {
            return Err(Error::InvalidConfig(format!(
                "feature weights must be positive and finite, got {w:?}"
            )));
        }
        self.feature_weights = weights;
        Ok(())
    }

    /// The frozen feature weights (empty unless `idf`).
    pub fn feature_weights(&self) -> &[F] {
        &self.feature_weights
    }

    /// Rebuilds a network from stored weights, checking every shape.
    /// `feature_weights` is empty unless `config.idf`.
    pub fn from_parts(
        config: NetworkConfig,
        embedding: Matrix<F>,
        layers: Vec<Dense<F>>,
        feature_weights: Vec<F>,
    ) -> Result<Self> {
        config.validate()?;
        let bad = |m: String| Err(Error::InvalidConfig(m));
        if embedding.rows() != config.input_rows || embedding.cols() != config.dim {
            return bad(format!(
                "embedding is {}×{}, the configuration says {}×{}",
                embedding.rows(),
                embedding.cols(),
                config.input_rows,
                config.dim
            ));
        }
        if layers.len() != config.n_dense_layers() {
            return bad(format!(
                "{} dense layers stored, the configuration says {}",
                layers.len(),
                config.n_dense_layers()
            ));
        }
        for (l, layer) in layers.iter().enumerate() {
            let (inputs, outputs) = (config.layer_input_width(l), config.layer_output_width(l));
            let bias_len = if config.bias { outputs } else { 0 };
            if layer.weights.rows() != outputs
                || layer.weights.cols() != inputs
                || layer.bias.len() != bias_len
            {
                return bad(format!(
                    "dense layer {l} is {}×{} with {} biases, the configuration says {outputs}×{inputs} with {bias_len}",
                    layer.weights.rows(),
                    layer.weights.cols(),
                    layer.bias.len()
                ));
            }
        }
        let mut network = Network {
            tree: config.huffman_tree(),
            config,
            embedding,
            layers,
            feature_weights: Vec::new(),
        };
        if network.config.idf {
            network.set_feature_weights(feature_weights)?;
        } else if !feature_weights.is_empty() {
            return bad("feature weights stored for a network without idf".into());
        }
        Ok(network)
    }

    /// The network's shape.
    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// Whether any of `ids` reaches the network: a feature whose embedding
    /// row is all zero (a hashed bucket no training text reached) or whose
    /// bag weight is zero adds nothing to the bag, so a text of such
    /// features alone is scored as if it were empty.
    pub fn knows_any(&self, ids: &[u32]) -> bool {
        ids.iter().any(|&id| {
            let row = id as usize;
            let weighted = self
                .feature_weights
                .get(row)
                .is_none_or(|w| *w != F::zero());
            weighted
                && row < self.embedding.rows()
                && self.embedding.row(row).iter().any(|v| *v != F::zero())
        })
    }

    /// Activation applied to the output of dense layer `l`, `None` for the
    /// output layer (whose activation belongs to the loss).
    fn activation_after(&self, l: usize) -> Option<Activation> {
        (l < self.config.hidden.len()).then_some(self.config.hidden_activation)
    }

    /// Computes the weight `x_i` of each feature occurrence in the bag
    /// `h = Σ_i x_i E[id_i]` into `ws.bag_weights`.
    fn bag_weights(&self, ids: &[u32], ws: &mut Workspace<F>) {
        bag_weights(
            &self.config,
            &self.feature_weights,
            ids,
            &mut ws.bag_weights,
            &mut ws.sorted_ids,
        );
    }

    /// The shape, the frozen values, and the trainable weights, borrowed
    /// all at once (for trainers that split the work).
    pub(crate) fn parts_mut(&mut self) -> PartsMut<'_, F> {
        PartsMut {
            config: &self.config,
            feature_weights: &self.feature_weights,
            tree: self.tree.as_ref(),
            embedding: &mut self.embedding,
            layers: &mut self.layers,
        }
    }

    /// Forward pass for the feature ids of one example. Leaves every
    /// intermediate value in `ws`; the probabilities are
    /// [`Workspace::probabilities`]. `dropout` (rate, random source) is
    /// given during training only; it zeroes each unit of the embedding
    /// output and of every hidden layer with that probability and scales
    /// the survivors by `1/(1 - rate)`.
    pub fn forward<R: Rng>(
        &self,
        ids: &[u32],
        ws: &mut Workspace<F>,
        dropout: Option<(f32, &mut R)>,
    ) {
        self.bag_weights(ids, ws);
        let bag = &mut ws.outputs[0];
        bag.fill(F::zero());
        // The rows lie anywhere in a matrix of up to gigabytes: ask for
        // each a few rows ahead of its turn, so their cache misses overlap
        // (a hint only; the sum is the same).
        for &id in ids.iter().take(ROWS_AHEAD) {
            prefetch(self.embedding.row(id as usize));
        }
        for (j, (&id, &weight)) in ids.iter().zip(&ws.bag_weights).enumerate() {
            if let Some(&ahead) = ids.get(j + ROWS_AHEAD) {
                prefetch(self.embedding.row(ahead as usize));
            }
            add_scaled(bag, weight, self.embedding.row(id as usize));
        }
        if !all_finite(bag) {
            // Finite weights can still add up past f32's range (see
            // nn::overflow): redo those entries in f64 and saturate.
            repair_bag(&self.embedding, ids, &ws.bag_weights, bag);
        }
        self.config.embedding_activation.apply_in_place(bag);
        ws.dropout_active = false;
        if let Some((rate, rng)) = dropout {
            if rate > 0.0 {
                ws.dropout_active = true;
                let keep = 1.0 - rate;
                let scale = F::c(1.0 / keep as f64);
                for l in 0..self.layers.len() {
                    // Dropout acts on every input of a dense layer except
                    // the sparse features: embedding output and hidden outputs.
                    let (outs, masks) = (&ws.outputs[l], &mut ws.masks[l]);
                    for m in masks.iter_mut() {
                        *m = if rng.gen::<f32>() < keep {
                            scale
                        } else {
                            F::zero()
                        };
                    }
                    let dropped = &mut ws.dropped[l];
                    for ((d, &o), &m) in dropped.iter_mut().zip(outs).zip(masks.iter()) {
                        *d = o * m;
                    }
                    self.dense_forward(l, ws);
                }
                self.output_probabilities(ws);
                return;
            }
        }
        for l in 0..self.layers.len() {
            self.dense_forward(l, ws);
        }
        self.output_probabilities(ws);
    }

    /// `ws.probabilities` from the logits of the last layer.
    fn output_probabilities(&self, ws: &mut Workspace<F>) {
        let logits = &ws.outputs[self.layers.len()];
        match &self.tree {
            Some(tree) => tree.probabilities(logits, &mut ws.probabilities),
            None => self
                .config
                .loss
                .probabilities(logits, &mut ws.probabilities),
        }
    }

    /// The Huffman tree of hierarchical softmax (`None` for other losses).
    pub fn tree(&self) -> Option<&HuffmanTree> {
        self.tree.as_ref()
    }

    /// Forward pass without dropout (prediction, evaluation, gradient checks).
    pub fn forward_eval(&self, ids: &[u32], ws: &mut Workspace<F>) {
        self.forward::<rand::rngs::mock::StepRng>(ids, ws, None);
    }

    /// `outputs[l+1] = f(W_l · input_l + b_l)`.
    fn dense_forward(&self, l: usize, ws: &mut Workspace<F>) {
        let layer = &self.layers[l];
        let (before, after) = ws.outputs.split_at_mut(l + 1);
        let input = if ws.dropout_active {
            &ws.dropped[l]
        } else {
            &before[l]
        };
        let out = &mut after[0];
        layer.weights.mul_vec(input, out);
        for (o, &b) in out.iter_mut().zip(&layer.bias) {
            *o = *o + b;
        }
        if !all_finite(out) {
            // Products of finite weights can overflow f32 (see
            // nn::overflow): redo those outputs in f64 and saturate, so
            // the logits stay finite and the probabilities in [0, 1].
            repair_dense(&layer.weights, &layer.bias, input, out);
        }
        if let Some(act) = self.activation_after(l) {
            act.apply_in_place(out);
        }
    }

    /// The loss of the example whose forward pass is in `ws`.
    pub fn loss(&self, ws: &Workspace<F>, gold: &[usize]) -> f64 {
        let logits = &ws.outputs[self.layers.len()];
        match &self.tree {
            Some(tree) => tree.loss(logits, gold),
            None => self.config.loss.value(logits, &ws.probabilities, gold),
        }
    }

    /// Backward pass after [`Network::forward`] on the same `ids` and `ws`:
    /// adds `scale · dL/dθ` for every weight θ into `grads`.
    pub fn backward(
        &self,
        ids: &[u32],
        gold: &[usize],
        ws: &mut Workspace<F>,
        grads: &mut Gradients<F>,
        scale: F,
    ) {
        let n = self.layers.len();
        // δ of the output layer: dL/dz, owned by the loss.
        match &self.tree {
            Some(tree) => tree.gradient(&ws.outputs[n], gold, &mut ws.deltas[n]),
            None => self.config.loss.gradient(
                &ws.outputs[n],
                &ws.probabilities,
                gold,
                &mut ws.deltas[n],
            ),
        }
        for l in (0..n).rev() {
            let layer = &self.layers[l];
            let input = if ws.dropout_active {
                &ws.dropped[l]
            } else {
                &ws.outputs[l]
            };
            let (below, above) = ws.deltas.split_at_mut(l + 1);
            let delta = &above[0];
            // dL/dW = δ · inputᵀ and dL/db = δ.
            let (gw, gb) = &mut grads.layers[l];
            gw.add_outer(scale, delta, input);
            add_scaled(gb, scale, delta);
            // dL/d(input) = Wᵀ δ; then through dropout and the activation
            // that produced the input: δ_below = dL/d(input) ⊙ mask ⊙ f'(a).
            let down = &mut below[l];
            layer.weights.mul_transposed_vec(delta, down);
            if ws.dropout_active {
                for (d, &m) in down.iter_mut().zip(&ws.masks[l]) {
                    *d = *d * m;
                }
            }
            let act = if l == 0 {
                self.config.embedding_activation
            } else {
                self.config.hidden_activation
            };
            act.backward_in_place(&ws.outputs[l], down);
        }
        // dL/dE[id] = x_i · δ₀ for each feature occurrence.
        for (&id, &weight) in ids.iter().zip(&ws.bag_weights) {
            grads.add_embedding_row(id, weight * scale, &ws.deltas[0]);
        }
    }
}

/// Computes the weight `x_i` of each feature occurrence in the bag
/// `h = Σ_i x_i E[id_i]` into `weights`: the feature weight (idf, or 1)
/// times the term-frequency factor (with `sublinear_tf`, `(1 + ln c) / c`
/// for a feature seen `c` times, so its `c` occurrences add up to
/// `1 + ln c`) times the combine's normalisation. `sorted` is scratch space.
pub(crate) fn bag_weights<F: Scalar>(
    config: &NetworkConfig,
    feature_weights: &[F],
    ids: &[u32],
    weights: &mut Vec<F>,
    sorted: &mut Vec<u32>,
) {
    weights.clear();
    if config.idf {
        weights.extend(ids.iter().map(|&id| feature_weights[id as usize]));
    } else {
        weights.resize(ids.len(), F::one());
    }
    let counts_needed = config.sublinear_tf || config.combine == Combine::L2;
    if counts_needed {
        sorted.clear();
        sorted.extend_from_slice(ids);
        sorted.sort_unstable();
    }
    if config.sublinear_tf {
        for (w, id) in weights.iter_mut().zip(ids) {
            let count = count_in_sorted(sorted, *id);
            if count > 1 {
                *w = *w * F::c(term_frequency(config, count) / count as f64);
            }
        }
    }
    let norm = match config.combine {
        Combine::Sum => return,
        Combine::Mean => F::c(ids.len().max(1) as f64),
        Combine::L2 => {
            // ‖x‖² = Σ_j (tf(c_j) w_j)² over distinct features j seen c_j
            // times, counted on the sorted copy of the ids.
            let mut total = F::zero();
            for run in sorted.chunk_by(|a, b| a == b) {
                let w = if config.idf {
                    feature_weights[run[0] as usize]
                } else {
                    F::one()
                };
                let v = F::c(term_frequency(config, run.len())) * w;
                total = total + v * v;
            }
            if !total.is_finite() {
                // Feature weights near F's largest value square past it:
                // take the norm and the quotients in f64 instead.
                let exact: f64 = runs_squared_f64(config, feature_weights, sorted);
                divide_exactly(weights, exact.sqrt());
                return;
            }
            if total > F::zero() {
                total.sqrt()
            } else {
                F::one()
            }
        }
    };
    let inv = F::one() / norm;
    for w in weights.iter_mut() {
        *w = *w * inv;
    }
}

/// How many times `id` occurs in `sorted` (ascending): two binary searches.
pub(crate) fn count_in_sorted(sorted: &[u32], id: u32) -> usize {
    sorted.partition_point(|&x| x <= id) - sorted.partition_point(|&x| x < id)
}

/// What a feature seen `count` times in a text weighs before idf and
/// normalisation: `count`, or `1 + ln count` with `sublinear_tf`.
pub(crate) fn term_frequency(config: &NetworkConfig, count: usize) -> f64 {
    if config.sublinear_tf && count > 0 {
        1.0 + (count as f64).ln()
    } else {
        count as f64
    }
}

/// `Σ_j (tf(c_j) w_j)²` over the distinct ids of `sorted` (each seen `c_j`
/// times, feature weight `w_j`), in `f64`: [`bag_weights`]'s L2 norm when
/// its `F` sum overflowed.
fn runs_squared_f64<F: Scalar>(
    config: &NetworkConfig,
    feature_weights: &[F],
    sorted: &[u32],
) -> f64 {
    sorted
        .chunk_by(|a, b| a == b)
        .map(|run| {
            let w = if config.idf {
                feature_weights[run[0] as usize].to_f64_lossy()
            } else {
                1.0
            };
            let v = term_frequency(config, run.len()) * w;
            v * v
        })
        .sum()
}

/// Fills `values` uniformly in `[-scale, scale)`.
fn fill_uniform<F: Scalar>(values: &mut [F], scale: f64, rng: &mut impl Rng) {
    if scale == 0.0 {
        values.fill(F::zero());
        return;
    }
    // 24 random bits per value (all an f32 holds) from one u32 draw: an
    // embedding of 2 M rows × 100 takes 200 M of these. The words are
    // drawn a block at a time: from a block generator such as ChaCha8,
    // `Rng::fill` gives the words one `next_u32` per value would, and the
    // conversion loop then runs without a call per value (1.5× faster).
    let step = 2.0 * scale / (1u64 << 24) as f64;
    let mut words = [0u32; 256];
    for part in values.chunks_mut(words.len()) {
        let words = &mut words[..part.len()];
        rng.fill(words);
        for (v, &word) in part.iter_mut().zip(words.iter()) {
            *v = F::c((word >> 8) as f64 * step - scale);
        }
    }
}

/// Values per thread below which [`fill_uniform_parallel`] stays on one
/// thread: starting threads would cost more than they save.
const MIN_VALUES_PER_FILL_THREAD: usize = 1 << 16;

/// [`fill_uniform`] on up to `threads` threads. Each value takes exactly
/// one word of ChaCha8's stream, so part `k`, starting at value `s_k`,
/// draws from a copy of `rng` set to word position `start + s_k`: the same
/// values, and the same state of `rng` afterwards, as one thread gives.
fn fill_uniform_parallel<F: Scalar>(
    values: &mut [F],
    scale: f64,
    rng: &mut ChaCha8Rng,
    threads: usize,
) {
    let threads = threads.min(values.len() / MIN_VALUES_PER_FILL_THREAD);
    if scale == 0.0 || threads <= 1 {
        fill_uniform(values, scale, rng);
        return;
    }
    let start = rng.get_word_pos();
    let part_len = values.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for (k, part) in values.chunks_mut(part_len).enumerate() {
            let mut part_rng = rng.clone();
            part_rng.set_word_pos(start + (k * part_len) as u128);
            scope.spawn(move || fill_uniform(part, scale, &mut part_rng));
        }
    });
    rng.set_word_pos(start + values.len() as u128);
}

/// A network's parts borrowed at once: [`Network::parts_mut`].
pub(crate) struct PartsMut<'a, F> {
    pub(crate) config: &'a NetworkConfig,
    pub(crate) feature_weights: &'a [F],
    pub(crate) tree: Option<&'a HuffmanTree>,
    pub(crate) embedding: &'a mut Matrix<F>,
    pub(crate) layers: &'a mut Vec<Dense<F>>,
}

/// Per-thread buffers of one forward/backward pass, so the hot loop
/// allocates nothing.
#[derive(Clone, Debug)]
pub struct Workspace<F = f32> {
    /// `outputs[0]` = embedding output a₀; `outputs[l+1]` = output of dense
    /// layer `l` (after its activation); the last entry holds the logits.
    outputs: Vec<Vec<F>>,
    /// Inputs of each dense layer after dropout (used only while dropout is on).
    dropped: Vec<Vec<F>>,
    /// Dropout masks (0 or `1/keep`) for the input of each dense layer.
    masks: Vec<Vec<F>>,
    /// `deltas[i]` = dL/dz for the values in `outputs[i]`.
    deltas: Vec<Vec<F>>,
    probabilities: Vec<F>,
    dropout_active: bool,
    /// Weight of each feature occurrence in the bag.
    bag_weights: Vec<F>,
    /// Scratch for counting repeated features (`Combine::L2`).
    sorted_ids: Vec<u32>,
}

impl<F: Scalar> Workspace<F> {
    /// Buffers sized for `network`.
    pub fn new(network: &Network<F>) -> Self {
        let c = &network.config;
        let widths: Vec<usize> = std::iter::once(c.dim)
            .chain(c.hidden.iter().copied())
            .chain(std::iter::once(c.output_width()))
            .collect();
        let bufs = |ws: &[usize]| ws.iter().map(|&w| vec![F::zero(); w]).collect::<Vec<_>>();
        Workspace {
            outputs: bufs(&widths),
            dropped: bufs(&widths[..widths.len() - 1]),
            masks: bufs(&widths[..widths.len() - 1]),
            deltas: bufs(&widths),
            probabilities: vec![F::zero(); c.n_labels],
            dropout_active: false,
            bag_weights: Vec::new(),
            sorted_ids: Vec::new(),
        }
    }

    /// Output probabilities of the last forward pass.
    pub fn probabilities(&self) -> &[F] {
        &self.probabilities
    }

    /// Logits of the last forward pass.
    pub fn logits(&self) -> &[F] {
        self.outputs.last().map(Vec::as_slice).unwrap_or(&[])
    }

    /// Output of the embedding bag (after its activation) in the last forward pass.
    pub fn embedding_output(&self) -> &[F] {
        &self.outputs[0]
    }

    /// Output of hidden layer `l` in the last forward pass.
    pub fn hidden_output(&self, l: usize) -> &[F] {
        &self.outputs[l + 1]
    }
}

/// Gradients of the loss for every weight: dense for the dense layers,
/// sparse (touched rows only) for the embedding.
#[derive(Clone, Debug)]
pub struct Gradients<F = f32> {
    /// `(dL/dW, dL/db)` per dense layer.
    pub layers: Vec<(Matrix<F>, Vec<F>)>,
    dim: usize,
    /// Embedding rows with a gradient, in first-touched order.
    rows: Vec<u32>,
    /// Their gradients, `rows.len() × dim`.
    values: Vec<F>,
    /// Position of each row in `rows`, or `u32::MAX`.
    slot: Vec<u32>,
}

impl<F: Scalar> Gradients<F> {
    /// Zero gradients shaped like `network`.
    pub fn new(network: &Network<F>) -> Self {
        Gradients {
            layers: network
                .layers
                .iter()
                .map(|l| {
                    (
                        Matrix::zeros(l.weights.rows(), l.weights.cols()),
                        vec![F::zero(); l.bias.len()],
                    )
                })
                .collect(),
            dim: network.config.dim,
            rows: Vec::new(),
            values: Vec::new(),
            slot: vec![u32::MAX; network.config.input_rows],
        }
    }

    /// `dL/dE[id] += a · x`.
    #[inline]
    pub fn add_embedding_row(&mut self, id: u32, a: F, x: &[F]) {
        let mut s = self.slot[id as usize];
        if s == u32::MAX {
            s = self.rows.len() as u32;
            self.slot[id as usize] = s;
            self.rows.push(id);
            self.values.resize(self.values.len() + self.dim, F::zero());
        }
        let start = s as usize * self.dim;
        add_scaled(&mut self.values[start..start + self.dim], a, x);
    }

    /// The embedding rows with a gradient and their gradients.
    pub fn embedding_rows(&self) -> impl Iterator<Item = (u32, &[F])> {
        self.rows
            .iter()
            .zip(self.values.chunks_exact(self.dim.max(1)))
            .map(|(&r, g)| (r, g))
    }

    /// The embedding rows with a gradient and their gradients, mutable
    /// (the optimizer zeroes them as it applies them).
    pub fn embedding_rows_mut(&mut self) -> impl Iterator<Item = (u32, &mut [F])> {
        self.rows
            .iter()
            .zip(self.values.chunks_exact_mut(self.dim.max(1)))
            .map(|(&r, g)| (r, g))
    }

    /// Forgets which embedding rows have a gradient, without touching the
    /// dense gradients: for callers that have already zeroed those.
    pub fn forget_embedding_rows(&mut self) {
        for &r in &self.rows {
            self.slot[r as usize] = u32::MAX;
        }
        self.rows.clear();
        self.values.clear();
    }

    /// Gradient of embedding row `id` (zeros if untouched).
    pub fn embedding_row(&self, id: u32) -> Option<&[F]> {
        let s = *self.slot.get(id as usize)?;
        (s != u32::MAX).then(|| &self.values[s as usize * self.dim..(s as usize + 1) * self.dim])
    }

    /// Sets every gradient back to zero, touching only what was used.
    pub fn clear(&mut self) {
        for (w, b) in &mut self.layers {
            w.as_mut_slice().fill(F::zero());
            b.fill(F::zero());
        }
        self.forget_embedding_rows();
    }

    /// Squared L2 norm of each parameter block: embedding, then each dense layer (weights and bias together).
    pub fn block_squared_norms(&self) -> Vec<f64> {
        let mut norms = vec![crate::linalg::squared_norm(&self.values)];
        for (w, b) in &self.layers {
            norms.push(crate::linalg::squared_norm(w.as_slice()) + crate::linalg::squared_norm(b));
        }
        norms
    }

    /// Multiplies every gradient by `a` (used by gradient clipping).
    pub fn scale(&mut self, a: F) {
        crate::linalg::scale(&mut self.values, a);
        for (w, b) in &mut self.layers {
            crate::linalg::scale(w.as_mut_slice(), a);
            crate::linalg::scale(b, a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngCore, SeedableRng};

    #[test]
    fn sublinear_term_frequency_weighs_a_repeated_feature_one_plus_its_log() {
        // Feature 3 three times, 5 once; idf weights 2 (row 3) and 0.5 (row 5).
        let ids = [3, 5, 3, 3];
        let mut idf = vec![1.0_f64; 8];
        idf[3] = 2.0;
        idf[5] = 0.5;
        let tf3 = 1.0 + 3.0_f64.ln();
        // (combine, idf, sublinear, expected weight of one occurrence of 3, of 5)
        let l2 = ((tf3 * 2.0).powi(2) + 0.25_f64).sqrt();
        let table = [
            (Combine::Sum, false, true, tf3 / 3.0, 1.0),
            (Combine::Sum, false, false, 1.0, 1.0),
            (Combine::Sum, true, true, 2.0 * tf3 / 3.0, 0.5),
            (Combine::Mean, false, true, tf3 / 3.0 / 4.0, 1.0 / 4.0),
            (Combine::L2, true, true, 2.0 * tf3 / 3.0 / l2, 0.5 / l2),
            (
                Combine::L2,
                true,
                false,
                2.0 / (36.0_f64 + 0.25).sqrt(),
                0.5 / (36.0_f64 + 0.25).sqrt(),
            ),
        ];
        for (combine, with_idf, sublinear_tf, three, five) in table {
            let config = NetworkConfig {
                input_rows: 8,
                combine,
                idf: with_idf,
                sublinear_tf,
                ..NetworkConfig::default()
            };
            let feature_weights = if with_idf { idf.clone() } else { Vec::new() };
            let (mut weights, mut sorted) = (Vec::new(), Vec::new());
            bag_weights(&config, &feature_weights, &ids, &mut weights, &mut sorted);
            let case = format!("{combine} idf {with_idf} sublinear {sublinear_tf}");
            for (&id, &w) in ids.iter().zip(&weights) {
                let expected = if id == 3 { three } else { five };
                assert!(
                    (w - expected).abs() < 1e-12,
                    "{case}: id {id}: {w} != {expected}"
                );
            }
        }
    }

    #[test]
    fn parallel_fill_draws_the_values_of_one_thread() {
        // (values, scale, threads): parts of equal and unequal length, one
        // too small to split, and a zero scale that draws nothing.
        let table = [
            (1 << 18, 0.5, 2),
            (3 * (1 << 16) + 7, 0.01, 3),
            (5 << 16, 1.0, 8),
            (1000, 0.5, 4),
            (1 << 17, 0.0, 2),
        ];
        for (n, scale, threads) in table {
            let mut serial_rng = ChaCha8Rng::seed_from_u64(7);
            let mut parallel_rng = serial_rng.clone();
            // Start mid-block, as after earlier draws.
            serial_rng.next_u32();
            parallel_rng.next_u32();
            let mut serial = vec![0.0f32; n];
            let mut parallel = vec![0.0f32; n];
            fill_uniform(&mut serial, scale, &mut serial_rng);
            fill_uniform_parallel(&mut parallel, scale, &mut parallel_rng, threads);
            assert!(
                serial == parallel,
                "{n} values, scale {scale}, {threads} threads"
            );
            assert_eq!(
                serial_rng.next_u64(),
                parallel_rng.next_u64(),
                "generator state after {n} values"
            );
        }
    }

    #[test]
    fn fill_draws_one_word_per_value() {
        // The definition the blocked loop must keep: model files made with
        // a seed depend on it.
        for (n, scale) in [(0, 0.5), (1, 0.5), (255, 1.0), (256, 0.01), (1000, 0.1)] {
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            rng.next_u32();
            let mut reference_rng = rng.clone();
            let step = 2.0 * scale / (1u64 << 24) as f64;
            let expected: Vec<f32> = (0..n)
                .map(|_| ((reference_rng.next_u32() >> 8) as f64 * step - scale) as f32)
                .collect();
            let mut values = vec![0.0f32; n];
            fill_uniform(&mut values, scale, &mut rng);
            assert!(values == expected, "{n} values");
            assert_eq!(rng.next_u32(), reference_rng.next_u32(), "{n} values");
        }
    }

    #[test]
    fn parallel_init_gives_the_weights_of_new() {
        let config = NetworkConfig {
            input_rows: 5_000,
            dim: 40,
            n_labels: 3,
            hidden: vec![8],
            ..NetworkConfig::default()
        };
        let serial: Network =
            Network::new(config.clone(), &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
        for threads in [1, 2, 3] {
            let parallel: Network =
                Network::new_parallel(config.clone(), &mut ChaCha8Rng::seed_from_u64(3), threads)
                    .unwrap();
            assert!(parallel == serial, "{threads} threads");
        }
    }
}
