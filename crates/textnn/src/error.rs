//! The library's one error type.
//!
//! Every variant names the rule that was broken and the value that broke it,
//! so the command line can print it as it is.

use std::path::PathBuf;

/// Everything that can go wrong inside the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A line (or record) of an input file is malformed.
    #[error("{path}:{line}: {message}")]
    Data {
        /// The file being read, as the user named it.
        path: String,
        /// 1-based line number (for CSV: the line where the record starts).
        line: usize,
        /// What is wrong with that line.
        message: String,
    },
    /// A whole input file is unusable (empty, wrong shape, unknown format).
    #[error("{path}: {message}")]
    Input {
        /// The file being read.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The operating system's error (shown in the message; not a
        /// chained `source`, which the CLI would print a second time).
        cause: std::io::Error,
    },
    /// A training or prediction setting is out of its allowed range.
    #[error("invalid setting: {0}")]
    InvalidConfig(String),
    /// A model file is not a valid textnn model.
    #[error("{path}: {message}")]
    BadModel {
        /// The model file.
        path: String,
        /// Why it was refused.
        message: String,
    },
    /// Training produced a NaN or infinite value.
    #[error(
        "training diverged at epoch {epoch}: the {what} became {value} \
         (lower the learning rate, currently {}, or add gradient clipping with --clip-grad)",
        readable(*learning_rate)
    )]
    Diverged {
        /// 1-based epoch in which the value appeared.
        epoch: usize,
        /// Which quantity (loss, weights).
        what: &'static str,
        /// The offending value.
        value: f32,
        /// The learning rate in use.
        learning_rate: f32,
    },
    /// Training was asked to stop (Ctrl-C) and did, at a point where the
    /// weights are whole.
    #[error("training interrupted in epoch {epoch}{}", interrupted_hint(checkpoint.as_deref()))]
    Interrupted {
        /// The epoch in progress.
        epoch: usize,
        /// The checkpoint written on the way out, if checkpoints are on.
        checkpoint: Option<PathBuf>,
    },
    /// Training was asked to stop (Ctrl-C) while the number of epochs was
    /// being chosen on a validation slice, before the run that writes
    /// checkpoints.
    #[error(
        "training interrupted while choosing the number of epochs (epoch {epoch} of the {of}-epoch \
         probe), before any checkpoint is written: run the command again to start over, or give \
         --epochs N to skip the choice"
    )]
    InterruptedChoosingEpochs {
        /// The probe's epoch in progress.
        epoch: usize,
        /// The probe's epochs.
        of: usize,
    },
}

impl Error {
    /// Whether training stopped because it was asked to (Ctrl-C), either
    /// way: the process should end with the shell's code for that.
    pub fn is_interruption(&self) -> bool {
        matches!(
            self,
            Error::Interrupted { .. } | Error::InterruptedChoosingEpochs { .. }
        )
    }
}

/// `x` as a person writes it: plain for everyday sizes, else `1e30`.
fn readable(x: f32) -> String {
    if x == 0.0 || (1e-4..1e6).contains(&x.abs()) {
        x.to_string()
    } else {
        format!("{x:e}")
    }
}

/// What an interrupted run tells the user to do next.
fn interrupted_hint(checkpoint: Option<&std::path::Path>) -> String {
    match checkpoint {
        Some(path) => format!(
            "; the checkpoint {} holds the progress: run the same command with --resume {} to go on",
            path.display(),
            path.display()
        ),
        None => "; nothing was saved (--checkpoint-every N keeps progress)".to_string(),
    }
}

/// Shorthand for results carrying [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds an [`Error::Data`] for `path:line`.
    pub fn data(path: &str, line: usize, message: impl Into<String>) -> Self {
        Error::Data {
            path: path.to_string(),
            line,
            message: message.into(),
        }
    }

    /// Builds an [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause: source,
        }
    }
}
