//! The SVG line plots of a report (plotters, SVG backend): a [`Plot`] is
//! one file, its [`Series`] are its lines against examples seen; each
//! line carries `class="SERIES"` so that tests and scripts can find it.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::fmt::Write as _;

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

/// Plot size in pixels.
pub(super) const PLOT_SIZE: (u32, u32) = (900, 480);

/// Colours from Okabe and Ito's palette, told apart with any colour vision:
/// blue for training figures, vermillion for validation, green for the
/// learning rate.
pub(super) const TRAIN_COLOUR: RGBColor = RGBColor(0x00, 0x72, 0xB2);
pub(super) const VALID_COLOUR: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
pub(super) const RATE_COLOUR: RGBColor = RGBColor(0x00, 0x9E, 0x73);

/// One colour per layer in the per-layer plots, the rest of the same
/// palette (yellow is left out: too pale on white). Deeper networks reuse
/// them in order.
pub(super) const LAYER_COLOURS: [RGBColor; 7] = [
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
pub(super) const LOG_SCALE_SPAN: f64 = 100.0;

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
pub(super) struct Series {
    pub(super) name: String,
    /// The `class` attribute of its line in the SVG.
    pub(super) class: String,
    pub(super) colour: RGBColor,
    /// `(examples seen, value)`, possibly with non-finite values.
    pub(super) points: Vec<(f64, f64)>,
}

impl Series {
    /// The finite points, thinned to at most [`MAX_POINTS`].
    pub(super) fn finite_points(&self) -> Vec<(f64, f64)> {
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
pub(super) struct Plot {
    pub(super) file: &'static str,
    pub(super) title: &'static str,
    pub(super) y_label: &'static str,
    /// Upper bound of the y axis when the values have one (error rates).
    pub(super) y_max: Option<f64>,
    /// Whether the series are named in a legend: always when the plot can
    /// hold more than one (even if only one was measured, so a lone line is
    /// never ambiguous), and per-layer plots name their layers.
    pub(super) legend: bool,
    /// A log-scale y axis when every value is positive and the largest is
    /// at least this many times the smallest.
    pub(super) log_scale_over: Option<f64>,
    pub(super) series: Vec<Series>,
    /// Plain words on what the plot shows and how to read it.
    pub(super) explanation: &'static str,
}

impl Plot {
    pub(super) fn has_points(&self) -> bool {
        self.series.iter().any(|s| !s.finite_points().is_empty())
    }

    /// Whether the y axis of these points is logarithmic.
    pub(super) fn log_scale(&self, drawn: &[(&Series, Vec<(f64, f64)>)]) -> bool {
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
    pub(super) fn render(&self) -> anyhow::Result<Option<String>> {
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
pub(super) fn plot_error<E: std::fmt::Debug>(error: E) -> anyhow::Error {
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
        for (value, expected) in [(1e-4, "10⁻⁴"), (1.0, "1"), (100.0, "10²"), (0.5, "0.5")] {
            assert_eq!(power_of_ten_label(value), expected);
        }
    }
}
