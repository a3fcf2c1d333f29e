//! Arbitrary bytes as an HTTP request body of `textnn serve`, parsed as
//! the server parses it (`serde_json::from_slice`) and, when that
//! succeeds, classified by a small model as the handlers do.
//!
//! The request types live privately in the binary crate (`textnn-cli`,
//! `commands/serve/handlers.rs`), which a fuzz target cannot link, so they are
//! copied here field for field, attributes included; keep them in step.
//! The first input byte picks the endpoint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use std::sync::OnceLock;
use textnn::data::Example;
use textnn::{Classifier, TrainConfig};

/// `/model/parse`'s request (Rasa's): `text` is a string or a list whose
/// first element is the text.
#[derive(Deserialize)]
#[allow(dead_code)]
struct ParseRequest {
    text: serde_json::Value,
    message_id: Option<String>,
}

impl ParseRequest {
    /// The text as the handler takes it: the string, or the first element
    /// of a list; `None` is the handler's 400.
    fn text(&self) -> Option<&str> {
        match &self.text {
            serde_json::Value::Array(list) if list.iter().all(|t| t.is_string()) => list.first(),
            serde_json::Value::Array(_) => None,
            text => Some(text),
        }
        .and_then(|t| t.as_str())
    }
}

/// `/v1/classify`'s request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassifyRequest {
    texts: Vec<String>,
    #[serde(default = "one")]
    k: usize,
    threshold: Option<f32>,
}

fn one() -> usize {
    1
}

/// A tiny model with word and character n-grams, trained once.
fn model() -> &'static Classifier {
    static MODEL: OnceLock<Classifier> = OnceLock::new();
    MODEL.get_or_init(|| {
        let rows = [
            ("turn on the light", "on"),
            ("switch the lamp on", "on"),
            ("turn off the light", "off"),
            ("switch the lamp off", "off"),
        ];
        let examples: Vec<Example> = rows
            .iter()
            .enumerate()
            .map(|(i, (text, label))| Example {
                text: text.to_string(),
                labels: vec![label.to_string()],
                line: i + 1,
            })
            .collect();
        let mut config = TrainConfig {
            epochs: 3,
            ..TrainConfig::fasttext()
        };
        config.network.dim = 4;
        config.features.word_ngrams = 2;
        config.features.char_ngrams = Some((2, 4));
        config.features.buckets = 64;
        textnn::train(&config, &examples, &mut |_| {}).expect("the tiny model trains")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&endpoint, body)) = data.split_first() else {
        return;
    };
    let model = model();
    if endpoint & 1 == 0 {
        if let Ok(request) = serde_json::from_slice::<ParseRequest>(body) {
            if let Some(text) = request.text() {
                let ranked = model.predict(text, 10, 0.0);
                assert_eq!(ranked.len(), model.labels().len());
            }
        }
    } else if let Ok(request) = serde_json::from_slice::<ClassifyRequest>(body) {
        // The handler refuses thresholds outside [0, 1] before predicting.
        let threshold = request.threshold.unwrap_or(0.0);
        if (0.0..=1.0).contains(&threshold) {
            for text in request.texts.iter().take(16) {
                let ranked = model.predict(text, request.k, threshold);
                assert!(ranked.iter().all(|&(_, p)| (0.0..=1.0).contains(&p)));
            }
        }
    }
});
