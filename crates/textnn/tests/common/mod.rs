//! Helpers shared by the model-file tests: tiny models of every section
//! kind, and rebuilders that change one part of a model file and then make
//! the container valid again (lengths and checksum), so that the semantic
//! checks behind the checksum are what a test exercises.
#![allow(dead_code)] // each test binary uses a different subset

use textnn::data::Example;
use textnn::format::{self, Section};
use textnn::nn::{Activation, Combine, Loss};
use textnn::{Classifier, TrainConfig};

/// Nine labelled sentences, three labels.
pub fn examples() -> Vec<Example> {
    let rows = [
        ("turn on the kitchen light", "on"),
        ("switch the lamp on", "on"),
        ("lights on in the hall please", "on"),
        ("turn off the kitchen light", "off"),
        ("switch the lamp off", "off"),
        ("kill the lights in the hall", "off"),
        ("what is the weather like", "weather"),
        ("will it rain tomorrow", "weather"),
        ("how cold is it outside", "weather"),
    ];
    rows.iter()
        .enumerate()
        .map(|(i, (text, label))| Example {
            text: text.to_string(),
            labels: vec![label.to_string()],
            line: i + 1,
        })
        .collect()
}

/// The settings of the tiny model: every section kind (idf weights, a
/// hidden layer, biases), dim 4 and 16 buckets, so that its file is a few
/// KB and exhaustive loops over its bytes stay fast.
pub fn tiny_config() -> TrainConfig {
    let mut config = TrainConfig {
        epochs: 5,
        ..TrainConfig::default_preset()
    };
    config.network.dim = 4;
    config.network.idf = true;
    config.network.hidden = vec![3];
    config.network.hidden_activation = Activation::Tanh;
    config.network.bias = true;
    config.network.combine = Combine::Mean;
    config.network.loss = Loss::Softmax;
    // Fixed bigrams (not decided by the data's size), so buckets are used.
    config.bigrams_from_tokens = None;
    config.features.word_ngrams = 2;
    config.features.buckets = 16;
    // The settings these tests were written for, whatever the default
    // preset becomes.
    config.features.binary = true;
    config.network.sublinear_tf = false;
    config.learning_rate = 0.25;
    config.schedule = textnn::train::Schedule::Linear;
    config.multi_label = None;
    config
}

/// A tiny trained model (see [`tiny_config`]).
pub fn tiny_model() -> Classifier {
    textnn::train(&tiny_config(), &examples(), &mut |_| {}).unwrap()
}

/// The file's sections, owned.
pub fn sections(bytes: &[u8]) -> Vec<Section> {
    format::decode("test", bytes)
        .unwrap()
        .into_iter()
        .map(|s| Section {
            tag: s.tag,
            bytes: s.bytes.to_vec(),
        })
        .collect()
}

/// Decodes `bytes`, lets `change` edit the sections, and encodes them
/// again: a valid container (lengths, checksum) around modified content.
pub fn rebuild(bytes: &[u8], change: impl FnOnce(&mut Vec<Section>)) -> Vec<u8> {
    let mut sections = sections(bytes);
    change(&mut sections);
    format::encode(&sections)
}

/// Rebuilds the file with its META JSON edited by `change`.
pub fn with_meta(bytes: &[u8], change: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    rebuild(bytes, |sections| {
        assert_eq!(&sections[0].tag, b"META");
        let mut meta: serde_json::Value = serde_json::from_slice(&sections[0].bytes).unwrap();
        change(&mut meta);
        sections[0].bytes = serde_json::to_vec(&meta).unwrap();
    })
}

/// Rewrites the trailing CRC-32 so that it matches the bytes before it,
/// after a test has edited the header or body directly.
pub fn fix_checksum(bytes: &mut [u8]) {
    let n = bytes.len();
    assert!(n >= 4);
    let crc = crc32fast::hash(&bytes[..n - 4]);
    bytes[n - 4..].copy_from_slice(&crc.to_le_bytes());
}

/// Byte offset of each section's 12-byte header (tag + length) in a file.
pub fn section_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 24;
    for s in format::decode("test", bytes).unwrap() {
        offsets.push(at);
        at += 12 + s.bytes.len();
    }
    offsets
}

/// The load error of `bytes` as text; panics if the model loads.
pub fn load_error(bytes: &[u8]) -> String {
    match Classifier::from_bytes("model.textnn", bytes) {
        Ok(_) => panic!("the modified model loaded"),
        Err(e) => e.to_string(),
    }
}
