//! Arbitrary bytes as a tsv data file: `parse_bytes` must return
//! examples or a `FILE:LINE` error, never panic. The first byte picks
//! whether labels are required (training) or optional (prediction input)
//! and whether invalid UTF-8 is refused or replaced (`lossy`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use textnn::data::{parse_bytes, DataFormat, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, file)) = data.split_first() else {
        return;
    };
    let options = ReadOptions {
        require_labels: flags & 1 == 0,
        lossy: flags & 2 != 0,
        ..ReadOptions::default()
    };
    if let Ok(examples) = parse_bytes("fuzz.tsv", file, DataFormat::Tsv, &options) {
        for example in &examples {
            assert!(example.line >= 1);
            assert!(!options.require_labels || !example.labels.is_empty());
        }
    }
});
