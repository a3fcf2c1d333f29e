//! Training from a file read a block at a time, with the prepared data in
//! memory-mapped temporary files, gives the same model bytes as training on
//! the same examples in memory: streaming changes where the data lives,
//! never what is learnt.

use std::path::{Path, PathBuf};
use textnn::data::{read_file, ReadOptions};
use textnn::train::{train_from, train_with, Examples, RunOptions, TrainEvent};
use textnn::{Classifier, TrainConfig};

fn ha_train() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/ha_intents/train.txt")
}

fn bytes(model: &Classifier) -> Vec<u8> {
    model.to_bytes()
}

#[test]
fn a_streamed_file_trains_the_model_memory_trains() {
    let path = ha_train();
    let options = ReadOptions::default();
    let examples = read_file(&path, &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    let settings = [
        // The default preset with a validation split and early stopping.
        TrainConfig {
            epochs: 3,
            threads: 2,
            valid_split: Some(0.1),
            early_stopping: Some(2),
            ..TrainConfig::default_preset()
        },
        // fastText's model with word bigrams and character n-grams.
        TrainConfig {
            epochs: 2,
            threads: 2,
            features: textnn::features::FeatureConfig {
                word_ngrams: 2,
                char_ngrams: Some((3, 4)),
                buckets: 20_000,
                binary: false,
            },
            ..TrainConfig::fasttext()
        },
        // The general trainer (mini-batches, a hidden layer).
        TrainConfig {
            epochs: 2,
            batch: textnn::train::Batch::Size(8),
            network: textnn::nn::NetworkConfig {
                hidden: vec![16],
                ..TrainConfig::default_preset().network
            },
            ..TrainConfig::default_preset()
        },
    ];
    for config in settings {
        let in_memory =
            train_with(&config, &examples, &RunOptions::default(), &mut |_| {}).unwrap();
        // Blocks of 64 KiB: the 450 KB file is read in several.
        let file = Examples::File {
            path: &path,
            options: &options,
            block_bytes: 64 << 10,
        };
        let run = RunOptions {
            cache_dir: Some(&cache),
            ..RunOptions::default()
        };
        let mut read = 0;
        let streamed = train_from(&config, &file, &run, &mut |event| {
            if let TrainEvent::Read { examples, .. } = event {
                read = *examples;
            }
        })
        .unwrap();
        assert_eq!(read, examples.len());
        assert!(
            bytes(&streamed) == bytes(&in_memory),
            "the streamed model differs ({})",
            config.preset
        );
        // The cache files have no name: nothing is left behind.
        assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0);
    }
}

#[test]
fn a_bad_line_in_a_later_block_is_named_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.txt");
    let mut text = String::new();
    for i in 0..2_000 {
        text.push_str(&format!("__label__l{} some words number {i}\n", i % 3));
    }
    text.push_str("__label__ an empty label\n");
    std::fs::write(&path, text).unwrap();
    let options = ReadOptions::default();
    let file = Examples::File {
        path: &path,
        options: &options,
        block_bytes: 4 << 10,
    };
    let mut events = 0;
    let error = train_from(
        &TrainConfig::fasttext(),
        &file,
        &RunOptions::default(),
        &mut |_| events += 1,
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("train.txt:2001:"), "{error}");
    assert!(error.contains("empty label"), "{error}");
    assert_eq!(events, 0, "training started before the file was checked");
}
