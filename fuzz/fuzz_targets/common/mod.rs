//! What the five data-format targets share: the input's first byte is a
//! flag byte that picks the reading options (bit 0: labels optional, as for
//! prediction input; bit 1: `lossy` UTF-8), the rest is the file, and a
//! parse must give examples that keep the reader's promises or a
//! `FILE:LINE` error — never a panic.

use textnn::data::{parse_bytes, DataFormat, ReadOptions};

/// The reading options the flag byte picks and the file after it; `None`
/// for an empty input.
fn split_input(data: &[u8]) -> Option<(ReadOptions, &[u8])> {
    let (&flags, file) = data.split_first()?;
    let options = ReadOptions {
        require_labels: flags & 1 == 0,
        lossy: flags & 2 != 0,
        ..ReadOptions::default()
    };
    Some((options, file))
}

/// Parses `data` (flag byte, then file) as `format` under the file name
/// `name` and checks every example it returns: a line number from 1, and a
/// label whenever labels are required. Returns the file part.
pub fn parse_and_check<'a>(data: &'a [u8], name: &str, format: DataFormat) -> &'a [u8] {
    let Some((options, file)) = split_input(data) else {
        return &[];
    };
    if let Ok(examples) = parse_bytes(name, file, format, &options) {
        for example in &examples {
            assert!(example.line >= 1);
            assert!(!options.require_labels || !example.labels.is_empty());
        }
    }
    file
}
