//! Python keyword settings → [`TrainConfig`], as `textnn train`'s options
//! apply to a preset.
//!
//! The settings arrive as one JSON object (`{"lr": 0.5, "loss": "hs"}`),
//! with the names of the command line's options (`--word-ngrams` is
//! `word_ngrams`). Each is written into the preset's settings through their
//! serde form, the same form the model file stores, so this module names no
//! type of the training module but [`TrainConfig`] itself. A setting the
//! preset should keep is left out of the object (Python's `None`).

use serde_json::{json, Map, Value};
use textnn::{Error, Result, TrainConfig};

/// Every setting a Python caller may give, as `textnn train --help` lists them.
pub const SETTINGS: &[&str] = &[
    "tokenizer",
    "lowercase",
    "stem",
    "min_count",
    "word_ngrams",
    "char_ngrams",
    "buckets",
    "binary",
    "sublinear_tf",
    "dim",
    "combine",
    "idf",
    "embedding_activation",
    "hidden",
    "activation",
    "loss",
    "bias",
    "optimizer",
    "lr",
    "schedule",
    "epochs",
    "batch",
    "reduction",
    "dropout",
    "l2",
    "clip_grad",
    "seed",
    "threads",
    "valid_split",
    "early_stopping",
    "threshold",
];

/// What a training call needs besides the examples.
pub struct Plan {
    /// The validated settings.
    pub config: TrainConfig,
    /// Whether the number of epochs is chosen on a validation slice, as
    /// `textnn train` does for the default preset without `--epochs` or
    /// `--early-stopping`.
    pub choose_epochs: bool,
}

/// The settings of `preset` with every setting of `settings_json` applied,
/// validated.
pub fn plan(preset: &str, settings_json: &str) -> Result<Plan> {
    let base = TrainConfig::preset(preset)?;
    let settings: Map<String, Value> = serde_json::from_str(settings_json)
        .map_err(|e| invalid(format!("settings are not a JSON object: {e}")))?;
    for name in settings.keys() {
        if !SETTINGS.contains(&name.as_str()) {
            return Err(invalid(format!(
                "unknown setting {name:?}; the settings are: {}",
                SETTINGS.join(", ")
            )));
        }
    }
    let choose_epochs = preset == "default"
        && !settings.contains_key("epochs")
        && !settings.contains_key("early_stopping");
    // The default preset's count of tokens from which bigrams are added:
    // what `word_ngrams="auto"` asks for.
    let auto_bigrams = TrainConfig::default_preset().bigrams_from_tokens;
    let base = serde_json::to_value(&base).map_err(|e| invalid(e.to_string()))?;
    let config: TrainConfig =
        match serde_json::from_value(apply(base.clone(), &settings, auto_bigrams)?) {
            Ok(config) => config,
            // Name the setting at fault: the first one that fails alone.
            Err(all) => {
                let culprit = settings.iter().find_map(|(name, v)| {
                    let one: Map<String, Value> = [(name.clone(), v.clone())].into_iter().collect();
                    let applied = apply(base.clone(), &one, auto_bigrams).ok()?;
                    serde_json::from_value::<TrainConfig>(applied)
                        .err()
                        .map(|e| format!("{name}={v}: {e}"))
                });
                return Err(invalid(culprit.unwrap_or_else(|| all.to_string())));
            }
        };
    // As `textnn train`: a setting of the tokens or features is the
    // user's choice of representation, so the default's choice is off.
    let mut config = config;
    if [
        "tokenizer",
        "lowercase",
        "stem",
        "word_ngrams",
        "char_ngrams",
    ]
    .iter()
    .any(|name| settings.contains_key(*name))
    {
        config.representations = None;
    }
    config.validate()?;
    Ok(Plan {
        config,
        choose_epochs,
    })
}

/// `base` (a [`TrainConfig`]'s serde form) with `settings` applied.
fn apply(mut c: Value, settings: &Map<String, Value>, auto_bigrams: Option<u64>) -> Result<Value> {
    let get = |name: &str| settings.get(name).cloned();

    // As `textnn train`: a loss of the user's turns the multi-label rule
    // off; a learning rate, schedule or dim of the user's replaces the
    // rule's.
    if settings.contains_key("loss") {
        c["multi_label"] = Value::Null;
    }
    if c["multi_label"].is_object() {
        for (name, field) in [
            ("lr", "learning_rate"),
            ("schedule", "schedule"),
            ("dim", "dim"),
        ] {
            if let Some(v) = get(name) {
                c["multi_label"][field] = v;
            }
        }
    }
    let direct: &[(&str, &[&str])] = &[
        ("tokenizer", &["text", "tokenizer"]),
        ("lowercase", &["text", "lowercase"]),
        ("min_count", &["min_count"]),
        ("buckets", &["features", "buckets"]),
        ("binary", &["features", "binary"]),
        ("sublinear_tf", &["network", "sublinear_tf"]),
        ("dim", &["network", "dim"]),
        ("combine", &["network", "combine"]),
        ("idf", &["network", "idf"]),
        ("embedding_activation", &["network", "embedding_activation"]),
        ("activation", &["network", "hidden_activation"]),
        ("loss", &["network", "loss"]),
        ("bias", &["network", "bias"]),
        ("optimizer", &["optimizer", "kind"]),
        ("l2", &["optimizer", "l2"]),
        ("clip_grad", &["optimizer", "clip_grad"]),
        ("lr", &["learning_rate"]),
        ("schedule", &["schedule"]),
        ("epochs", &["epochs"]),
        ("reduction", &["reduction"]),
        ("dropout", &["dropout"]),
        ("seed", &["seed"]),
        ("valid_split", &["valid_split"]),
        ("early_stopping", &["early_stopping"]),
        ("threshold", &["threshold"]),
    ];
    for (name, path) in direct {
        if let Some(v) = get(name) {
            *field(&mut c, path) = v;
        }
    }
    if let Some(v) = get("stem") {
        c["text"]["stem"] = none_word(v);
    }
    if let Some(v) = get("char_ngrams") {
        c["features"]["char_ngrams"] = none_word(v);
    }
    if let Some(v) = get("hidden") {
        c["network"]["hidden"] = match none_word(v) {
            Value::Null => json!([]),
            other => other,
        };
    }
    match get("word_ngrams") {
        Some(Value::String(s)) if s == "auto" => c["bigrams_from_tokens"] = json!(auto_bigrams),
        Some(v) => {
            c["features"]["word_ngrams"] = v;
            c["bigrams_from_tokens"] = Value::Null;
        }
        None => {}
    }
    match get("batch") {
        Some(Value::String(s)) if s == "full" => c["batch"] = json!("full"),
        Some(v @ Value::Number(_)) => c["batch"] = json!({ "size": v }),
        Some(other) => {
            return Err(invalid(format!(
                "batch must be a number of examples or \"full\", got {other}"
            )))
        }
        None => {}
    }
    // `textnn train` uses every core unless told otherwise; so does Python.
    c["threads"] = match get("threads") {
        Some(v) => v,
        None => json!(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)),
    };
    Ok(c)
}

/// The field at `path` inside the settings' serde form.
fn field<'v>(value: &'v mut Value, path: &[&str]) -> &'v mut Value {
    path.iter().fold(value, |v, key| &mut v[*key])
}

/// `"none"`, as the command line spells "off", is JSON's null.
fn none_word(v: Value) -> Value {
    match v {
        Value::String(s) if s == "none" => Value::Null,
        other => other,
    }
}

fn invalid(message: String) -> Error {
    Error::InvalidConfig(message)
}
