//! Arbitrary bytes as a tsv data file: `parse_bytes` must return
//! examples or a `FILE:LINE` error, never panic. The first byte picks
//! whether labels are required (training) or optional (prediction input)
//! and whether invalid UTF-8 is refused or replaced (`lossy`); see
//! `common`.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use textnn::data::DataFormat;

fuzz_target!(|data: &[u8]| {
    common::parse_and_check(data, "fuzz.tsv", DataFormat::Tsv);
});
