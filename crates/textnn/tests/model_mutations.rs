//! Damaged and hostile model files: every truncation, every bit flip in
//! the header and metadata, a sample of flips in the weights, and one test
//! per targeted mutation of the header or metadata. Mutations rebuild a
//! valid container (section lengths, body length, checksum) around the
//! change, so the checks behind the checksum are the ones under test. Each
//! must be an error — never `Ok`, never a panic.

mod common;

use common::{fix_checksum, load_error, rebuild, section_offsets, tiny_model, with_meta};
use serde_json::json;
use std::time::{Duration, Instant};
use textnn::format::{self, Section, FORMAT_VERSION};
use textnn::Classifier;

/// Loads `bytes`, returning whether it loaded; a panic fails the test with
/// the case's description.
fn loads(bytes: &[u8], case: &str) -> bool {
    match std::panic::catch_unwind(|| Classifier::from_bytes("m", bytes)) {
        Ok(result) => result.is_ok(),
        Err(_) => panic!("loading panicked: {case}"),
    }
}

#[test]
fn every_truncation_of_a_model_is_refused() {
    let bytes = tiny_model().to_bytes();
    for len in 0..bytes.len() {
        let err = Classifier::from_bytes("m", &bytes[..len]).unwrap_err();
        assert!(err.to_string().starts_with("m: "), "prefix {len}: {err}");
    }
    assert!(Classifier::from_bytes("m", &bytes).is_ok());
}

#[test]
fn every_bit_flip_in_the_header_and_metadata_is_refused() {
    let bytes = tiny_model().to_bytes();
    // Up to the end of META: the 24-byte header, META's 12-byte section
    // header and its JSON.
    let meta_end = section_offsets(&bytes)[1];
    for bit in 0..meta_end * 8 {
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        assert!(
            !loads(&b, &format!("bit {bit}")),
            "flip of bit {bit} loaded"
        );
    }
}

#[test]
fn a_sample_of_bit_flips_in_the_weights_is_refused() {
    let bytes = tiny_model().to_bytes();
    let meta_end = section_offsets(&bytes)[1];
    // Every 7th bit from the end of META to the end, checksum included.
    for bit in (meta_end * 8..bytes.len() * 8).step_by(7) {
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        assert!(
            !loads(&b, &format!("bit {bit}")),
            "flip of bit {bit} loaded"
        );
    }
}

#[test]
fn every_bit_flip_in_the_container_structure_is_refused_even_with_a_valid_checksum() {
    // The header and each section's tag and length: with the checksum
    // recomputed, only the structural checks stand in the way.
    let bytes = tiny_model().to_bytes();
    let mut positions: Vec<usize> = (0..24).collect();
    for offset in section_offsets(&bytes) {
        positions.extend(offset..offset + 12);
    }
    let readable = textnn::format::OLDEST_READABLE_VERSION..=textnn::format::FORMAT_VERSION;
    for byte in positions {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[byte] ^= 1 << bit;
            let version = u32::from_le_bytes(b[8..12].try_into().unwrap());
            if (8..12).contains(&byte) && readable.contains(&version) {
                // Another version this textnn reads (3 → 2): the same
                // sections make a valid file of that version.
                continue;
            }
            fix_checksum(&mut b);
            let case = format!("byte {byte} bit {bit}");
            assert!(!loads(&b, &case), "{case} loaded");
        }
    }
}

#[test]
fn bit_flips_in_metadata_and_weights_with_a_valid_checksum_never_panic() {
    // A flip inside the JSON or a weight can give another valid model
    // (a count 5 → 4, a weight 0.5 → 0.25), so only panics are failures.
    let bytes = tiny_model().to_bytes();
    let meta_start = section_offsets(&bytes)[0] + 12;
    let weights_start = section_offsets(&bytes)[1];
    let meta_bits = (meta_start * 8..weights_start * 8).step_by(3);
    let weight_bits = (weights_start * 8..(bytes.len() - 4) * 8).step_by(13);
    for bit in meta_bits.chain(weight_bits) {
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        fix_checksum(&mut b);
        loads(&b, &format!("bit {bit}"));
    }
}

#[test]
fn a_section_count_of_zero_is_refused() {
    let bytes = tiny_model().to_bytes();
    let mut b = bytes.clone();
    b[12..16].copy_from_slice(&0u32.to_le_bytes());
    fix_checksum(&mut b);
    assert!(load_error(&b).contains("after the last section"));
    // A container that really is empty.
    assert!(load_error(&format::encode(&[])).contains("first section is not META"));
}

#[test]
fn a_section_count_of_u32_max_is_refused_fast() {
    let mut b = tiny_model().to_bytes();
    b[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    fix_checksum(&mut b);
    let start = Instant::now();
    let err = load_error(&b);
    assert!(err.contains("4294967295 sections"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_body_length_of_zero_or_u64_max_is_refused() {
    let bytes = tiny_model().to_bytes();
    for (value, expected) in [(0, "unexpected bytes"), (u64::MAX, "truncated")] {
        let mut b = bytes.clone();
        b[16..24].copy_from_slice(&u64::to_le_bytes(value));
        fix_checksum(&mut b);
        let err = load_error(&b);
        assert!(err.contains(expected), "{value}: {err}");
    }
}

#[test]
fn a_section_length_of_zero_or_u64_max_is_refused_fast() {
    let bytes = tiny_model().to_bytes();
    for offset in section_offsets(&bytes) {
        for value in [0, u64::MAX, u64::MAX / 2] {
            let mut b = bytes.clone();
            b[offset + 4..offset + 12].copy_from_slice(&value.to_le_bytes());
            fix_checksum(&mut b);
            let start = Instant::now();
            assert!(!loads(&b, &format!("section at {offset}, length {value}")));
            assert!(start.elapsed() < Duration::from_secs(1));
        }
    }
}

#[test]
fn metadata_sizes_of_zero_are_refused() {
    let bytes = tiny_model().to_bytes();
    // (JSON pointer, expected words)
    let table = [
        ("/network/input_rows", "input"),
        ("/network/dim", "dim must be at least 1"),
        ("/network/n_labels", "no labels"),
        (
            "/network/hidden/0",
            "hidden layer widths must be at least 1",
        ),
    ];
    for (pointer, expected) in table {
        let b = with_meta(&bytes, |m| *m.pointer_mut(pointer).unwrap() = json!(0));
        let err = load_error(&b);
        assert!(err.contains(expected), "{pointer}: {err}");
    }
}

#[test]
fn metadata_sizes_of_the_maximum_value_are_refused_fast() {
    let bytes = tiny_model().to_bytes();
    let pointers = [
        "/network/input_rows",
        "/network/dim",
        "/network/n_labels",
        "/network/hidden/0",
        "/settings/features/buckets",
        "/settings/features/word_ngrams",
    ];
    for pointer in pointers {
        for value in [u64::MAX, u64::from(u32::MAX)] {
            let b = with_meta(&bytes, |m| *m.pointer_mut(pointer).unwrap() = json!(value));
            let start = Instant::now();
            let err = load_error(&b);
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "{pointer} = {value}"
            );
            assert!(err.starts_with("model.textnn: "), "{err}");
        }
    }
}

#[test]
fn rows_times_dim_overflowing_is_refused() {
    let bytes = tiny_model().to_bytes();
    let b = with_meta(&bytes, |m| {
        m["network"]["input_rows"] = json!(1u64 << 33);
        m["network"]["dim"] = json!(1u64 << 33);
    });
    let err = load_error(&b);
    assert!(err.contains("more than a file of"), "{err}");
}

#[test]
fn an_embedding_shorter_than_the_metadata_says_is_refused() {
    let bytes = tiny_model().to_bytes();
    let b = rebuild(&bytes, |s| {
        let embd = s.iter_mut().find(|s| &s.tag == b"EMBD").unwrap();
        let dim = 4;
        embd.bytes.truncate(embd.bytes.len() - 4 * dim);
    });
    let err = load_error(&b);
    assert!(err.contains("section EMBD holds"), "{err}");
}

#[test]
fn a_dim_that_disagrees_with_the_matrices_is_refused() {
    let bytes = tiny_model().to_bytes();
    let b = with_meta(&bytes, |m| m["network"]["dim"] = json!(5));
    let err = load_error(&b);
    assert!(err.contains("section EMBD holds"), "{err}");
}

#[test]
fn a_dense_layer_of_the_wrong_shape_is_refused() {
    let bytes = tiny_model().to_bytes();
    // Add one weight to the first dense layer.
    let b = rebuild(&bytes, |s| {
        let denw = s.iter_mut().find(|s| &s.tag == b"DENW").unwrap();
        denw.bytes.extend_from_slice(&0.5f32.to_le_bytes());
    });
    let err = load_error(&b);
    assert!(err.contains("section DENW holds"), "{err}");
    // A hidden width that disagrees with the stored layer.
    let b = with_meta(&bytes, |m| m["network"]["hidden"] = json!([4]));
    assert!(load_error(&b).contains("section DENW holds"));
}

#[test]
fn a_label_count_that_disagrees_with_the_output_layer_is_refused() {
    let bytes = tiny_model().to_bytes();
    let b = with_meta(&bytes, |m| {
        m["labels"].as_array_mut().unwrap().pop();
    });
    let err = load_error(&b);
    assert!(
        err.contains("2 labels stored but the output layer has 3"),
        "{err}"
    );
    let b = with_meta(&bytes, |m| m["network"]["n_labels"] = json!(4));
    let err = load_error(&b);
    assert!(
        err.contains("3 labels stored but the output layer has 4"),
        "{err}"
    );
}

#[test]
fn a_vocabulary_that_disagrees_with_the_input_rows_is_refused() {
    let bytes = tiny_model().to_bytes();
    let b = with_meta(&bytes, |m| {
        m["vocabulary"].as_array_mut().unwrap().pop();
    });
    let err = load_error(&b);
    assert!(err.contains("do not give the embedding's"), "{err}");
    let b = with_meta(&bytes, |m| {
        let words = m["vocabulary"].as_array_mut().unwrap();
        words[1] = words[0].clone();
    });
    assert!(load_error(&b).contains("appears twice in the vocabulary"));
}

#[test]
fn nan_and_infinite_weights_are_refused() {
    let bytes = tiny_model().to_bytes();
    for tag in [b"EMBD", b"IDFW", b"DENW", b"DENB"] {
        for value in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let b = rebuild(&bytes, |s| {
                let section = s.iter_mut().find(|s| &s.tag == tag).unwrap();
                section.bytes[..4].copy_from_slice(&value.to_le_bytes());
            });
            let err = load_error(&b);
            assert!(err.contains("NaN or infinite"), "{value} in {tag:?}: {err}");
        }
    }
}

#[test]
fn a_non_positive_idf_weight_is_refused() {
    let bytes = tiny_model().to_bytes();
    let b = rebuild(&bytes, |s| {
        let idfw = s.iter_mut().find(|s| &s.tag == b"IDFW").unwrap();
        idfw.bytes[..4].copy_from_slice(&(-1.0f32).to_le_bytes());
    });
    assert!(load_error(&b).contains("positive and finite"));
}

#[test]
fn trailing_bytes_are_refused() {
    let bytes = tiny_model().to_bytes();
    // After the checksum.
    let mut b = bytes.clone();
    b.extend_from_slice(b"\0\0\0\0");
    assert!(load_error(&b).contains("4 unexpected bytes after the end of the model"));
    // Inside the body, after the last section, with the lengths and the
    // checksum made consistent.
    let mut b = bytes.clone();
    let crc_at = b.len() - 4;
    b.splice(crc_at..crc_at, [7u8; 5]);
    let body_len = u64::from_le_bytes(b[16..24].try_into().unwrap()) + 5;
    b[16..24].copy_from_slice(&body_len.to_le_bytes());
    fix_checksum(&mut b);
    assert!(load_error(&b).contains("5 bytes after the last section"));
}

#[test]
fn extra_missing_and_reordered_sections_are_refused() {
    let bytes = tiny_model().to_bytes();
    let extra = rebuild(&bytes, |s| {
        s.push(Section {
            tag: *b"XTRA",
            bytes: vec![],
        })
    });
    let missing = rebuild(&bytes, |s| {
        s.pop();
    });
    let swapped = rebuild(&bytes, |s| s.swap(2, 3));
    let no_meta = rebuild(&bytes, |s| {
        s.remove(0);
    });
    // (file, expected words)
    let table = [
        (extra, "sections after META"),
        (missing, "sections after META"),
        (swapped, "missing section"),
        (no_meta, "first section is not META"),
    ];
    for (b, expected) in table {
        let err = load_error(&b);
        assert!(err.contains(expected), "{expected}: {err}");
    }
}

#[test]
fn metadata_that_is_not_json_is_refused() {
    let bytes = tiny_model().to_bytes();
    for junk in [&b""[..], b"{", b"null", b"\xff\xfe", b"{\"network\": 1}"] {
        let b = rebuild(&bytes, |s| s[0].bytes = junk.to_vec());
        assert!(load_error(&b).contains("metadata is not valid"));
    }
}

#[test]
fn a_newer_format_version_asks_for_an_upgrade() {
    let mut b = tiny_model().to_bytes();
    b[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    fix_checksum(&mut b);
    let err = load_error(&b);
    assert!(err.contains("made by a newer textnn: upgrade"), "{err}");
    b[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    fix_checksum(&mut b);
    assert!(load_error(&b).contains("made by a newer textnn: upgrade"));
}

#[test]
fn a_format_version_of_zero_is_refused() {
    let mut b = tiny_model().to_bytes();
    b[8..12].copy_from_slice(&0u32.to_le_bytes());
    fix_checksum(&mut b);
    assert!(load_error(&b).contains("unknown format version 0"));
}

#[test]
fn a_wrong_magic_is_not_a_textnn_model() {
    let mut b = tiny_model().to_bytes();
    b[..8].copy_from_slice(b"TEXTNNMG");
    fix_checksum(&mut b);
    let err = load_error(&b);
    assert!(err.contains("not a textnn model"), "{err}");
}

#[test]
fn a_fasttext_bin_is_named_as_such() {
    // fastText's magic 793712314 (0x2F4F16BA) little-endian at offset 0,
    // then its version 12 and some of its header.
    let mut b = 793_712_314_i32.to_le_bytes().to_vec();
    b.extend_from_slice(&12_i32.to_le_bytes());
    b.extend_from_slice(&[0; 100]);
    let err = load_error(&b);
    assert!(
        err.contains("this is a fastText model, not a textnn one"),
        "{err}"
    );
    // Even a fastText file too short to hold a textnn header.
    assert!(load_error(&b[..4]).contains("fastText"));
}
