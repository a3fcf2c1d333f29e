//! Arbitrary bytes as a fasttext data file: `parse_bytes` must return
//! examples or a `FILE:LINE` error, never panic. The first byte picks
//! whether labels are required (training) or optional (prediction input)
//! and whether invalid UTF-8 is refused or replaced (`lossy`); see
//! `common`.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use textnn::data::DataFormat;

fuzz_target!(|data: &[u8]| {
    let file = common::parse_and_check(data, "fuzz.fasttext", DataFormat::FastText);
    // The line splitter is public on its own (the CLI's predict uses it).
    if let Ok(text) = std::str::from_utf8(file) {
        for line in text.lines() {
            let _ = textnn::data::split_fasttext_line(line, "__label__");
        }
    }
});
