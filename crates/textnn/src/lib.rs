//! textnn: neural-network text classification.
//!
//! Text flows one way: [`text`] (normalize, tokenize) → [`vocab`] →
//! [`features`] → [`nn`] (forward, loss, backward) → [`optim`] → [`format`](mod@format)
//! (model file) → [`model::Classifier::predict`]. [`train`](mod@train) runs the loop;
//! [`data`] reads labelled files; [`metrics`] scores predictions; [`explain`]
//! shows why a prediction came out as it did and traces the chain rule.
//! [`fasttext_model`] reads fastText's `.bin`/`.ftz` classifiers and predicts
//! as fastText does; [`any_model::AnyModel`] loads either kind.
#![deny(missing_docs)]

pub mod any_model;
pub mod audit;
pub mod autotune;
pub mod batch;
pub mod config;
pub mod confusion;
pub mod cv;
pub mod data;
pub mod error;
pub mod explain;
pub mod fasttext_model;
pub mod features;
pub mod format;
pub mod in_flight;
pub mod linalg;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod nn;
pub mod optim;
pub mod text;
pub mod train;
pub mod vocab;

pub use config::{Preset, TrainConfig};
pub use error::{Error, Result};
pub use model::Classifier;
pub use train::train;
