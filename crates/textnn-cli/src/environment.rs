//! The environment variables `textnn` reads. The library reads none: what
//! they set reaches it as arguments.
//!
//! - `TEXTNN_KERNELS=auto|reference`: the f32 kernels
//!   ([`textnn::linalg::kernels`]); `reference` forces the plain loops.
//! - `TEXTNN_EXECUTION=adaptive|serial|parallel`: how the sliced trainer runs
//!   its column slices ([`textnn::train::Execution`]); for benchmarks, never
//!   changes the model.

use textnn::linalg::kernels::{self, Kernels, ENV_VAR};
use textnn::train::Execution;

/// Selects the kernels `TEXTNN_KERNELS` asks for (the fastest when unset).
pub fn select_kernels() -> textnn::Result<()> {
    let kernels = match std::env::var(ENV_VAR) {
        Ok(value) => Kernels::from_setting(&value)?,
        Err(std::env::VarError::NotPresent) => Kernels::detect(),
        Err(std::env::VarError::NotUnicode(value)) => {
            return Err(textnn::Error::InvalidConfig(format!(
                "{ENV_VAR} must be auto or reference, got {value:?}"
            )))
        }
    };
    kernels::select(kernels)
}

/// The sliced trainer's execution `TEXTNN_EXECUTION` asks for: `serial`,
/// `parallel`, or (unset or anything else) adaptive.
pub fn execution() -> Execution {
    match std::env::var("TEXTNN_EXECUTION").as_deref() {
        Ok("serial") => Execution::Serial,
        Ok("parallel") => Execution::Parallel,
        _ => Execution::Adaptive,
    }
}
