//! [`Recorder`]: the points of a training run, collected from its
//! [`TrainEvent`]s, and the plots and page made of them.

use super::page::{figure, PlotView, TrainingPage, MAX_TABLE_ROWS, NO_SATURATION};
use super::plot::{
    Plot, Series, LAYER_COLOURS, LOG_SCALE_SPAN, PLOT_SIZE, RATE_COLOUR, TRAIN_COLOUR, VALID_COLOUR,
};
use super::RunInfo;
use anyhow::Context;
use askama::Template;
use plotters::style::RGBColor;
use std::path::{Path, PathBuf};
use textnn::train::{LayerDiagnostics, TrainEvent};

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
        let mut page = self.page(&plots, info);
        if let Some(confusion) = &info.confusion {
            let source = format!(
                "The trained model's predictions on the validation file {}.",
                confusion.file.display()
            );
            page.confusion = Some(confusion.write(dir, source)?);
        }
        let page = page.render()?;
        textnn::format::write_atomically(&index, page.as_bytes())
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

    /// The report page's view: a summary, each plot with its explanation,
    /// the per-epoch table.
    pub(super) fn page(&self, plots: &[Plot], info: &RunInfo) -> TrainingPage {
        let measured_layers = plots.iter().any(|p| p.file == "gradient_norm.svg");
        let saturation_plotted = plots.iter().any(|p| p.file == "saturation.svg");
        let step = self.epochs.len().div_ceil(MAX_TABLE_ROWS).max(1);
        let optional = |v: Option<f64>| v.map_or_else(|| "–".to_string(), figure);
        let epochs = self
            .epochs
            .iter()
            .enumerate()
            .filter(|(i, _)| *i == 0 || (i + 1) % step == 0 || i + 1 == self.epochs.len())
            .map(|(_, e)| {
                [
                    e.epoch.to_string(),
                    e.examples_seen.to_string(),
                    figure(e.train_loss),
                    figure(e.train_error_rate),
                    optional(e.valid_loss),
                    optional(e.valid_error_rate),
                    figure(e.learning_rate),
                ]
            })
            .collect();
        TrainingPage {
            input: info.input.display().to_string(),
            summary: self.summary(info),
            plots: plots
                .iter()
                .map(|plot| PlotView {
                    file: plot.file,
                    title: plot.title,
                    has_points: plot.has_points(),
                    explanation: plot.explanation,
                })
                .collect(),
            plot_width: PLOT_SIZE.0,
            plot_height: PLOT_SIZE.1,
            no_saturation: (measured_layers && !saturation_plotted).then_some(NO_SATURATION),
            epoch_step: step,
            epochs,
            confusion: None,
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// The summary table's rows: `(what, value)`.
    fn summary(&self, info: &RunInfo) -> Vec<(&'static str, String)> {
        let mut rows = vec![
            ("preset", info.preset.to_string()),
            (
                "epochs",
                format!("{} of {} planned", self.epochs.len(), self.epochs_planned),
            ),
            ("examples per epoch", self.examples_per_epoch.to_string()),
            (
                "validation",
                match &info.validation {
                    Some(from) => from.clone(),
                    None => "none (give --valid FILE or --valid-split F to see how the model \
                             does on unseen text)"
                        .to_string(),
                },
            ),
            (
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
            ),
        ];
        if let Some((epoch, reason)) = &self.stopped_early {
            rows.push(("stopped early", format!("after epoch {epoch}: {reason}")));
        }
        if let Some(last) = self.epochs.last() {
            rows.push(("final training loss", figure(last.train_loss)));
            if let Some(loss) = last.valid_loss {
                rows.push(("final validation loss", figure(loss)));
            }
            if let Some(rate) = last.valid_error_rate {
                rows.push(("final validation error rate", figure(rate)));
            }
        }
        rows.push((
            "model",
            match info.model {
                Some(path) => path.display().to_string(),
                None => "not saved: training failed".to_string(),
            },
        ));
        rows
    }
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
            confusion: None,
        };
        assert!(recorder
            .page(&plots, &info)
            .render()
            .unwrap()
            .contains(NO_SATURATION));
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
}
