//! textnn: neural-network text classification.
//!
//! Text flows one way: [`text`] (normalize, tokenize) → [`vocab`] →
//! [`features`] → [`nn`] (forward, loss, backward) → [`optim`] → [`format`]
//! (model file) → [`model::Classifier::predict`].
#![deny(missing_docs)]

pub mod data;
pub mod error;
pub mod metrics;
pub mod text;

pub use error::{Error, Result};
