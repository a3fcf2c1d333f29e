//! `textnn explain MODEL TEXT`: why the model ranks the labels of one text
//! as it does (leave-one-token-out contributions, as a table with bars),
//! and with `--trace --label L` the chain rule of one training step on it.

use crate::output;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use textnn::any_model::AnyModel;
use textnn::explain::{Explanation, MatrixSummary, TokenStatus, Trace};

/// Options of `textnn explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Model file.
    pub model: PathBuf,
    /// The text to explain (quote it).
    pub text: String,
    /// Labels to list with their probabilities (0 = all).
    #[arg(short, long, default_value_t = 3)]
    pub k: usize,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Trace one training step on TEXT labelled --label: forward values, loss, the chain-rule factors dL/da · da/dz · dz/dW of the output layer, gradient norms, and the SGD step.
    #[arg(long, requires = "label")]
    pub trace: bool,
    /// Gold label of TEXT for --trace (repeat for several labels).
    #[arg(long, requires = "trace", value_name = "LABEL")]
    pub label: Vec<String>,
    /// Learning rate of the SGD step --trace shows [default: the one the model was trained with].
    #[arg(long, visible_alias = "lr", requires = "trace", value_name = "LR")]
    pub learning_rate: Option<f64>,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let model = match AnyModel::load(&args.model)? {
        AnyModel::Textnn(model) => model,
        AnyModel::FastText(fasttext) => {
            anyhow::ensure!(
                !args.trace,
                "{}: --trace follows a textnn network's training step; this is a fastText model, \
                 which textnn predicts with but does not train (leave out --trace to explain its prediction)",
                args.model.display()
            );
            let explanation =
                textnn::fasttext_model::explain::explain(&fasttext, &args.text, args.k);
            return write_explanation_or_json(&explanation, args.json);
        }
    };
    let mut out = output::stdout();
    if args.trace {
        // The model stores an f32; going through its shortest decimal form
        // shows 0.1 rather than 0.10000000149011612.
        let trained_rate = model.settings().learning_rate;
        let learning_rate = args.learning_rate.unwrap_or_else(|| {
            trained_rate
                .to_string()
                .parse()
                .unwrap_or(trained_rate as f64)
        });
        let gold: Vec<&str> = args.label.iter().map(String::as_str).collect();
        let trace = textnn::explain::trace(&model, &args.text, &gold, learning_rate)?;
        if args.json {
            serde_json::to_writer_pretty(&mut out, &trace)?;
            writeln!(out)?;
        } else {
            write_trace(&mut out, &trace)?;
        }
        output::finish(out)?;
        Ok(ExitCode::SUCCESS)
    } else {
        let explanation = textnn::explain::explain(&model, &args.text, args.k);
        write_explanation_or_json(&explanation, args.json)
    }
}

/// Prints an explanation as the table, or as JSON.
fn write_explanation_or_json(explanation: &Explanation, json: bool) -> anyhow::Result<ExitCode> {
    let mut out = output::stdout();
    if json {
        serde_json::to_writer_pretty(&mut out, explanation)?;
        writeln!(out)?;
    } else {
        write_explanation(&mut out, explanation)?;
    }
    output::finish(out)?;
    Ok(ExitCode::SUCCESS)
}

/// Half the width of a contribution bar, in character cells.
const BAR_HALF_WIDTH: usize = 20;

/// The contribution table: labels, then one row per distinct token with a
/// signed bar around a `│` axis (right pushes toward the label, left away).
fn write_explanation(out: &mut impl Write, e: &Explanation) -> std::io::Result<()> {
    writeln!(out, "text      {}", e.text)?;
    writeln!(
        out,
        "tokens    {}   (as the model sees them)",
        if e.tokens.is_empty() {
            "(none)".to_string()
        } else {
            e.tokens.join(" ")
        }
    )?;
    let labels: Vec<String> = e
        .top_labels
        .iter()
        .map(|l| format!("{} {:.4}", l.label, l.probability))
        .collect();
    writeln!(out, "labels    {}", labels.join("   "))?;
    writeln!(out, "method    {}", e.method)?;
    writeln!(out)?;
    if e.contributions.is_empty() {
        writeln!(out, "no tokens: nothing to leave out")?;
        return Ok(());
    }
    writeln!(
        out,
        "contributions to {} (p = {:.4})",
        e.label, e.probability
    )?;
    let token_width = e
        .contributions
        .iter()
        .map(|c| c.token.chars().count())
        .chain(std::iter::once("token".len()))
        .max()
        .unwrap_or(5);
    let max = e
        .contributions
        .iter()
        .map(|c| c.contribution.abs())
        .fold(0.0, f64::max);
    let axis_header = format!("{:>w$}│{}", "away ◀ ", " ▶ toward", w = BAR_HALF_WIDTH);
    writeln!(
        out,
        "  {:<token_width$}  {:>12}  {:>9}  {}",
        "token", "contribution", "p without", axis_header
    )?;
    for c in &e.contributions {
        let mut token = c.token.clone();
        if c.occurrences > 1 {
            token = format!("{token} ×{}", c.occurrences);
        }
        let bar = match c.status {
            TokenStatus::Unknown => format!("{}│ unknown to the model", " ".repeat(BAR_HALF_WIDTH)),
            _ => {
                let mut bar = signed_bar(c.contribution, max, BAR_HALF_WIDTH);
                if c.status == TokenStatus::NgramsOnly {
                    bar.push_str(" (not in the vocabulary; n-grams only)");
                }
                bar
            }
        };
        let line = format!(
            "  {:<token_width$}  {:>12}  {:>9.4}  {}",
            token,
            format!("{:+.4}", c.contribution),
            c.probability_without,
            bar
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// A bar for `value` scaled so that `max` fills `half` cells: to the right
/// of the axis in eighths of a cell when positive, to the left in halves
/// when negative (Unicode has no left-growing eighth blocks).
fn signed_bar(value: f64, max: f64, half: usize) -> String {
    let blank = " ".repeat(half);
    if value == 0.0 || max <= 0.0 || !value.is_finite() {
        return format!("{blank}│");
    }
    let fraction = (value.abs() / max).min(1.0);
    if value > 0.0 {
        const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
        let eighths = ((fraction * (half * 8) as f64).round() as usize).max(1);
        let bar = format!("{}{}", "█".repeat(eighths / 8), EIGHTHS[eighths % 8]);
        format!("{blank}│{bar}")
    } else {
        let halves = (fraction * (half * 2) as f64).round() as usize;
        let bar = if halves == 0 {
            "▕".to_string()
        } else {
            format!(
                "{}{}",
                if halves % 2 == 1 { "▐" } else { "" },
                "█".repeat(halves / 2)
            )
        };
        format!("{:>half$}│", bar)
    }
}

/// A signed number for the trace: fixed point when it reads well, else
/// scientific.
fn num(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if !v.is_finite() {
        format!("{v}")
    } else if (1e-3..1e5).contains(&v.abs()) {
        format!("{v:+.6}")
    } else {
        format!("{v:+.4e}")
    }
}

/// A quantity that is never negative (loss, norm, probability): as [`num`]
/// without the `+`.
fn size(v: f64) -> String {
    num(v).trim_start_matches('+').to_string()
}

/// `values` ten to a line, indented by `indent` spaces (at most 40 shown).
fn write_values(out: &mut impl Write, values: &[f64], indent: usize) -> std::io::Result<()> {
    let shown = values.len().min(40);
    for chunk in values[..shown].chunks(10) {
        let cells: Vec<String> = chunk.iter().map(|&v| format!("{:>12}", num(v))).collect();
        writeln!(out, "{}{}", " ".repeat(indent), cells.join(""))?;
    }
    if values.len() > shown {
        writeln!(
            out,
            "{}… {} more (all in --json)",
            " ".repeat(indent),
            values.len() - shown
        )?;
    }
    Ok(())
}

/// Label indices to show in per-label tables: all of them up to 20, else
/// the gold labels and the most probable ones.
fn shown_labels(t: &Trace) -> Vec<usize> {
    let n = t.labels.len();
    if n <= 20 {
        return (0..n).collect();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        (t.targets[b] > 0.0)
            .cmp(&(t.targets[a] > 0.0))
            .then(t.probabilities[b].total_cmp(&t.probabilities[a]))
    });
    order.truncate(20);
    order.sort_unstable();
    order
}

/// The largest entries of a matrix, `label[column] value`.
fn largest(m: &MatrixSummary) -> String {
    m.largest
        .iter()
        .map(|e| format!("{}[{}] {}", e.row_name, e.col, num(e.value)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The chain rule of one example, forward then backward, then the SGD
/// step, then (squared error) the blog tutorial's names for the same numbers.
fn write_trace(out: &mut impl Write, t: &Trace) -> std::io::Result<()> {
    let o = &t.output_layer;
    writeln!(out, "trace     {:?} labelled {}", t.text, t.gold.join(", "))?;
    writeln!(out, "network   {}", t.architecture)?;
    writeln!(out)?;
    writeln!(out, "forward")?;
    writeln!(out, "  tokens        {}", t.tokens.join(" "))?;
    if !t.unknown_tokens.is_empty() {
        writeln!(
            out,
            "  unknown       {} (not in the vocabulary: no feature, no effect)",
            t.unknown_tokens.join(" ")
        )?;
    }
    let features: Vec<String> = t
        .features
        .iter()
        .map(|f| match &f.word {
            Some(w) => format!("{} {w:?} ×{:.4}", f.id, f.weight),
            None => format!("{} (n-gram bucket) ×{:.4}", f.id, f.weight),
        })
        .collect();
    writeln!(
        out,
        "  features      id word ×x: {}",
        if features.is_empty() {
            "(none: h = 0)".to_string()
        } else {
            features.join(", ")
        }
    )?;
    writeln!(
        out,
        "  h = Σ x_i E[id_i]  ({}, {} values)",
        t.combine,
        t.bag.len()
    )?;
    write_values(out, &t.bag, 4)?;
    writeln!(out, "  a₀ = {}(h)", t.embedding_activation)?;
    write_values(out, &t.embedding_output, 4)?;
    for (l, h) in t.hidden.iter().enumerate() {
        writeln!(
            out,
            "  a{} = {}(W{} a{} + b{})",
            l + 1,
            h.activation,
            l + 1,
            l,
            l + 1
        )?;
        write_values(out, &h.output, 4)?;
    }
    let a_prev = if t.hidden.is_empty() {
        "a₀".to_string()
    } else {
        format!("a{}", t.hidden.len())
    };
    writeln!(
        out,
        "  z = W {a_prev}{}, p = {}(z), y = target",
        if o.bias_gradient.is_some() {
            " + b"
        } else {
            ""
        },
        t.output_activation
    )?;
    writeln!(
        out,
        "loss      {} {} = {}",
        t.loss.name,
        t.loss.formula,
        size(t.loss.value)
    )?;
    writeln!(out)?;

    writeln!(
        out,
        "backward, output layer: dL/dW = dL/da · da/dz · dz/dW  (a = {})",
        o.a
    )?;
    let shown = shown_labels(t);
    let label_width = shown
        .iter()
        .map(|&k| t.labels[k].chars().count())
        .chain(std::iter::once(5))
        .max()
        .unwrap_or(5);
    writeln!(
        out,
        "  {:<label_width$} {:>12} {:>12} {:>4} {:>12} {:>12} {:>12} {:>12}",
        "label", "z", "p", "y", "dL/da", "da/dz", "dL/da·da/dz", "δ = dL/dz"
    )?;
    for &k in &shown {
        let da_dz = o
            .da_dz
            .as_ref()
            .map_or_else(|| "Jacobian".to_string(), |d| size(d[k]));
        writeln!(
            out,
            "  {:<label_width$} {:>12} {:>12} {:>4} {:>12} {:>12} {:>12} {:>12}",
            t.labels[k],
            num(t.logits[k]),
            format!("{:.6}", t.probabilities[k]),
            format!("{}", t.targets[k]),
            num(o.dl_da[k]),
            da_dz,
            num(o.chain_product[k]),
            num(o.delta[k])
        )?;
    }
    if shown.len() < t.labels.len() {
        writeln!(
            out,
            "  … {} more labels (all in --json)",
            t.labels.len() - shown.len()
        )?;
    }
    writeln!(
        out,
        "  {}; their product is δ = {}",
        o.factors, o.delta_formula
    )?;
    let shown_finite = |v: &[f64]| shown.iter().all(|&k| v[k].is_finite());
    if !shown_finite(&o.dl_da) || !shown_finite(&o.chain_product) {
        writeln!(
            out,
            "  (inf or NaN above: p rounded to exactly 0 or 1, so the factor divides by 0 or multiplies 0 by ∞; \
             δ is computed from z and y directly, as training computes it)"
        )?;
    }
    writeln!(
        out,
        "  dz/dW = {}  ({} values)",
        o.input_name,
        o.input.len()
    )?;
    write_values(out, &o.input, 4)?;
    let g = &o.weight_gradient;
    writeln!(
        out,
        "  dL/dW = δ ⊗ {a_prev}: {}×{}, norm {}; row k is δ_k · {a_prev}",
        g.rows,
        g.cols,
        size(g.norm)
    )?;
    if let Some(rows) = g.values.as_ref().filter(|_| g.rows * g.cols <= 64) {
        for (k, row) in rows.iter().enumerate() {
            writeln!(out, "    {}", t.labels[k])?;
            write_values(out, row, 6)?;
        }
    } else {
        writeln!(out, "    largest: {}", largest(g))?;
    }
    match &o.bias_gradient {
        Some(b) => {
            writeln!(out, "  dL/db = δ")?;
            write_values(out, b, 4)?;
        }
        None => writeln!(out, "  dL/db: the network has no bias")?,
    }
    writeln!(out)?;

    writeln!(out, "earlier layers (gradient norms)")?;
    for layer in &t.earlier_layers {
        writeln!(
            out,
            "  {}  {}×{}  ‖dL/dW‖ = {}",
            layer.layer,
            layer.shape.0,
            layer.shape.1,
            size(layer.gradient_norm)
        )?;
    }
    let rows: Vec<String> = t
        .embedding_rows
        .iter()
        .map(|r| match &r.word {
            Some(w) => format!("{w:?} {}", size(r.gradient_norm)),
            None => format!("bucket {} {}", r.id, size(r.gradient_norm)),
        })
        .collect();
    writeln!(
        out,
        "  embedding rows  {} touched, ‖dL/dE‖ = {}{}{}",
        t.embedding_rows.len(),
        size(t.embedding_gradient_norm),
        if rows.is_empty() { "" } else { ": " },
        rows.join(", ")
    )?;
    writeln!(out)?;

    let u = &o.weight_update;
    writeln!(
        out,
        "SGD step at learning rate {}: ΔW = −lr · dL/dW (against the gradient)",
        t.learning_rate
    )?;
    writeln!(
        out,
        "  output layer    ‖ΔW‖ = {}; largest: {}",
        size(u.norm),
        largest(u)
    )?;
    for layer in &t.earlier_layers {
        writeln!(out, "  {}  ‖ΔW‖ = {}", layer.layer, size(layer.update_norm))?;
    }
    writeln!(
        out,
        "  embedding rows  ‖ΔE‖ = {}",
        size(t.learning_rate * t.embedding_gradient_norm)
    )?;

    if let Some(tutorial) = &t.tutorial {
        writeln!(out)?;
        writeln!(
            out,
            "the blog tutorial's names for the same numbers (squared error on sigmoid outputs)"
        )?;
        let by_label = |values: &[f64]| {
            shown
                .iter()
                .map(|&k| format!("{} {}", t.labels[k], num(values[k])))
                .collect::<Vec<_>>()
                .join("   ")
        };
        writeln!(out, "  layer_2 = a = p")?;
        writeln!(out, "      {}", by_label(&tutorial.layer_2))?;
        writeln!(out, "  layer_2_error = y − layer_2 = −dL/da")?;
        writeln!(out, "      {}", by_label(&tutorial.layer_2_error))?;
        writeln!(
            out,
            "  sigmoid_output_to_derivative(layer_2) = layer_2 · (1 − layer_2) = da/dz"
        )?;
        writeln!(
            out,
            "      {}",
            by_label(&tutorial.sigmoid_output_to_derivative)
        )?;
        writeln!(
            out,
            "  layer_2_delta = layer_2_error * sigmoid_output_to_derivative(layer_2) = −δ = −dL/dz"
        )?;
        writeln!(out, "      {}", by_label(&tutorial.layer_2_delta))?;
        writeln!(
            out,
            "  synapse_1 += alpha * layer_1.T.dot(layer_2_delta)  is  W ← W − lr · dL/dW"
        )?;
        writeln!(
            out,
            "      (synapse_1 = Wᵀ, layer_1 = {a_prev}, alpha = lr; the tutorial adds up this step over all its sentences)"
        )?;
        writeln!(out, "  signs: {}", tutorial.sign_convention)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "The loss ({} = {}) measures the error. da/dz is {}: one factor \
         of the gradient, not an error measure. The optimizer steps against the gradient, scaled \
         by the learning rate.",
        t.loss.name,
        size(t.loss.value),
        t.output_layer.da_dz_is
    )?;
    Ok(())
}
