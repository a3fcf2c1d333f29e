//! Issue 3: the preparation pass (tokenizing, counting, feature ids, the
//! initial weights) runs on the threads asked for, and its result does not
//! depend on how many. With settings that train on one thread whatever is
//! asked for, asking for 1 or 3 threads must give the same model bytes.

use std::path::Path;
use textnn::data::{read_file, Example, ReadOptions};
use textnn::train::{train, Batch, TrainEvent};
use textnn::TrainConfig;

fn ha_train() -> Vec<Example> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/ha_intents/train.txt");
    read_file(&path, &ReadOptions::default()).unwrap()
}

/// The model bytes of training `config` and the threads training used.
fn model_bytes(config: &TrainConfig, examples: &[Example]) -> (Vec<u8>, usize) {
    let mut threads = 0;
    let model = train(config, examples, &mut |e| {
        if let TrainEvent::Prepared { threads: t, .. } = e {
            threads = *t;
        }
    })
    .unwrap();
    (model.to_bytes(), threads)
}

#[test]
fn issue_3_preparation_threads_do_not_change_the_model() {
    let examples = ha_train();
    let base = TrainConfig {
        epochs: 2,
        seed: 5,
        ..TrainConfig::default_preset()
    };
    let mut with_char_ngrams = TrainConfig {
        batch: Batch::Size(4),
        ..base.clone()
    };
    with_char_ngrams.features.char_ngrams = Some((2, 4));
    with_char_ngrams.network.hidden = vec![16];
    let mut with_bigrams = base.clone();
    with_bigrams.bigrams_from_tokens = None;
    with_bigrams.features.word_ngrams = 2;
    with_bigrams.min_count = 2;
    // (name, settings): dim 8 leaves the sliced trainer one thread; batch 4
    // and a hidden layer take the one-thread general path.
    let table = [
        ("default, dim 8", base.clone()),
        ("bigrams, min count 2, dim 8", with_bigrams),
        (
            "fastText, validation split, dim 8",
            TrainConfig {
                valid_split: Some(0.1),
                ..TrainConfig::fasttext()
            },
        ),
        ("char n-grams, hidden layer, batch 4", with_char_ngrams),
    ];
    for (name, mut config) in table {
        if config.network.hidden.is_empty() {
            config.network.dim = 8;
        }
        let (one, used_one) = model_bytes(
            &TrainConfig {
                threads: 1,
                ..config.clone()
            },
            &examples,
        );
        let (three, used_three) = model_bytes(
            &TrainConfig {
                threads: 3,
                ..config.clone()
            },
            &examples,
        );
        assert_eq!((used_one, used_three), (1, 1), "{name}: training threads");
        assert!(
            one == three,
            "{name}: 1 and 3 preparation threads give different models"
        );
    }
}
