//! `textnn train --report DIR`: plots of a training run as SVG files and an
//! `index.html` that shows them with a few words on how to read each one.
//!
//! A [`Recorder`] collects points from the [`TrainEvent`]s the trainer
//! sends; x is always the number of training examples seen so far
//! (`epoch × examples per epoch` at the end of an epoch), so runs with
//! different epoch counts or data sizes can be compared. Values that are not
//! finite (the training error rate under hierarchical softmax is NaN) are
//! left out of the plots rather than drawn as gaps or spikes.
//!
//! Each series' line in an SVG carries `class="SERIES"` (`train-loss`,
//! `valid-loss`, `train-error-rate`, `valid-error-rate`, `learning-rate`) so
//! that tests and scripts can find it.

use anyhow::Context;
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use textnn::train::TrainEvent;

/// Lines drawn per series at most: longer series are thinned evenly (the
/// last point is always kept), which an 800-pixel-wide plot cannot show
/// anyway.
const MAX_POINTS: usize = 2_000;

/// Point markers are drawn when a series has at most this many points, so
/// that a short run (or a single epoch) shows where the measurements are.
const MAX_MARKERS: usize = 60;

/// How much higher the y axis reaches when the plot has a legend.
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

/// One epoch's figures, at `examples_seen`.
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

/// Collects the points of a training run from its events.
#[derive(Debug)]
pub struct Recorder {
    /// Training examples per epoch (from `Prepared`, or from `Progress`).
    examples_per_epoch: usize,
    /// Planned epochs.
    epochs_planned: usize,
    epochs: Vec<EpochPoint>,
    /// Learning rate against examples seen: the starting rate, every
    /// progress event, every epoch's end.
    learning_rate: Vec<(f64, f64)>,
    /// `(epoch, reason)` when training stopped before the last epoch.
    stopped_early: Option<(usize, String)>,
}

impl Recorder {
    /// An empty recorder; `initial_learning_rate` is the rate at 0 examples.
    pub fn new(initial_learning_rate: f32) -> Self {
        Recorder {
            examples_per_epoch: 0,
            epochs_planned: 0,
            epochs: Vec::new(),
            learning_rate: vec![(0.0, f64::from(initial_learning_rate))],
            stopped_early: None,
        }
    }

    /// Takes the points of one event.
    pub fn record(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::Prepared { examples, .. } => self.examples_per_epoch = *examples,
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
            TrainEvent::StoppedEarly { epoch, reason } => {
                self.stopped_early = Some((*epoch, reason.clone()));
            }
            TrainEvent::Evaluation(_) | TrainEvent::Resumed { .. } => {}
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

    /// The three plots, with their explanations.
    fn plots(&self) -> Vec<Plot> {
        let series = |name: &'static str,
                      class: &'static str,
                      colour: RGBColor,
                      value: &dyn Fn(&EpochPoint) -> Option<f64>| Series {
            name,
            class,
            colour,
            points: self
                .epochs
                .iter()
                .filter_map(|e| value(e).map(|v| (e.examples_seen, v)))
                .collect(),
        };
        vec![
            Plot {
                file: "loss.svg",
                title: "Loss",
                y_label: "mean loss",
                y_max: None,
                series: vec![
                    series("training loss", "train-loss", TRAIN_COLOUR, &|e| {
                        Some(e.train_loss)
                    }),
                    series("validation loss", "valid-loss", VALID_COLOUR, &|e| {
                        e.valid_loss
                    }),
                ],
                explanation: "The loss is the error measure training minimises: how far the \
                    predicted probabilities are from the true labels, averaged over the \
                    examples (0 would be perfect). The training loss should go down. When the \
                    validation loss, measured on examples the network never learns from, \
                    stops going down or rises while the training loss keeps falling, the \
                    network is memorising its training data (overfitting): fewer epochs, \
                    --early-stopping, dropout or --l2 help.",
            },
            Plot {
                file: "error_rate.svg",
                title: "Error rate",
                y_label: "fraction of wrong top labels",
                y_max: Some(1.0),
                series: vec![
                    series(
                        "training error rate",
                        "train-error-rate",
                        TRAIN_COLOUR,
                        &|e| Some(e.train_error_rate),
                    ),
                    series(
                        "validation error rate",
                        "valid-error-rate",
                        VALID_COLOUR,
                        &|e| e.valid_error_rate,
                    ),
                ],
                explanation: "The error rate is the fraction of examples whose most probable \
                    label is wrong (1 − accuracy). Unlike the loss it ignores how confident \
                    the network is, so it moves in steps. The validation error rate is the \
                    best guess of how often the model will be wrong on new text. The \
                    training error rate is measured while the epoch runs, and is not \
                    measured with hierarchical softmax (--loss hs).",
            },
            Plot {
                file: "learning_rate.svg",
                title: "Learning rate",
                y_label: "learning rate",
                y_max: None,
                series: vec![Series {
                    name: "learning rate",
                    class: "learning-rate",
                    colour: RATE_COLOUR,
                    points: self.learning_rate.clone(),
                }],
                explanation: "The learning rate is the size of each weight update. The linear \
                    schedule (fastText's) lowers it steadily to 0 at the end of the last \
                    planned epoch, so early steps move the weights far and late steps only \
                    fine-tune them; the constant schedule keeps it flat. If the loss jumps \
                    around or grows, try a lower --lr; if it falls very slowly, a higher one.",
            },
        ]
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
        line(
            "<p class=\"note\">Not yet recorded: gradient norms per layer and the fraction of \
             saturated units, which need hooks in the trainer.</p>",
        );
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

/// One line of a plot.
struct Series {
    name: &'static str,
    /// The `class` attribute of its line in the SVG.
    class: &'static str,
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
    series: Vec<Series>,
    /// Plain words on what the plot shows and how to read it.
    explanation: &'static str,
}

impl Plot {
    fn has_points(&self) -> bool {
        self.series.iter().any(|s| !s.finite_points().is_empty())
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
        // Every plotted quantity is non-negative, so the y axis starts at 0
        // and shows changes in proportion; a little headroom keeps the top
        // point off the frame.
        let y_top = all().map(|p| p.1).fold(0.0, f64::max) * 1.08;
        let y_top = match self.y_max {
            Some(limit) => y_top.min(limit),
            None => y_top,
        };
        let y_top = if y_top > 0.0 { y_top } else { 1.0 };
        // The legend sits in the upper right corner; the extra room above
        // the highest point keeps it from hiding the lines under it.
        let y_top = if self.series.len() > 1 {
            y_top * LEGEND_ROOM
        } else {
            y_top
        };
        let y_min = all().map(|p| p.1).fold(0.0, f64::min);

        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, PLOT_SIZE).into_drawing_area();
            root.fill(&WHITE).map_err(plot_error)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(self.title, ("sans-serif", 30))
                .margin(16)
                .x_label_area_size(56)
                .y_label_area_size(80)
                .build_cartesian_2d(0.0..x_max, y_min..y_top)
                .map_err(plot_error)?;
            chart
                .configure_mesh()
                .x_desc("examples seen")
                .y_desc(self.y_label)
                .x_label_formatter(&|v| examples_label(*v))
                .y_label_formatter(&|v| {
                    // The legend's room may reach past the largest possible
                    // value (an error rate of 1); those ticks stay unlabelled.
                    match self.y_max {
                        Some(limit) if *v > limit * (1.0 + 1e-9) => String::new(),
                        _ => value_label(*v),
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
            for (series, points) in &drawn {
                let style = series.colour.stroke_width(3);
                chart
                    .draw_series(LineSeries::new(points.iter().copied(), style))
                    .map_err(plot_error)?
                    .label(series.name)
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
            // A plot that can hold two series names them even when only
            // one was measured, so a lone line is never ambiguous.
            if self.series.len() > 1 {
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
            root.present().map_err(plot_error)?;
        }
        for (series, _) in &drawn {
            svg = tag_series(&svg, series.colour, series.class);
        }
        Ok(Some(svg))
    }
}

/// plotters' errors borrow the backend; this keeps their message.
fn plot_error<E: std::fmt::Debug>(error: E) -> anyhow::Error {
    anyhow::anyhow!("drawing a plot: {error:?}")
}

/// `svg` with `class="CLASS"` added to the first `<polyline>` stroked in
/// `colour`: the series' line, which is drawn before its legend sample.
/// plotters has no way to name an element, and every series of a plot has
/// its own colour.
fn tag_series(svg: &str, colour: RGBColor, class: &str) -> String {
    let RGBColor(r, g, b) = colour;
    let stroke = format!("stroke=\"#{r:02X}{g:02X}{b:02X}\"");
    let mut from = 0;
    while let Some(start) = svg[from..].find("<polyline").map(|i| i + from) {
        let end = svg[start..].find("/>").map_or(svg.len(), |i| i + start);
        if svg[start..end].contains(&stroke) {
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
    use textnn::train::EpochStats;

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
        let mut recorder = Recorder::new(0.1);
        recorder.record(&prepared(40));
        recorder.record(&epoch(1, 1.0, 0.5, Some((1.1, 0.4))));
        recorder.record(&epoch(2, 0.5, 0.25, Some((0.9, 0.6))));
        let plots = recorder.plots();
        assert_eq!(plots[0].series[0].points, vec![(40.0, 1.0), (80.0, 0.5)]);
        assert_eq!(plots[1].series[1].points, vec![(40.0, 0.6), (80.0, 0.4)]);
        let rates: Vec<f64> = plots[2].series[0].points.iter().map(|p| p.0).collect();
        assert_eq!(rates, vec![0.0, 40.0, 80.0]);
    }

    #[test]
    fn nan_values_are_not_plotted() {
        let mut recorder = Recorder::new(0.1);
        recorder.record(&prepared(10));
        recorder.record(&epoch(1, 1.0, f64::NAN, None));
        recorder.record(&epoch(2, f64::NAN, f64::NAN, None));
        let plots = recorder.plots();
        assert_eq!(plots[0].series[0].finite_points(), vec![(10.0, 1.0)]);
        assert!(!plots[1].has_points());
        assert!(plots[1].render().unwrap().is_none());
    }

    #[test]
    fn each_series_line_is_tagged_with_its_class() {
        let mut recorder = Recorder::new(0.1);
        recorder.record(&prepared(10));
        for e in 1..=3 {
            recorder.record(&epoch(e, 1.0 / e as f64, 0.1, Some((0.5, 0.5))));
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
            name: "s",
            class: "s",
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
    }
}
