//! The report's `index.html`, rendered by askama from the templates in
//! `crates/textnn-cli/templates/report/` (`base.html`: the page's look;
//! `training.html`: the training report; `test.html`: `textnn test
//! --report`; `confusion.html`: the confusion section both show). The
//! templates escape every value, so the views hold plain text.

use askama::Template;
use std::path::Path;
use textnn::confusion::Confusion;

/// Confused pairs listed on a page.
const PAIRS_SHOWN: usize = 20;

/// Rows of the per-epoch table, about: longer runs show every n-th epoch,
/// the first and the last.
pub(super) const MAX_TABLE_ROWS: usize = 40;

/// Said instead of the saturation plot when no layer can saturate.
pub(super) const NO_SATURATION: &str = "No saturation plot: no layer of this network has \
    sigmoid or tanh units (softmax and hierarchical-softmax outputs, ReLU and identity units do \
    not saturate this way).";

/// One plot as the page shows it.
pub(super) struct PlotView {
    /// The SVG file, relative to the page.
    pub(super) file: &'static str,
    pub(super) title: &'static str,
    /// Whether the SVG was written (it has a finite point).
    pub(super) has_points: bool,
    /// Plain words on what the plot shows and how to read it.
    pub(super) explanation: &'static str,
}

/// The training report's page.
#[derive(Template)]
#[template(path = "report/training.html")]
pub(super) struct TrainingPage {
    /// The training data's path.
    pub(super) input: String,
    /// The summary table: `(what, value)`.
    pub(super) summary: Vec<(&'static str, String)>,
    pub(super) plots: Vec<PlotView>,
    pub(super) plot_width: u32,
    pub(super) plot_height: u32,
    /// [`NO_SATURATION`] when layers were measured and none saturates.
    pub(super) no_saturation: Option<&'static str>,
    /// One row of the per-epoch table every this many epochs.
    pub(super) epoch_step: usize,
    /// The per-epoch table's rows, already formatted.
    pub(super) epochs: Vec<[String; 7]>,
    /// The confusion on the validation file, if there is one.
    pub(super) confusion: Option<ConfusionView>,
    pub(super) version: &'static str,
}

/// The page of `textnn test --report DIR`.
#[derive(Template)]
#[template(path = "report/test.html")]
pub(super) struct TestPage {
    /// The test data's path.
    pub(super) input: String,
    /// The summary table: `(what, value)`.
    pub(super) summary: Vec<(&'static str, String)>,
    pub(super) confusion: ConfusionView,
    /// Per label: name, precision, recall, F1, support.
    pub(super) labels: Vec<[String; 5]>,
    pub(super) version: &'static str,
}

/// The confusion section of a page.
pub(super) struct ConfusionView {
    /// Where the predictions come from, in words.
    pub(super) source: String,
    pub(super) has_heatmap: bool,
    pub(super) heatmap_file: &'static str,
    pub(super) heatmap_width: u32,
    pub(super) heatmap_height: u32,
    pub(super) pairs: Vec<PairView>,
    /// Confused pairs not listed.
    pub(super) more_pairs: usize,
}

/// One confused pair as the page lists it.
pub(super) struct PairView {
    pub(super) gold: String,
    pub(super) predicted: String,
    pub(super) count: usize,
    /// The share of the gold label's examples, as a percentage.
    pub(super) share: String,
    /// `(FILE:LINE, text)` of its examples.
    pub(super) examples: Vec<(String, String)>,
}

impl ConfusionView {
    /// The section for `confusion` of the examples in `file`, its heatmap
    /// in `heatmap_file` (`(width, height)` pixels).
    pub(super) fn new(
        confusion: &Confusion,
        file: &Path,
        source: String,
        heatmap_file: &'static str,
        (heatmap_width, heatmap_height): (u32, u32),
    ) -> Self {
        let pairs = confusion
            .pairs
            .iter()
            .take(PAIRS_SHOWN)
            .map(|pair| PairView {
                gold: pair.gold.clone(),
                predicted: pair.predicted.clone(),
                count: pair.count,
                share: format!("{:.1}%", 100.0 * pair.rate),
                examples: pair
                    .examples
                    .iter()
                    .map(|e| {
                        let place = format!("{}:{}", file.display(), e.line);
                        (place, crate::confusion::shorten(&e.text))
                    })
                    .collect(),
            })
            .collect();
        ConfusionView {
            source,
            has_heatmap: confusion.counts.iter().flatten().any(|&c| c > 0),
            heatmap_file,
            heatmap_width,
            heatmap_height,
            pairs,
            more_pairs: confusion.pairs.len().saturating_sub(PAIRS_SHOWN),
        }
    }
}

/// A number for the tables: 4 significant digits, or `–` when not finite.
pub(super) fn figure(value: f64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_have_four_significant_digits() {
        for (value, expected) in [(0.123456, "0.1235"), (12.3456, "12.35"), (f64::NAN, "–")] {
            assert_eq!(figure(value), expected);
        }
    }

    #[test]
    fn values_are_escaped() {
        let page = TrainingPage {
            input: "<a & \"b\">".to_string(),
            summary: vec![("preset", "<script>".to_string())],
            plots: Vec::new(),
            plot_width: 900,
            plot_height: 480,
            no_saturation: None,
            epoch_step: 1,
            epochs: Vec::new(),
            confusion: None,
            version: "0",
        }
        .render()
        .unwrap();
        assert!(page.contains("&#60;a &#38; &#34;b&#34;&#62;"), "{page}");
        assert!(!page.contains("<script>"));
    }
}
