//! Training checkpoints: everything the epoch loop needs to go on exactly
//! where it stopped, so that a resumed run ends with the same bytes as one
//! that was never interrupted.
//!
//! A checkpoint uses the model file's container (magic, version, tagged
//! sections, CRC-32, atomic write) with its own sections:
//!
//! | tag | contents |
//! |---|---|
//! | `CKPT` | JSON: the settings asked for, a fingerprint of the prepared data, the loop's state (epoch, position, sums, random generator, early-stopping state) |
//! | `ORDR` | the epoch's example order, `u32` little-endian |
//! | `EMBD`, then `DENW` `DENB` per dense layer | the weights |
//! | `OPTM` (repeated) | the optimizer's moment vectors (momentum, Adam) |
//! | `BEMB`, `BDNW` `BDNB` | the best weights so far (early stopping) |
//!
//! The vocabulary, labels and feature weights are not stored: they are
//! rebuilt from the same training data, which the fingerprint checks.

use super::state::LoopState;
use super::TrainConfig;
use crate::format::{self, OwnedSection, SectionBody, SectionData};
use crate::nn::Network;
use crate::optim::Optimizer;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// When and where checkpoints are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointPolicy {
    /// The checkpoint file (replaced atomically each time).
    pub path: PathBuf,
    /// Write one every this many training examples (counted over all
    /// epochs), and when training is interrupted.
    pub every: usize,
}

/// Version of the `CKPT` section's layout.
const CHECKPOINT_VERSION: u32 = 1;

/// The `CKPT` section.
#[derive(Serialize, Deserialize)]
struct Header {
    checkpoint_version: u32,
    textnn_version: String,
    /// The settings the run was started with (before the data decided
    /// anything), as JSON.
    settings: serde_json::Value,
    /// Fingerprint of the prepared training and validation data (hex).
    data_fingerprint: String,
    state: LoopState,
}

/// What a checkpoint gives back besides the weights it wrote into the network.
pub(super) struct Restored {
    pub state: LoopState,
    pub order: Vec<usize>,
    /// `(steps, moment vectors)` of the optimizer, for the general path
    /// (no vectors for plain SGD).
    pub optimizer: (u64, Vec<Vec<f32>>),
    /// The best weights so far and their validation loss.
    pub best: Option<(f64, Network)>,
}

/// The weights of `network` as sections tagged `embedding_tag`,
/// `weights_tag`, `bias_tag`.
fn weight_sections<'a>(
    network: &'a Network,
    tags: [&[u8; 4]; 3],
) -> Vec<([u8; 4], SectionData<'a>)> {
    let mut sections = vec![(*tags[0], SectionData::Floats(network.embedding.as_slice()))];
    for layer in &network.layers {
        sections.push((*tags[1], SectionData::Floats(layer.weights.as_slice())));
        sections.push((*tags[2], SectionData::Floats(&layer.bias)));
    }
    sections
}

/// What [`save`] writes.
pub(super) struct Snapshot<'a> {
    pub settings: &'a TrainConfig,
    pub fingerprint: u64,
    pub state: &'a LoopState,
    pub order: &'a [usize],
    pub network: &'a Network,
    pub optimizer: Option<&'a Optimizer>,
    pub best: Option<&'a (f64, Network)>,
}

/// Writes a checkpoint atomically: the previous one stays whole until the
/// new one is complete on disk.
pub(super) fn save(path: &Path, snapshot: &Snapshot) -> Result<()> {
    let moments = snapshot.optimizer.map(|o| o.state()).unwrap_or_default();
    let header = Header {
        checkpoint_version: CHECKPOINT_VERSION,
        textnn_version: env!("CARGO_PKG_VERSION").to_string(),
        settings: serde_json::to_value(snapshot.settings).expect("settings serialise"),
        data_fingerprint: format!("{:016x}", snapshot.fingerprint),
        state: LoopState {
            optimizer_steps: moments.0,
            best_loss: snapshot.best.map(|(loss, _)| loss.to_bits()),
            ..snapshot.state.clone()
        },
    };
    let header = serde_json::to_vec(&header).expect("checkpoint header serialises");
    let order: Vec<u8> = snapshot
        .order
        .iter()
        .flat_map(|&i| (i as u32).to_le_bytes())
        .collect();
    let mut sections = vec![
        (*b"CKPT", SectionData::Bytes(&header)),
        (*b"ORDR", SectionData::Bytes(&order)),
    ];
    sections.extend(weight_sections(
        snapshot.network,
        [b"EMBD", b"DENW", b"DENB"],
    ));
    for vector in &moments.1 {
        sections.push((*b"OPTM", SectionData::Floats(vector)));
    }
    if let Some((_, best)) = snapshot.best {
        sections.extend(weight_sections(best, [b"BEMB", b"BDNW", b"BDNB"]));
    }
    format::write_atomically_by(path, |file| {
        format::write_sections(
            &mut std::io::BufWriter::with_capacity(1 << 16, file),
            &sections,
        )
    })
}

/// The checkpoint's `CKPT` section (`first`, the file's first section),
/// checked for its layout version.
fn header(path: &Path, first: Option<OwnedSection>) -> Result<Header> {
    let bad = |m: String| Error::BadModel {
        path: path.display().to_string(),
        message: m,
    };
    let header: Header = match first {
        Some(OwnedSection {
            tag,
            body: SectionBody::Bytes(bytes),
        }) if &tag == b"CKPT" => serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("the checkpoint's header is not valid: {e}")))?,
        _ => {
            return Err(bad(
                "not a training checkpoint (a model file cannot be resumed: train again, or resume from the file --checkpoint wrote)".into(),
            ))
        }
    };
    if header.checkpoint_version != CHECKPOINT_VERSION {
        return Err(bad(format!(
            "checkpoint layout {} was written by textnn {}; this textnn reads layout {CHECKPOINT_VERSION}",
            header.checkpoint_version, header.textnn_version
        )));
    }
    Ok(header)
}

/// The settings of the run that wrote the checkpoint at `path`, as the
/// JSON its header section holds (only that section is read; [`load`]
/// verifies the whole file after). A resumed run whose epochs were chosen on a validation slice
/// learns the choice from here instead of running the probe again; any
/// other difference is for [`load`] to name.
pub(super) fn recorded_settings(path: &Path) -> Result<serde_json::Value> {
    let first = format::read_first_section(path).map_err(not_readable)?;
    Ok(header(path, first)?.settings)
}

/// Says that a file which failed to read as sections is not a checkpoint.
fn not_readable(error: Error) -> Error {
    match error {
        Error::BadModel { path, message } => Error::BadModel {
            path,
            message: format!("not a readable training checkpoint: {message}"),
        },
        other => other,
    }
}

/// Reads the checkpoint at `path` for a run with `settings` on data with
/// `fingerprint`, writes its weights into `network` (which must have the
/// checkpoint's shape) and returns the rest. Refuses a checkpoint of other
/// settings or data, naming what differs.
pub(super) fn load(
    path: &Path,
    settings: &TrainConfig,
    fingerprint: u64,
    examples: usize,
    network: &mut Network,
) -> Result<Restored> {
    let source = path.display().to_string();
    let bad = |m: String| Error::BadModel {
        path: source.clone(),
        message: m,
    };
    let float_tags = [
        *b"EMBD", *b"DENW", *b"DENB", *b"OPTM", *b"BEMB", *b"BDNW", *b"BDNB",
    ];
    let mut sections = format::read_file_sections(path, &float_tags)
        .map_err(not_readable)?
        .into_iter();
    let header = header(path, sections.next())?;
    let wanted = serde_json::to_value(settings).expect("settings serialise");
    let differences = differences("", &header.settings, &wanted);
    if !differences.is_empty() {
        return Err(bad(format!(
            "the checkpoint was made with other settings ({}); resume with the options of the interrupted run",
            differences.join(", ")
        )));
    }
    if header.data_fingerprint != format!("{fingerprint:016x}") {
        return Err(bad(
            "the training or validation data differ from those the checkpoint was made with; resume with the same files".into(),
        ));
    }
    let sections: Vec<OwnedSection> = sections.collect();
    let take = |tag: [u8; 4]| sections.iter().filter(move |s| s.tag == tag);
    let order: Vec<usize> = match take(*b"ORDR").next().map(|s| &s.body) {
        Some(SectionBody::Bytes(b)) if b.len() == examples * 4 => b
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")) as usize)
            .collect(),
        _ => {
            return Err(bad(
                "the example order is missing or has the wrong length".into()
            ))
        }
    };
    let mut seen = vec![false; examples];
    for &i in &order {
        if i >= examples || std::mem::replace(&mut seen[i], true) {
            return Err(bad(
                "the example order is not a permutation of the examples".into(),
            ));
        }
    }
    let state = header.state;
    if state.position > examples || state.epoch == 0 || state.epoch > settings.epochs + 1 {
        return Err(bad(format!(
            "the loop state (epoch {}, position {}) does not fit {} epochs of {examples} examples",
            state.epoch, state.position, settings.epochs
        )));
    }
    fill_weights(network, [b"EMBD", b"DENW", b"DENB"], &sections)
        .map_err(|m| bad(format!("weights: {m}")))?;
    let best = match state.best_loss {
        Some(loss) => {
            let mut best = network.clone();
            fill_weights(&mut best, [b"BEMB", b"BDNW", b"BDNB"], &sections)
                .map_err(|m| bad(format!("best weights: {m}")))?;
            Some((f64::from_bits(loss), best))
        }
        None => None,
    };
    let moments: Vec<Vec<f32>> = take(*b"OPTM")
        .map(|s| match &s.body {
            SectionBody::Floats(f) => f.clone(),
            SectionBody::Bytes(_) => Vec::new(),
        })
        .collect();
    let optimizer = (state.optimizer_steps, moments);
    Ok(Restored {
        state,
        order,
        optimizer,
        best,
    })
}

/// Copies the sections tagged `tags` (embedding, then weights and bias of
/// each layer) into `network`, checking every length.
fn fill_weights(
    network: &mut Network,
    tags: [&[u8; 4]; 3],
    sections: &[OwnedSection],
) -> std::result::Result<(), String> {
    let floats = |tag: [u8; 4]| {
        sections.iter().filter_map(move |s| match &s.body {
            SectionBody::Floats(f) if s.tag == tag => Some(f.as_slice()),
            _ => None,
        })
    };
    let mut targets: Vec<(&mut [f32], Option<&[f32]>)> = Vec::new();
    let (mut weights, mut biases) = (floats(*tags[1]), floats(*tags[2]));
    targets.push((network.embedding.as_mut_slice(), floats(*tags[0]).next()));
    for layer in &mut network.layers {
        targets.push((layer.weights.as_mut_slice(), weights.next()));
        targets.push((&mut layer.bias, biases.next()));
    }
    if weights.next().is_some() || biases.next().is_some() {
        return Err("more layers stored than the network has".into());
    }
    for (target, stored) in targets {
        match stored {
            Some(values) if values.len() == target.len() => {
                if values.iter().any(|v| !v.is_finite()) {
                    return Err("a stored weight is NaN or infinite".into());
                }
                target.copy_from_slice(values)
            }
            Some(values) => {
                return Err(format!(
                    "{} values stored where the network has {}",
                    values.len(),
                    target.len()
                ))
            }
            None => return Err("a matrix is missing".into()),
        }
    }
    Ok(())
}

/// The paths (`a.b`) where two JSON values differ, as `path: old → new`.
fn differences(at: &str, old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .flat_map(|k| {
                    let path = if at.is_empty() {
                        k.clone()
                    } else {
                        format!("{at}.{k}")
                    };
                    differences(
                        &path,
                        a.get(k).unwrap_or(&Value::Null),
                        b.get(k).unwrap_or(&Value::Null),
                    )
                })
                .collect()
        }
        _ if old == new => Vec::new(),
        _ => vec![format!("{at}: {old} → {new}")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_name_each_changed_setting() {
        let old = json!({"epochs": 5, "features": {"word_ngrams": 1, "buckets": 10}, "seed": 1});
        let new = json!({"epochs": 6, "features": {"word_ngrams": 2, "buckets": 10}, "seed": 1});
        assert_eq!(
            differences("", &old, &new),
            vec!["epochs: 5 → 6", "features.word_ngrams: 1 → 2"]
        );
        assert!(differences("", &old, &old).is_empty());
    }
}
