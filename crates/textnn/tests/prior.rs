//! A text with no known feature (empty, or only words and n-grams no
//! training text had) is scored by the training prior, each label's share
//! of the training labels, in every preset whose network has no bias of
//! its own; never "label 0 with uniform scores".

use textnn::data::Example;
use textnn::nn::Loss;
use textnn::{Classifier, Preset, TrainConfig};

/// Ten sentences: 5 "on", 3 "weather", 2 "off" (prior 0.5, 0.3, 0.2).
fn examples() -> Vec<Example> {
    let rows = [
        ("turn on the kitchen light", "on"),
        ("switch the lamp on", "on"),
        ("lights on in the hall please", "on"),
        ("power up the fan", "on"),
        ("start the heater now", "on"),
        ("what is the weather like", "weather"),
        ("will it rain tomorrow", "weather"),
        ("how cold is it outside", "weather"),
        ("turn off the kitchen light", "off"),
        ("switch the lamp off", "off"),
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

/// Texts with no feature any training text had.
const UNKNOWN: [&str; 4] = ["", "   ", "zyxw qvut", "ðŋ ʃʒ ƛ"];

fn trained(config: TrainConfig) -> Classifier {
    textnn::train(&config, &examples(), &mut |_| {}).unwrap()
}

fn small(preset: Preset) -> TrainConfig {
    let mut config = TrainConfig::from_preset(preset);
    config.epochs = config.epochs.min(20);
    config.features.buckets = config.features.buckets.min(1_000);
    config
}

fn assert_prior(model: &Classifier, what: &str) {
    let expected = [("on", 0.5), ("weather", 0.3), ("off", 0.2)];
    for (label, share) in expected {
        let id = model.labels().id(label).unwrap() as usize;
        assert!(
            (model.prior()[id] - share).abs() < 1e-6,
            "{what}: prior of {label} is {}",
            model.prior()[id]
        );
    }
    let mut scratch = model.scratch();
    for text in UNKNOWN {
        let probabilities = model.probabilities_with(text, &mut scratch).to_vec();
        assert_eq!(probabilities, model.prior(), "{what}: {text:?}");
        let top = model.predict(text, 3, 0.0);
        let names: Vec<&str> = top.iter().map(|(id, _)| model.label_name(*id)).collect();
        assert_eq!(names, ["on", "weather", "off"], "{what}: {text:?}");
    }
    // A text with a known word is the network's, not the prior.
    let known = model.probabilities_with("what is the weather", &mut scratch);
    assert_ne!(known, model.prior(), "{what}");
}

#[test]
fn every_preset_scores_a_text_without_known_features_by_the_training_prior() {
    for preset in Preset::ALL {
        assert_prior(&trained(small(preset)), preset.name());
    }
}

#[test]
fn every_loss_and_n_grams_fall_back_to_the_prior() {
    for loss in [
        Loss::Softmax,
        Loss::Ova,
        Loss::Huber,
        Loss::Hs,
        Loss::Squared,
    ] {
        let mut config = small(Preset::Fasttext);
        config.network.loss = loss;
        config.features.word_ngrams = 2;
        config.features.char_ngrams = Some((3, 4));
        // Enough buckets that the unknown texts' n-grams share no row with
        // a training n-gram (a shared row would be a known feature).
        config.features.buckets = 200_000;
        config.network.dim = 10;
        assert_prior(&trained(config), &format!("{loss:?}"));
    }
}

#[test]
fn a_prior_survives_saving_and_a_network_with_biases_keeps_its_own_answer() {
    let model = trained(small(Preset::Default));
    let loaded = Classifier::from_bytes("saved", &model.to_bytes()).unwrap();
    assert_prior(&loaded, "loaded");

    let mut config = small(Preset::Fasttext);
    config.network.bias = true;
    let with_bias = trained(config);
    assert!(!with_bias.uses_prior(&[]));
    let mut scratch = with_bias.scratch();
    let empty = with_bias.probabilities_with("", &mut scratch);
    assert_ne!(empty, with_bias.prior());
}
