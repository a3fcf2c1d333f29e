//! The confusion matrix as an SVG heatmap (plotters, SVG backend): gold
//! labels by row, predicted labels by column, both in the confusion's
//! order; a cell's shade is the share of its row's examples.

use super::plot::plot_error;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use textnn::confusion::Confusion;

/// The file the heatmap is written to.
pub(super) const HEATMAP_FILE: &str = "confusion.svg";

/// Labels up to which rows and columns are named; more would overlap.
const MAX_NAMED_LABELS: usize = 60;

/// The matrix's side in pixels, about: cells are whole pixels.
const MATRIX_SIDE: u32 = 640;

/// Room for label names beside and above the matrix, in pixels.
const NAME_ROOM: u32 = 170;

/// The darkest cell colour (Okabe and Ito's blue).
const DARK: (u8, u8, u8) = (0x00, 0x72, 0xB2);

/// The heatmap's size in pixels for `n` labels.
pub(super) fn size(n: usize) -> (u32, u32) {
    let (cell, room) = layout(n);
    let side = room + cell * n as u32 + 16;
    (side, side)
}

/// Cell side and room for names, for `n` labels.
fn layout(n: usize) -> (u32, u32) {
    let cell = (MATRIX_SIDE / n.max(1) as u32).clamp(3, 48);
    let room = if n <= MAX_NAMED_LABELS { NAME_ROOM } else { 16 };
    (cell, room)
}

/// The heatmap's SVG: each cell a rectangle shaded by its share of the
/// row's examples, with its count written in it when the cells are large
/// enough to hold it.
pub(super) fn render(confusion: &Confusion) -> anyhow::Result<String> {
    let n = confusion.order.len();
    let (cell, room) = layout(n);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size(n)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let font_size = f64::from(cell).clamp(9.0, 14.0);
        let name_style = ("sans-serif", font_size).into_font().color(&BLACK);
        for (row_position, &row) in confusion.order.iter().enumerate() {
            let total: usize =
                confusion.counts[row].iter().sum::<usize>() + confusion.no_prediction[row];
            let y = (room + cell * row_position as u32) as i32;
            if n <= MAX_NAMED_LABELS {
                let name = short_name(&confusion.labels[row]);
                let style = name_style.pos(Pos::new(HPos::Right, VPos::Center));
                root.draw(&Text::new(
                    name.clone(),
                    (room as i32 - 6, y + cell as i32 / 2),
                    style,
                ))
                .map_err(plot_error)?;
                // The same name above its column, turned a quarter.
                let x = (room + cell * row_position as u32) as i32 + cell as i32 / 2;
                let turned = name_style
                    .transform(FontTransform::Rotate270)
                    .pos(Pos::new(HPos::Left, VPos::Center));
                root.draw(&Text::new(name, (x, room as i32 - 6), turned))
                    .map_err(plot_error)?;
            }
            for (column_position, &column) in confusion.order.iter().enumerate() {
                let count = confusion.counts[row][column];
                let share = if total == 0 {
                    0.0
                } else {
                    count as f64 / total as f64
                };
                let x = (room + cell * column_position as u32) as i32;
                let corners = [(x, y), (x + cell as i32, y + cell as i32)];
                root.draw(&Rectangle::new(corners, shade(share).filled()))
                    .map_err(plot_error)?;
                if count > 0 && cell >= 22 {
                    let colour = if share > 0.5 { WHITE } else { BLACK };
                    let style = ("sans-serif", font_size)
                        .into_font()
                        .color(&colour)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    let centre = (x + cell as i32 / 2, y + cell as i32 / 2);
                    root.draw(&Text::new(count.to_string(), centre, style))
                        .map_err(plot_error)?;
                }
            }
        }
        let side = (cell * n as u32) as i32;
        let frame = [
            (room as i32, room as i32),
            (room as i32 + side, room as i32 + side),
        ];
        root.draw(&Rectangle::new(
            frame,
            RGBColor(0xAA, 0xAA, 0xAA).stroke_width(1),
        ))
        .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// White for 0, [`DARK`] for 1, linear between.
fn shade(share: f64) -> RGBColor {
    let mix = |dark: u8| (255.0 - (255.0 - f64::from(dark)) * share.clamp(0.0, 1.0)).round() as u8;
    RGBColor(mix(DARK.0), mix(DARK.1), mix(DARK.2))
}

/// A label name cut to 24 characters for the axes.
fn short_name(name: &str) -> String {
    if name.chars().count() <= 24 {
        return name.to_string();
    }
    let cut: String = name.chars().take(23).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use textnn::confusion::ConfusionBuilder;
    use textnn::data::Example;

    #[test]
    fn heatmap_has_a_cell_per_pair_of_labels() {
        let labels: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let mut builder = ConfusionBuilder::new(labels, 1);
        let example = Example {
            text: "t".into(),
            labels: Vec::new(),
            line: 1,
        };
        builder.add(&[0], Some(0), &example);
        builder.add(&[0], Some(1), &example);
        let svg = render(&builder.finish()).unwrap();
        // 9 cells and the frame.
        assert_eq!(svg.matches("<rect").count(), 1 + 9 + 1, "{svg}");
        // Each name twice: beside its row and above its column.
        assert_eq!(svg.matches("\na\n</text>").count(), 2, "{svg}");
    }

    #[test]
    fn shades_run_from_white_to_the_dark_colour() {
        assert_eq!(shade(0.0), RGBColor(255, 255, 255));
        assert_eq!(shade(1.0), RGBColor(DARK.0, DARK.1, DARK.2));
    }
}
