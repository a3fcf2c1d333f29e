//! Sparse embeddings in the model file (format version 2): hashed buckets
//! that no training text reached stay zero, and the file stores only the
//! non-zero rows (`EMRI` row indices + `EMRV` values) when that is smaller.
//! A sparse file loads to exactly the trained weights, and every damaged
//! or inconsistent `EMRI`/`EMRV` pair is refused with a reason.

mod common;

use common::{load_error, rebuild, sections};
use textnn::format::Section;
use textnn::Classifier;

/// The tiny model's settings with 4,096 buckets: almost all stay zero.
fn sparse_model() -> Classifier {
    let mut config = common::tiny_config();
    config.features.buckets = 4096;
    textnn::train(&config, &common::examples(), &mut |_| {}).unwrap()
}

fn tags(bytes: &[u8]) -> Vec<String> {
    sections(bytes)
        .iter()
        .map(|s| String::from_utf8_lossy(&s.tag).into_owned())
        .collect()
}

fn indices(section: &Section) -> Vec<u32> {
    section
        .bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn with_indices(bytes: &[u8], change: impl FnOnce(&mut Vec<u32>)) -> Vec<u8> {
    rebuild(bytes, |sections| {
        let emri = sections.iter_mut().find(|s| &s.tag == b"EMRI").unwrap();
        let mut rows = indices(emri);
        change(&mut rows);
        emri.bytes = rows.iter().flat_map(|r| r.to_le_bytes()).collect();
    })
}

#[test]
fn untouched_buckets_stay_zero_and_are_left_out_of_the_file() {
    let model = sparse_model();
    let embedding = model.network().embedding.clone();
    let vocabulary = model.vocabulary().len();
    let zero_rows = (0..embedding.rows())
        .filter(|&r| embedding.row(r).iter().all(|&v| v == 0.0))
        .count();
    // Every word row is drawn at random; most of the 4,096 buckets are
    // never reached by the nine sentences' bigrams.
    assert!((0..vocabulary).all(|r| embedding.row(r).iter().any(|&v| v != 0.0)));
    assert!(zero_rows > 4000, "{zero_rows} zero rows");

    let bytes = model.to_bytes();
    assert_eq!(tags(&bytes)[..3], ["META", "EMRI", "EMRV"]);
    let stored = indices(&sections(&bytes)[1]);
    assert_eq!(stored.len(), embedding.rows() - zero_rows);
    assert!(
        bytes.len() < embedding.as_slice().len() * 4,
        "the file ({} bytes) is smaller than the dense embedding alone",
        bytes.len()
    );

    let loaded = Classifier::from_bytes("sparse", &bytes).unwrap();
    assert_eq!(loaded.network().embedding, embedding);
    assert_eq!(
        loaded.to_bytes(),
        bytes,
        "save → load → save changes the bytes"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.textnn");
    model.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let from_file = Classifier::load(&path).unwrap();
    assert_eq!(from_file.network().embedding, embedding);
    for text in ["turn on the kitchen light", "never seen words", ""] {
        assert_eq!(from_file.predict(text, 0, 0.0), model.predict(text, 0, 0.0));
    }
}

#[test]
fn a_model_without_zero_rows_stays_dense() {
    let mut config = common::tiny_config();
    config.features.word_ngrams = 1;
    let model = textnn::train(&config, &common::examples(), &mut |_| {}).unwrap();
    assert_eq!(tags(&model.to_bytes())[1], "EMBD");
}

#[test]
fn every_truncation_of_a_sparse_file_is_refused() {
    let bytes = sparse_model().to_bytes();
    for len in 0..bytes.len() {
        assert!(
            Classifier::from_bytes("cut", &bytes[..len]).is_err(),
            "a file cut to {len} bytes loaded"
        );
    }
}

#[test]
fn row_indices_out_of_order_repeated_or_out_of_range_are_refused() {
    let bytes = sparse_model().to_bytes();
    let swapped = with_indices(&bytes, |rows| rows.swap(0, 1));
    assert!(load_error(&swapped).contains("strictly increasing"));
    let repeated = with_indices(&bytes, |rows| rows[1] = rows[0]);
    assert!(load_error(&repeated).contains("strictly increasing"));
    let beyond = with_indices(&bytes, |rows| *rows.last_mut().unwrap() = 1 << 30);
    assert!(
        load_error(&beyond).contains("rows"),
        "{}",
        load_error(&beyond)
    );
    // One index fewer than EMRV has rows: the lengths disagree.
    let fewer = with_indices(&bytes, |rows| {
        rows.pop();
    });
    assert!(
        load_error(&fewer).contains("EMRV"),
        "{}",
        load_error(&fewer)
    );
    let ragged = rebuild(&bytes, |sections| sections[1].bytes.push(0));
    assert!(
        load_error(&ragged).contains("EMRI"),
        "{}",
        load_error(&ragged)
    );
}

#[test]
fn a_missing_or_misplaced_sparse_section_is_refused() {
    let bytes = sparse_model().to_bytes();
    let without_values = rebuild(&bytes, |sections| {
        sections.remove(2);
    });
    let message = load_error(&without_values);
    assert!(message.contains("sections after META"), "{message}");
    let swapped = rebuild(&bytes, |sections| sections.swap(1, 2));
    let message = load_error(&swapped);
    assert!(message.contains("sections after META"), "{message}");
    let emri_twice = rebuild(&bytes, |sections| {
        let copy = sections[1].clone();
        sections[2] = copy;
    });
    let message = load_error(&emri_twice);
    assert!(message.contains("EMRV"), "{message}");
    let nan = rebuild(&bytes, |sections| {
        sections[2].bytes[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    });
    assert!(load_error(&nan).contains("NaN"));
}
