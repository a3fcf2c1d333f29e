//! Text without spaces, and symbols (issue 15, item 4): on scripts
//! written without spaces (Japanese, Chinese, Thai, Khmer, Burmese) the
//! default's representations give unseen messages known features, where
//! a split at spaces (fastText's) makes most of them one unseen token,
//! scored by the prior alone. Emoticons and operators keep their symbols
//! in the representations that use them (symbols, chars), and the race
//! decides on the data whether they carry signal.

use std::path::PathBuf;
use textnn::config::Representation;
use textnn::data::{read_file, Example, ReadOptions};
use textnn::text::TokenizerKind;
use textnn::train::auto_epochs::{train_auto, AutoEpochs};
use textnn::train::{Examples, RunOptions};
use textnn::{Classifier, TrainConfig};

fn fixture(name: &str) -> Vec<Example> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/langid")
        .join(name);
    read_file(&path, &ReadOptions::default()).unwrap()
}

/// Locales written without spaces between words.
const WITHOUT_SPACES: [&str; 6] = ["ja", "zh_CN", "zh_TW", "th", "km", "my"];

/// (accuracy, share scored by the prior) on the test messages of the
/// locales written without spaces.
fn on_scripts_without_spaces(model: &Classifier, test: &[Example]) -> (f64, f64) {
    let lines: Vec<&Example> = test
        .iter()
        .filter(|e| WITHOUT_SPACES.contains(&e.labels[0].as_str()))
        .collect();
    assert_eq!(lines.len(), 25 * WITHOUT_SPACES.len());
    let mut right = 0;
    let mut by_prior = 0;
    for example in &lines {
        let top = model.predict(&example.text, 1, 0.0)[0].0;
        right += usize::from(model.labels().name(top) == example.labels[0]);
        by_prior += usize::from(model.uses_prior(&model.feature_ids(&example.text)));
    }
    let n = lines.len() as f64;
    (right as f64 / n, by_prior as f64 / n)
}

fn config() -> TrainConfig {
    TrainConfig {
        threads: 1,
        ..TrainConfig::default_preset()
    }
}

#[test]
fn the_default_gives_scripts_without_spaces_known_features() {
    let (train, test) = (fixture("train.txt"), fixture("test.txt"));
    let auto = AutoEpochs::default();
    let run = RunOptions::default();
    let (model, _) = train_auto(
        &config(),
        &Examples::Memory(&train),
        &auto,
        &run,
        &mut |_| {},
    )
    .unwrap();
    let record = model.settings().representation_chosen.clone().unwrap();
    let (accuracy, by_prior) = on_scripts_without_spaces(&model, &test);

    // The same data split at spaces only, as fastText splits it.
    let mut spaces = config();
    spaces.representations = None;
    Representation::Words.apply(&mut spaces);
    spaces.text.tokenizer = TokenizerKind::Whitespace;
    let (spaces_model, _) =
        train_auto(&spaces, &Examples::Memory(&train), &auto, &run, &mut |_| {}).unwrap();
    let (spaces_accuracy, spaces_by_prior) = on_scripts_without_spaces(&spaces_model, &test);

    let figures = format!(
        "default ({}): accuracy {accuracy:.3}, by the prior {by_prior:.3}; split at spaces: accuracy {spaces_accuracy:.3}, by the prior {spaces_by_prior:.3}",
        record.chosen
    );
    // Whatever the default chose (words split by Unicode word boundaries,
    // which cut these scripts into characters, or character n-grams),
    // nearly every message has known features: one of the 150 may be a
    // few characters no training message has. Split at spaces, most are
    // one unseen token and only the prior is left.
    eprintln!("{figures}");
    assert!(by_prior <= 0.02, "{figures}");
    assert!(spaces_by_prior > 0.5, "{figures}");
    assert!(
        accuracy >= 0.85 && accuracy > spaces_accuracy + 0.3,
        "{figures}"
    );
}

#[test]
fn emoticons_and_operators_keep_their_symbols_where_the_representation_uses_them() {
    let mut chars = config();
    Representation::Chars.apply(&mut chars);
    let mut symbols = config();
    Representation::Symbols.apply(&mut symbols);
    let mut words = config();
    Representation::Words.apply(&mut words);
    // Two labels told apart only by symbols.
    let examples: Vec<Example> = [
        ("so happy today :-)", "happy"),
        ("see you (^_^)", "happy"),
        ("so sad today :-(", "sad"),
        ("see you (T_T)", "sad"),
        ("x := f(y)", "go"),
        ("a->b", "c"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (text, label))| Example {
        text: text.to_string(),
        labels: vec![label.to_string()],
        line: i + 1,
    })
    .collect();
    for config in [chars, symbols] {
        let model = textnn::train(&config, &examples, &mut |_| {}).unwrap();
        let ids = |text: &str| model.feature_ids(text);
        assert_ne!(ids(":-)"), ids(":-("), "{:?}", config.text);
        assert!(!ids("(^_^)").is_empty());
        assert_ne!(ids("a->b"), ids("a b"));
    }
    // Lowercased words drop them: the emoticons alone are no feature.
    let model = textnn::train(&words, &examples, &mut |_| {}).unwrap();
    assert!(model.feature_ids(":-)").is_empty());
    assert_eq!(model.feature_ids("a->b"), model.feature_ids("a b"));
}
