//! `textnn train --report DIR`: plots of a training run as SVG files and an
//! `index.html` that shows them with a few words on how to read each one.
//!
//! A [`Recorder`] collects points from the [`TrainEvent`]s the trainer
//! sends; x is always the number of training examples seen so far, so runs
//! with different epoch counts or data sizes can be compared. Losses,
//! validation error rates and the per-layer diagnostics come from the
//! `Evaluation` events (each epoch's end, and every `--eval-every N`
//! examples); the training error rate and the per-epoch table from the
//! `Epoch` events. Values that are not finite (the training error rate
//! under hierarchical softmax is NaN) are left out of the plots rather than
//! drawn as gaps or spikes.
//!
//! Each series' line in an SVG carries `class="SERIES"` (`train-loss`,
//! `valid-loss`, `train-error-rate`, `valid-error-rate`, `learning-rate`,
//! and per layer `gradient-norm-LAYER` and `saturated-LAYER`, where LAYER is
//! `embedding`, `hidden-1`, …, `output`) so that tests and scripts can find
//! it.

use anyhow::Context;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use textnn::train::{LayerDiagnostics, TrainEvent};

/// Lines drawn per series at most: longer series are thinned evenly (the
/// last point is always kept), which an 800-pixel-wide plot cannot show
/// anyway.
const MAX_POINTS: usize = 2_000;

/// Point markers are drawn when a series has at most this many points, so
/// that a short run (or a single epoch) shows where the measurements are.
const MAX_MARKERS: usize = 60;

/// How much higher the y axis reaches when the plot has a legend of two
/// series; each further series adds half as much again.
const LEGEND_ROOM: f64 = 1.35;

/// Rows of the per-epoch table, about: longer runs show every n-th epoch,
/// the first and the last.
const MAX_TABLE_ROWS: usize = 40;

/// Plot size in pixels.
const PLOT_SIZE: (u32, u32) = (900, 480);

/// Colours from Okabe and Ito's palette, told apart with any colour vision:
/// blue for training figures, vermillion for validation, green for the
/// learning rate.
const TRAIN_COLOUR: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const VALID_COLOUR: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const RATE_COLOUR: RGBColor = RGBColor(0x00, 0x9E, 0x73);

/// One colour per layer in the per-layer plots, the rest of the same
/// palette (yellow is left out: too pale on white). Deeper networks reuse
/// them in order.
const LAYER_COLOURS: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
];

/// The gradient-norm plot has a log-scale y axis when its largest value is
/// at least this many times its smallest (two decades).
const LOG_SCALE_SPAN: f64 = 100.0;

/// What `gradient_norm.svg` shows.
const GRADIENT_NORM_EXPLANATION: &str = "The gradient is what training follows: each line is \
    the length (L2 norm) of the gradient of the mean loss with respect to one layer's weights, \
    measured at every evaluation on the same sample of up to 256 training examples. By the \
    chain rule, dL/dw = dL/da · da/dz · dz/dw: the derivative da/dz of each activation is one \
    factor of the gradient, so a layer whose units sit where their activation is flat gets a \
    small gradient and hardly moves, however wrong the output is. Norms shrinking as the loss \
    falls are normal (there is less left to correct); norms that collapse while the loss is \
    still high mean training is stuck (saturated units, dead ReLUs, too low a --lr); norms \
    that grow by decades mean it is diverging (a lower --lr or --clip-grad helps). When the \
    values span more than two decades the y axis is logarithmic.";

/// What `saturation.svg` shows.
const SATURATION_EXPLANATION: &str = "A sigmoid or tanh unit is saturated when its derivative \
    is below 0.01: it sits on a flat end of its S-curve (a sigmoid output below about 0.01 or \
    above 0.99), where changing its input barely changes its output, so almost no gradient \
    flows through it, whether it is right or wrong. Each line is the fraction of a layer's \
    units (over the sample of training examples) that are saturated; output units count as \
    sigmoids under --loss squared and --loss ova. This is why squared error on sigmoid \
    outputs (the blog preset) can learn slowly: its output gradient is (p − y) · p(1 − p), \
    and an output that is confidently wrong (p near 0 where y = 1) makes p(1 − p) nearly 0, \
    so the loss plot shows a plateau. Cross-entropy (--loss ova, or softmax) does not have \
    that problem: its output gradient is p − y, the sigmoid's derivative cancels, and a wrong \
    output gets a large gradient however saturated it is. Saturation late in training, when \
    the loss is already low, is mostly outputs that are confidently right, and harmless.";

/// Said instead of the saturation plot when no layer can saturate.
const NO_SATURATION: &str = "No saturation plot: no layer of this network has sigmoid or tanh \
    units (softmax and hierarchical-softmax outputs, ReLU and identity units do not saturate \
    this way).";

/// Makes sure `dir` can hold the report before training starts: refuses a
/// path that exists and is not a folder, creates the folder if missing.
pub fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!(
            "--report {}: exists and is not a folder; give a folder for the report",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the report folder {}", dir.display()))
}

/// What the report says about the run besides the plots.
pub struct RunInfo<'a> {
    /// The training data.
    pub input: &'a Path,
    /// Where the validation figures come from, e.g. `valid.txt` or `20% of
    /// the training data`, if there are any.
    pub validation: Option<String>,
    /// The preset the settings started from.
    pub preset: &'a str,
    /// The model file, or `None` when training failed.
    pub model: Option<&'a Path>,
}

/// One epoch's figures, at `examples_seen`: the rows of the per-epoch table
/// and the training error rate, which is only measured per epoch.
#[derive(Clone, Debug)]
struct EpochPoint {
    epoch: usize,
    examples_seen: f64,
    train_loss: f64,
    train_error_rate: f64,
    valid_loss: Option<f64>,
    valid_error_rate: Option<f64>,
    learning_rate: f64,
}

/// One evaluation's figures, at `examples_seen`: every `--eval-every`
/// examples and at the end of every epoch.
#[derive(Clone, Debug)]
struct EvaluationPoint {
    examples_seen: f64,
    /// Mean training loss since the previous evaluation.
    train_loss: f64,
    valid_loss: Option<f64>,
    valid_error_rate: Option<f64>,
    layers: Vec<LayerDiagnostics>,
}

/// Collects the points of a training run from its events.
#[derive(Debug)]
pub struct Recorder {
    /// Training examples per epoch (from `Prepared`, or from `Progress`).
    examples_per_epoch: usize,
    /// Planned epochs.
    epochs_planned: usize,
    epochs: Vec<EpochPoint>,
    evaluations: Vec<EvaluationPoint>,
    /// Learning rate against examples seen: the starting rate, every
    /// progress event, every epoch's end.
    learning_rate: Vec<(f64, f64)>,
    /// `(epoch, reason)` when training stopped before the last epoch.
    stopped_early: Option<(usize, String)>,
}

impl Recorder {
    /// An empty recorder. The learning rate at 0 examples comes from the
    /// run's plan ([`TrainEvent::Planned`]): the rate training really
    /// starts from, which the data may have decided.
    pub fn new() -> Self {
        Recorder {
            examples_per_epoch: 0,
            epochs_planned: 0,
            epochs: Vec::new(),
            evaluations: Vec::new(),
            learning_rate: Vec::new(),
            stopped_early: None,
        }
    }

    /// Takes the points of one event.
    pub fn record(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::Prepared { examples, .. } => self.examples_per_epoch = *examples,
            TrainEvent::Read { .. } => {}
            TrainEvent::Planned(plan) => {
                self.learning_rate = vec![(0.0, f64::from(plan.config.learning_rate))];
            }
            TrainEvent::Progress {
                epoch,
                epochs,
                done,
                total,
                learning_rate,
                ..
            } => {
                self.examples_per_epoch = *total;
                self.epochs_planned = *epochs;
                let seen = ((epoch - 1) * total + done) as f64;
                self.learning_rate.push((seen, f64::from(*learning_rate)));
            }
            TrainEvent::Epoch(s) => {
                self.epochs_planned = s.epochs;
                let seen = (s.epoch * self.examples_per_epoch) as f64;
                self.learning_rate.push((seen, f64::from(s.learning_rate)));
                self.epochs.push(EpochPoint {
                    epoch: s.epoch,
                    examples_seen: seen,
                    train_loss: s.mean_loss,
                    train_error_rate: s.error_rate,
                    valid_loss: s.valid_loss,
                    valid_error_rate: s.valid_accuracy.map(|a| 1.0 - a),
                    learning_rate: f64::from(s.learning_rate),
                });
            }
            TrainEvent::Evaluation(e) => self.evaluations.push(EvaluationPoint {
                examples_seen: e.examples_seen as f64,
                train_loss: e.train_loss,
                valid_loss: e.valid_loss,
                valid_error_rate: e.valid_accuracy.map(|a| 1.0 - a),
                layers: e.layers.clone(),
            }),
            TrainEvent::StoppedEarly { epoch, reason } => {
                self.stopped_early = Some((*epoch, reason.clone()));
            }
            TrainEvent::Resumed { .. } => {}
        }
    }

    /// Writes the plots, then `index.html` (last, so that a report whose
    /// index exists is complete), each file atomically; returns the path of
    /// `index.html`.
    pub fn write(&self, dir: &Path, info: &RunInfo) -> anyhow::Result<PathBuf> {
        let plots = self.plots();
        for plot in &plots {
            if let Some(svg) = plot.render()? {
                let path = dir.join(plot.file);
                textnn::format::write_atomically(&path, svg.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        let index = dir.join("index.html");
        textnn::format::write_atomically(&index, self.html(&plots, info).as_bytes())
            .with_context(|| format!("writing {}", index.display()))?;
        Ok(index)
    }

    /// A series of one value of each evaluation point.
    fn evaluation_series(
        &self,
        name: &str,
        class: &str,
        colour: RGBColor,
        value: impl Fn(&EvaluationPoint) -> Option<f64>,
    ) -> Series {
        Series {
            name: name.to_string(),
            class: class.to_string(),
            colour,
            points: self
                .evaluations
                .iter()
                .filter_map(|e| value(e).map(|v| (e.examples_seen, v)))
                .collect(),
        }
    }

    /// The layers measured at any evaluation, in the order they first
    /// appear (embedding, hidden 1, …, output).
    fn layer_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for layer in self.evaluations.iter().flat_map(|e| &e.layers) {
            if !names.contains(&layer.layer.as_str()) {
                names.push(&layer.layer);
            }
        }
        names
    }

    /// One series per layer of a per-layer figure; class `PREFIX-LAYER`
    /// (`gradient-norm-hidden-1`).
    fn layer_series(
        &self,
        prefix: &str,
        value: impl Fn(&LayerDiagnostics) -> Option<f64>,
    ) -> Vec<Series> {
        self.layer_names()
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                self.evaluation_series(
                    name,
                    &format!("{prefix}-{}", name.replace(' ', "-")),
                    LAYER_COLOURS[i % LAYER_COLOURS.len()],
                    |e| e.layers.iter().find(|l| l.layer == name).and_then(&value),
                )
            })
            .collect()
    }

    /// The plots, with their explanations: loss, error rate, learning rate,
    /// and when the evaluations measured layers, gradient norms and (if
    /// any layer saturates) saturation.
    fn plots(&self) -> Vec<Plot> {
        let mut plots = vec![
            Plot {
                file: "loss.svg",
                title: "Loss",
                y_label: "mean loss",
                y_max: None,
                legend: true,
                log_scale_over: None,
                series: vec![
                    self.evaluation_series("training loss", "train-loss", TRAIN_COLOUR, |e| {
                        Some(e.train_loss)
                    }),
                    self.evaluation_series("validation loss", "valid-loss", VALID_COLOUR, |e| {
                        e.valid_loss
                    }),
                ],
                explanation: "The loss is the error measure training minimises: how far the \
                    predicted probabilities are from the true labels, averaged over the \
                    examples (0 would be perfect). There is a point at every evaluation: the \
                    end of each epoch, and every N examples with --eval-every N; each training \
                    point is the mean over the examples since the previous one. The training \
                    loss should go down. When the validation loss, measured on examples the \
                    network never learns from, stops going down or rises while the training \
                    loss keeps falling, the network is memorising its training data \
                    (overfitting): fewer epochs, --early-stopping, dropout or --l2 help.",
            },
            Plot {
                file: "error_rate.svg",
                title: "Error rate",
                y_label: "fraction of wrong top labels",
                y_max: Some(1.0),
                legend: true,
                log_scale_over: None,
                series: vec![
                    Series {
                        name: "training error rate".to_string(),
                        class: "train-error-rate".to_string(),
                        colour: TRAIN_COLOUR,
                        points: self
                            .epochs
                            .iter()
                            .map(|e| (e.examples_seen, e.train_error_rate))
                            .collect(),
                    },
                    self.evaluation_series(
                        "validation error rate",
                        "valid-error-rate",
                        VALID_COLOUR,
                        |e| e.valid_error_rate,
                    ),
                ],
                explanation: "The error rate is the fraction of examples whose most probable \
                    label is wrong (1 − accuracy). Unlike the loss it ignores how confident \
                    the network is, so it moves in steps. The validation error rate, measured \
                    at every evaluation, is the best guess of how often the model will be \
                    wrong on new text. The training error rate is measured while each epoch \
                    runs (one point per epoch), and is not measured with hierarchical softmax \
                    (--loss hs).",
            },
            Plot {
                file: "learning_rate.svg",
                title: "Learning rate",
                y_label: "learning rate",
                y_max: None,
                legend: false,
                log_scale_over: None,
                series: vec![Series {
                    name: "learning rate".to_string(),
                    class: "learning-rate".to_string(),
                    colour: RATE_COLOUR,
                    points: self.learning_rate.clone(),
                }],
                explanation: "The learning rate is the size of each weight update. The linear \
                    schedule (fastText's) lowers it steadily to 0 at the end of the last \
                    planned epoch, so early steps move the weights far and late steps only \
                    fine-tune them; the constant schedule keeps it flat. If the loss jumps \
                    around or grows, try a lower --lr; if it falls very slowly, a higher one.",
            },
        ];
        if self.layer_names().is_empty() {
            return plots;
        }
        plots.push(Plot {
            file: "gradient_norm.svg",
            title: "Gradient norm per layer",
            y_label: "gradient norm",
            y_max: None,
            legend: true,
            log_scale_over: Some(LOG_SCALE_SPAN),
            series: self.layer_series("gradient-norm", |l| Some(l.gradient_norm)),
            explanation: GRADIENT_NORM_EXPLANATION,
        });
        let saturation = self.layer_series("saturated", |l| l.saturated);
        if saturation.iter().any(|s| !s.points.is_empty()) {
            plots.push(Plot {
                file: "saturation.svg",
                title: "Saturated units per layer",
                y_label: "fraction saturated",
                y_max: Some(1.0),
                legend: true,
                log_scale_over: None,
                series: saturation
                    .into_iter()
                    .filter(|s| !s.points.is_empty())
                    .collect(),
                explanation: SATURATION_EXPLANATION,
            });
        }
        plots
    }

    /// The report page: a summary, each plot with its explanation, the
    /// per-epoch table.
    fn html(&self, plots: &[Plot], info: &RunInfo) -> String {
        let mut page = String::new();
        let mut line = |text: &str| {
            page.push_str(text);
            page.push('\n');
        };
        line("<!DOCTYPE html>");
        line("<html lang=\"en\">");
        line("<head>");
        line("<meta charset=\"utf-8\">");
        line(&format!(
            "<title>Training report: {}</title>",
            escape(&info.input.display().to_string())
        ));
        line(STYLE);
        line("</head>");
        line("<body>");
        line(&format!(
            "<h1>Training report <span class=\"file\">{}</span></h1>",
            escape(&info.input.display().to_string())
        ));
        line("<table class=\"summary\">");
        let mut row = |key: &str, value: String| {
            line(&format!("<tr><th>{key}</th><td>{value}</td></tr>"));
        };
        row("preset", escape(info.preset));
        row(
            "epochs",
            format!("{} of {} planned", self.epochs.len(), self.epochs_planned),
        );
        row("examples per epoch", self.examples_per_epoch.to_string());
        row(
            "validation",
            match &info.validation {
                Some(from) => escape(from),
                None => "none (give --valid FILE or --valid-split F to see how the model does \
                         on unseen text)"
                    .to_string(),
            },
        );
        row(
            "evaluations",
            format!(
                "{} (each epoch's end{})",
                self.evaluations.len(),
                if self.evaluations.len() > self.epochs.len() {
                    ", and every --eval-every examples"
                } else {
                    "; --eval-every N adds one every N examples"
                }
            ),
        );
        if let Some((epoch, reason)) = &self.stopped_early {
            row(
                "stopped early",
                format!("after epoch {epoch}: {}", escape(reason)),
            );
        }
        if let Some(last) = self.epochs.last() {
            row("final training loss", figure(last.train_loss));
            if let Some(loss) = last.valid_loss {
                row("final validation loss", figure(loss));
            }
            if let Some(rate) = last.valid_error_rate {
                row("final validation error rate", figure(rate));
            }
        }
        row(
            "model",
            match info.model {
                Some(path) => escape(&path.display().to_string()),
                None => "not saved: training failed".to_string(),
            },
        );
        line("</table>");
        for plot in plots {
            line(&format!("<h2>{}</h2>", plot.title));
            if plot.has_points() {
                line(&format!(
                    "<img src=\"{}\" alt=\"{} against examples seen\" width=\"{}\" height=\"{}\">",
                    plot.file, plot.title, PLOT_SIZE.0, PLOT_SIZE.1
                ));
            } else {
                line("<p class=\"empty\">Nothing to plot: no finite values were recorded.</p>");
            }
            line(&format!("<p>{}</p>", escape(plot.explanation)));
        }
        let measured_layers = plots.iter().any(|p| p.file == "gradient_norm.svg");
        if measured_layers && !plots.iter().any(|p| p.file == "saturation.svg") {
            line(&format!(
                "<h2>Saturated units</h2>\n<p class=\"note\">{}</p>",
                NO_SATURATION
            ));
        }
        line("<h2>Per epoch</h2>");
        let step = self.epochs.len().div_ceil(MAX_TABLE_ROWS).max(1);
        if step > 1 {
            line(&format!(
                "<p class=\"note\">One row every {step} epochs, with the first and the last; \
                 <code>--log FILE.jsonl</code> records them all.</p>"
            ));
        }
        line("<table class=\"epochs\">");
        line(
            "<tr><th>epoch</th><th>examples seen</th><th>training loss</th>\
             <th>training error rate</th><th>validation loss</th>\
             <th>validation error rate</th><th>learning rate</th></tr>",
        );
        let shown = self
            .epochs
            .iter()
            .enumerate()
            .filter(|(i, _)| *i == 0 || (i + 1) % step == 0 || i + 1 == self.epochs.len())
            .map(|(_, e)| e);
        for e in shown {
            let optional = |v: Option<f64>| v.map_or_else(|| "–".to_string(), figure);
            line(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e.epoch,
                e.examples_seen,
                figure(e.train_loss),
                figure(e.train_error_rate),
                optional(e.valid_loss),
                optional(e.valid_error_rate),
                figure(e.learning_rate),
            ));
        }
        line("</table>");
        line(&format!(
            "<p class=\"note\">Written by textnn {}.</p>",
            env!("CARGO_PKG_VERSION")
        ));
        line("</body>");
        line("</html>");
        page
    }
}

/// The page's look: readable width, system fonts, plain tables.
const STYLE: &str = "<style>
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 960px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; margin-bottom: 0.4em; }
h1 .file { font-family: ui-monospace, monospace; font-size: 0.7em; color: #555; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
table { border-collapse: collapse; font-size: 0.95em; }
th, td { padding: 0.2em 0.8em; text-align: left; border-bottom: 1px solid #eee; }
table.epochs td { font-variant-numeric: tabular-nums; text-align: right; }
table.summary th { color: #555; font-weight: normal; }
.note, .empty { color: #666; font-size: 0.9em; }
</style>";

/// A number for the tables: 4 significant digits, or `–` when not finite.
fn figure(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    if value == 0.0 || (1e-3..1e4).contains(&value.abs()) {
        let digits = (3 - value.abs().log10().floor().max(-1.0) as i32).clamp(0, 4) as usize;
        format!("{value:.digits$}")
    } else {
        format!("{value:.3e}")
    }
}

/// `text` with `&`, `<`, `>` and `"` escaped for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A tick label for a count of examples: `950`, `12k`, `1.5M`.
fn examples_label(value: f64) -> String {
    let (scaled, suffix) = if value.abs() >= 1e6 {
        (value / 1e6, "M")
    } else if value.abs() >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let text = format!("{scaled:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text}{suffix}")
}

/// A tick label for a y value: short, without trailing zeros.
fn value_label(value: f64) -> String {
    if value == 0.0 {
        return "0".to_string();
    }
    if (1e-3..1e4).contains(&value.abs()) {
        let text = format!("{value:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{value:.1e}")
    }
}

/// A tick label on a log axis: `10⁻⁴` for a power of ten, else as
/// [`value_label`].
fn power_of_ten_label(value: f64) -> String {
    let exponent = value.log10().round();
    if value > 0.0 && (value / 10f64.powf(exponent) - 1.0).abs() < 1e-9 {
        if exponent == 0.0 {
            return "1".to_string();
        }
        let digits: String = format!("{exponent:.0}")
            .chars()
            .map(|c| match c {
                '-' => '⁻',
                d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize],
            })
            .collect();
        format!("10{digits}")
    } else {
        value_label(value)
    }
}

/// One line of a plot.
struct Series {
    name: String,
    /// The `class` attribute of its line in the SVG.
    class: String,
    colour: RGBColor,
    /// `(examples seen, value)`, possibly with non-finite values.
    points: Vec<(f64, f64)>,
}

impl Series {
    /// The finite points, thinned to at most [`MAX_POINTS`].
    fn finite_points(&self) -> Vec<(f64, f64)> {
        let finite: Vec<(f64, f64)> = self
            .points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        if finite.len() <= MAX_POINTS {
            return finite;
        }
        let step = finite.len().div_ceil(MAX_POINTS);
        let mut thinned: Vec<(f64, f64)> = finite.iter().copied().step_by(step).collect();
        if thinned.last() != finite.last() {
            thinned.extend(finite.last());
        }
        thinned
    }
}

/// One SVG file: a title, a y axis and its series against examples seen.
struct Plot {
    file: &'static str,
    title: &'static str,
    y_label: &'static str,
    /// Upper bound of the y axis when the values have one (error rates).
    y_max: Option<f64>,
    /// Whether the series are named in a legend: always when the plot can
    /// hold more than one (even if only one was measured, so a lone line is
    /// never ambiguous), and per-layer plots name their layers.
    legend: bool,
    /// A log-scale y axis when every value is positive and the largest is
    /// at least this many times the smallest.
    log_scale_over: Option<f64>,
    series: Vec<Series>,
    /// Plain words on what the plot shows and how to read it.
    explanation: &'static str,
}

impl Plot {
    fn has_points(&self) -> bool {
        self.series.iter().any(|s| !s.finite_points().is_empty())
    }

    /// Whether the y axis of these points is logarithmic.
    fn log_scale(&self, drawn: &[(&Series, Vec<(f64, f64)>)]) -> bool {
        let Some(span) = self.log_scale_over else {
            return false;
        };
        let values = || {
            drawn
                .iter()
                .flat_map(|(_, points)| points.iter().map(|p| p.1))
        };
        let low = values().fold(f64::INFINITY, f64::min);
        let high = values().fold(0.0, f64::max);
        low > 0.0 && high >= low * span
    }

    /// The y axis's room above the highest point, as a factor: the legend
    /// sits in the upper right corner and needs a row per series, so that
    /// it does not hide the lines under it.
    fn legend_room(&self) -> f64 {
        if self.legend {
            1.0 + (LEGEND_ROOM - 1.0) / 2.0 * self.series.len().max(2) as f64
        } else {
            1.0
        }
    }

    /// The SVG, or `None` when no series has a finite point.
    fn render(&self) -> anyhow::Result<Option<String>> {
        let drawn: Vec<(&Series, Vec<(f64, f64)>)> = self
            .series
            .iter()
            .map(|s| (s, s.finite_points()))
            .filter(|(_, points)| !points.is_empty())
            .collect();
        if drawn.is_empty() {
            return Ok(None);
        }
        let all = || drawn.iter().flat_map(|(_, points)| points.iter());
        let x_max = all().map(|p| p.0).fold(0.0, f64::max);
        let x_max = if x_max > 0.0 { x_max } else { 1.0 };
        let y_high = all().map(|p| p.1).fold(0.0, f64::max);

        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
            root.fill(&WHITE).map_err(plot_error)?;
            if self.log_scale(&drawn) {
                // Whole decades around the values; the legend's room is
                // the same share of the height as on a linear axis.
                let low = all().map(|p| p.1).fold(f64::INFINITY, f64::min);
                // Just below the decade, so that rounding cannot leave its
                // tick out.
                let low = 10f64.powf(low.log10().floor()) * 0.999;
                let high = 10f64.powf(y_high.log10().ceil());
                let top = high;
                let high = high * (high / low).powf(self.legend_room() - 1.0);
                self.draw(&root, x_max, (low..high).log_scale(), top, &drawn)?;
            } else {
                // Every plotted quantity is non-negative, so the y axis
                // starts at 0 and shows changes in proportion; a little
                // headroom keeps the top point off the frame.
                let y_top = y_high * 1.08;
                let y_top = match self.y_max {
                    Some(limit) => y_top.min(limit),
                    None => y_top,
                };
                let y_top = if y_top > 0.0 { y_top } else { 1.0 };
                let y_min = all().map(|p| p.1).fold(0.0, f64::min);
                let top = self.y_max.unwrap_or(f64::INFINITY);
                self.draw(&root, x_max, y_min..y_top * self.legend_room(), top, &drawn)?;
            }
            root.present().map_err(plot_error)?;
        }
        for (series, _) in &drawn {
            svg = tag_series(&svg, series.colour, &series.class);
        }
        Ok(Some(svg))
    }

    /// Draws the axes, the series and the legend on `root`, with `y` as
    /// the y axis (linear or logarithmic) and ticks labelled up to
    /// `label_up_to`.
    fn draw<Y>(
        &self,
        root: &DrawingArea<SVGBackend<'_>, Shift>,
        x_max: f64,
        y: Y,
        label_up_to: f64,
        drawn: &[(&Series, Vec<(f64, f64)>)],
    ) -> anyhow::Result<()>
    where
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let log_y = self.log_scale(drawn);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, ("sans-serif", 30))
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..x_max, y)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("examples seen")
            .y_desc(self.y_label)
            .x_label_formatter(&|v| examples_label(*v))
            .y_label_formatter(&|v| {
                // The legend's room may reach past the largest possible
                // value (an error rate of 1) or the data's top decade;
                // those ticks stay unlabelled.
                if *v > label_up_to * (1.0 + 1e-9) {
                    String::new()
                } else if log_y {
                    power_of_ten_label(*v)
                } else {
                    value_label(*v)
                }
            })
            .label_style(("sans-serif", 19))
            .axis_desc_style(("sans-serif", 21))
            // Only the labelled grid lines: the fine ones between
            // them made the plot look busy without helping to read it.
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(0xD8, 0xD8, 0xD8))
            .draw()
            .map_err(plot_error)?;
        for (series, points) in drawn {
            let style = series.colour.stroke_width(3);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), style))
                .map_err(plot_error)?
                .label(series.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
            if points.len() <= MAX_MARKERS {
                chart
                    .draw_series(
                        points
                            .iter()
                            .map(|&p| Circle::new(p, 4, series.colour.filled())),
                    )
                    .map_err(plot_error)?;
            }
        }
        if self.legend {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .label_font(("sans-serif", 19))
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(0xAA, 0xAA, 0xAA))
                .margin(12)
                .draw()
                .map_err(plot_error)?;
        }
        Ok(())
    }
}

/// plotters' errors borrow the backend; this keeps their message.
fn plot_error<E: std::fmt::Debug>(error: E) -> anyhow::Error {
    anyhow::anyhow!("drawing a plot: {error:?}")
}

/// `svg` with `class="CLASS"` added to the first `<polyline>` stroked in
/// `colour` that has no class yet: the series' line, which is drawn before its legend sample.
/// plotters has no way to name an element, and every series of a plot has
/// its own colour.
fn tag_series(svg: &str, colour: RGBColor, class: &str) -> String {
    let RGBColor(r, g, b) = colour;
    let stroke = format!("stroke=\"#{r:02X}{g:02X}{b:02X}\"");
    let mut from = 0;
    while let Some(start) = svg[from..].find("<polyline").map(|i| i + from) {
        let end = svg[start..].find("/>").map_or(svg.len(), |i| i + start);
        // A polyline with a class is an earlier series' line in the same
        // colour (layers beyond the palette reuse it).
        if svg[start..end].contains(&stroke) && !svg[start..end].contains(" class=") {
            let mut tagged = String::with_capacity(svg.len() + class.len() + 10);
            let name_end = start + "<polyline".len();
            tagged.push_str(&svg[..name_end]);
            // Writing into a String cannot fail.
            let _ = write!(tagged, " class=\"{class}\"");
            tagged.push_str(&svg[name_end..]);
            return tagged;
        }
        from = end;
    }
    svg.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recorder that has seen a plan starting at `learning_rate`.
    fn recorder_starting_at(learning_rate: f32) -> Recorder {
        let mut recorder = Recorder::new();
        recorder.record(&TrainEvent::Planned(Box::new(textnn::train::plan::Plan {
            config: textnn::TrainConfig {
                learning_rate,
                ..textnn::TrainConfig::fasttext()
            },
            decisions: Vec::new(),
        })));
        recorder
    }
    use textnn::train::{EpochStats, Evaluation};

    fn epoch(epoch: usize, loss: f64, error_rate: f64, valid: Option<(f64, f64)>) -> TrainEvent {
        TrainEvent::Epoch(EpochStats {
            epoch,
            epochs: 3,
            mean_loss: loss,
            mean_abs_error: 0.1,
            error_rate,
            learning_rate: 0.1 * (3 - epoch) as f32 / 3.0,
            examples_per_second: 1000.0,
            valid_loss: valid.map(|v| v.0),
            valid_accuracy: valid.map(|v| v.1),
        })
    }

    /// The evaluation the trainer sends after `epoch(e, …)`, `examples`
    /// examples per epoch, with `layers` as `(name, gradient norm,
    /// saturated)`.
    fn evaluation(
        seen: usize,
        loss: f64,
        valid: Option<(f64, f64)>,
        layers: &[(&str, f64, Option<f64>)],
    ) -> TrainEvent {
        TrainEvent::Evaluation(Evaluation {
            epoch: 1,
            examples_seen: seen,
            epoch_end: true,
            train_loss: loss,
            learning_rate: 0.1,
            valid_loss: valid.map(|v| v.0),
            valid_accuracy: valid.map(|v| v.1),
            layers: layers
                .iter()
                .map(|&(layer, gradient_norm, saturated)| LayerDiagnostics {
                    layer: layer.to_string(),
                    gradient_norm,
                    saturated,
                })
                .collect(),
        })
    }

    /// An epoch's events as the trainer sends them: `Epoch`, then its
    /// closing `Evaluation`.
    fn epoch_and_evaluation(
        recorder: &mut Recorder,
        e: usize,
        examples: usize,
        loss: f64,
        valid: Option<(f64, f64)>,
    ) {
        recorder.record(&epoch(e, loss, 0.1, valid));
        recorder.record(&evaluation(e * examples, loss, valid, &[]));
    }

    fn prepared(examples: usize) -> TrainEvent {
        TrainEvent::Prepared {
            examples,
            words: 10,
            labels: 2,
            input_rows: 10,
            parameters: 100,
            threads: 1,
        }
    }

    #[test]
    fn epochs_are_placed_at_examples_seen() {
        let mut recorder = recorder_starting_at(0.1);
        recorder.record(&prepared(40));
        recorder.record(&epoch(1, 1.0, 0.5, Some((1.1, 0.4))));
        recorder.record(&evaluation(40, 1.0, Some((1.1, 0.4)), &[]));
        recorder.record(&epoch(2, 0.5, 0.25, Some((0.9, 0.6))));
        recorder.record(&evaluation(80, 0.5, Some((0.9, 0.6)), &[]));
        let plots = recorder.plots();
        assert_eq!(plots[0].series[0].points, vec![(40.0, 1.0), (80.0, 0.5)]);
        assert_eq!(plots[1].series[0].points, vec![(40.0, 0.5), (80.0, 0.25)]);
        assert_eq!(plots[1].series[1].points, vec![(40.0, 0.6), (80.0, 0.4)]);
        let rates: Vec<f64> = plots[2].series[0].points.iter().map(|p| p.0).collect();
        assert_eq!(rates, vec![0.0, 40.0, 80.0]);
        assert_eq!(plots.len(), 3, "no layers measured, no per-layer plots");
    }

    #[test]
    fn evaluations_between_epochs_add_points_to_the_curves() {
        let mut recorder = recorder_starting_at(0.1);
        recorder.record(&prepared(40));
        recorder.record(&evaluation(20, 1.2, Some((1.3, 0.3)), &[]));
        recorder.record(&epoch(1, 1.0, 0.5, Some((1.1, 0.4))));
        recorder.record(&evaluation(40, 0.8, Some((1.1, 0.4)), &[]));
        let plots = recorder.plots();
        assert_eq!(plots[0].series[0].points, vec![(20.0, 1.2), (40.0, 0.8)]);
        assert_eq!(plots[0].series[1].points, vec![(20.0, 1.3), (40.0, 1.1)]);
        assert_eq!(plots[1].series[1].points.len(), 2);
        assert_eq!(plots[1].series[0].points, vec![(40.0, 0.5)], "per epoch");
        assert_eq!(recorder.epochs.len(), 1, "the table has a row per epoch");
    }

    #[test]
    fn layers_give_one_gradient_line_each_and_saturation_only_where_measured() {
        let mut recorder = recorder_starting_at(0.1);
        recorder.record(&prepared(10));
        for e in 1..=3 {
            let layers = [
                ("embedding", 1.0 / e as f64, None),
                ("hidden 1", 0.5, Some(0.1 * e as f64)),
                ("output", 0.25, None),
            ];
            recorder.record(&evaluation(10 * e, 1.0, None, &layers));
        }
        let plots = recorder.plots();
        let files: Vec<&str> = plots.iter().map(|p| p.file).collect();
        assert_eq!(files[3..], ["gradient_norm.svg", "saturation.svg"]);
        let classes: Vec<&str> = plots[3].series.iter().map(|s| s.class.as_str()).collect();
        assert_eq!(
            classes,
            [
                "gradient-norm-embedding",
                "gradient-norm-hidden-1",
                "gradient-norm-output"
            ]
        );
        assert_eq!(plots[3].series[0].points[2], (30.0, 1.0 / 3.0));
        assert_eq!(plots[4].series.len(), 1);
        assert_eq!(plots[4].series[0].class, "saturated-hidden-1");
        assert_eq!(
            plots[4].series[0].colour, plots[3].series[1].colour,
            "a layer has one colour in both plots"
        );
        let svg = plots[4].render().unwrap().unwrap();
        assert_eq!(svg.matches("class=\"saturated-hidden-1\"").count(), 1);
    }

    #[test]
    fn no_saturation_plot_when_no_layer_saturates() {
        let mut recorder = recorder_starting_at(0.1);
        recorder.record(&prepared(10));
        recorder.record(&evaluation(10, 1.0, None, &[("embedding", 0.5, None)]));
        let plots = recorder.plots();
        assert_eq!(plots.last().map(|p| p.file), Some("gradient_norm.svg"));
        let info = RunInfo {
            input: Path::new("train.txt"),
            validation: None,
            preset: "default",
            model: None,
        };
        assert!(recorder.html(&plots, &info).contains(NO_SATURATION));
    }

    #[test]
    fn gradient_norms_spanning_decades_get_a_log_scale() {
        let plot = |values: &[f64]| Plot {
            file: "gradient_norm.svg",
            title: "Gradient norm per layer",
            y_label: "gradient norm",
            y_max: None,
            legend: true,
            log_scale_over: Some(LOG_SCALE_SPAN),
            series: vec![Series {
                name: "output".to_string(),
                class: "gradient-norm-output".to_string(),
                colour: TRAIN_COLOUR,
                points: values
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (i as f64, v))
                    .collect(),
            }],
            explanation: "",
        };
        for (values, log) in [
            (&[1.0, 0.5, 0.02][..], false),
            (&[1.0, 1e-3, 1e-6][..], true),
            (&[1.0, 0.0, 1e-6][..], false),
        ] {
            let plot = plot(values);
            let drawn: Vec<(&Series, Vec<(f64, f64)>)> =
                plot.series.iter().map(|s| (s, s.finite_points())).collect();
            assert_eq!(plot.log_scale(&drawn), log, "{values:?}");
            let svg = plot.render().unwrap().unwrap();
            // Decade ticks are labelled as such on a log axis only.
            let labelled = svg.lines().any(|line| line.trim() == "10⁻⁵");
            assert_eq!(labelled, log, "{values:?}");
        }
    }

    #[test]
    fn series_of_the_same_colour_are_tagged_in_order() {
        let svg = "<polyline stroke=\"#0072B2\" points=\"1,1\"/><polyline stroke=\"#0072B2\" points=\"2,2\"/>";
        let once = tag_series(svg, TRAIN_COLOUR, "a");
        let twice = tag_series(&once, TRAIN_COLOUR, "b");
        assert!(twice.contains("class=\"a\" stroke=\"#0072B2\" points=\"1,1\""));
        assert!(twice.contains("class=\"b\" stroke=\"#0072B2\" points=\"2,2\""));
    }

    #[test]
    fn nan_values_are_not_plotted() {
        let mut recorder = recorder_starting_at(0.1);
        recorder.record(&prepared(10));
        recorder.record(&epoch(1, 1.0, f64::NAN, None));
        recorder.record(&evaluation(10, 1.0, None, &[]));
        recorder.record(&epoch(2, f64::NAN, f64::NAN, None));
        recorder.record(&evaluation(20, f64::NAN, None, &[]));
        let plots = recorder.plots();
        assert_eq!(plots[0].series[0].finite_points(), vec![(10.0, 1.0)]);
        assert!(!plots[1].has_points());
        assert!(plots[1].render().unwrap().is_none());
    }

    #[test]
    fn each_series_line_is_tagged_with_its_class() {
        let mut recorder = recorder_starting_at(0.1);
        recorder.record(&prepared(10));
        for e in 1..=3 {
            epoch_and_evaluation(&mut recorder, e, 10, 1.0 / e as f64, Some((0.5, 0.5)));
        }
        let svg = recorder.plots()[0].render().unwrap().unwrap();
        for class in ["train-loss", "valid-loss"] {
            assert_eq!(
                svg.matches(&format!("class=\"{class}\"")).count(),
                1,
                "{svg}"
            );
        }
    }

    #[test]
    fn long_series_are_thinned_keeping_the_last_point() {
        let series = Series {
            name: "s".to_string(),
            class: "s".to_string(),
            colour: TRAIN_COLOUR,
            points: (0..10_001).map(|i| (i as f64, 1.0)).collect(),
        };
        let points = series.finite_points();
        assert!(points.len() <= MAX_POINTS + 1);
        assert_eq!(points.last(), Some(&(10_000.0, 1.0)));
    }

    #[test]
    fn labels_are_short() {
        for (value, expected) in [(950.0, "950"), (12_000.0, "12k"), (1_500_000.0, "1.5M")] {
            assert_eq!(examples_label(value), expected);
        }
        for (value, expected) in [
            (0.0, "0"),
            (0.25, "0.25"),
            (1.5, "1.5"),
            (0.00001, "1.0e-5"),
        ] {
            assert_eq!(value_label(value), expected);
        }
        for (value, expected) in [(0.123456, "0.1235"), (12.3456, "12.35"), (f64::NAN, "–")] {
            assert_eq!(figure(value), expected);
        }
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        for (value, expected) in [(1e-4, "10⁻⁴"), (1.0, "1"), (100.0, "10²"), (0.5, "0.5")] {
            assert_eq!(power_of_ten_label(value), expected);
        }
    }
}
