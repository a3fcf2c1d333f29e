//! Settings shared by every bench: short runs, so `cargo bench -p textnn`
//! finishes in a few minutes on two cores, and the kernels that
//! `TEXTNN_KERNELS` asks for (`auto` or `reference`; the library reads no
//! environment variable, so a bench, like the CLI, passes it on).

use criterion::Criterion;
use std::time::Duration;
use textnn::linalg::kernels::{self, Kernels, ENV_VAR};

/// Half a second of warm-up, two seconds of measurement, 20 samples; the
/// kernels `TEXTNN_KERNELS` names selected.
pub fn quick() -> Criterion {
    let setting = std::env::var(ENV_VAR).unwrap_or_default();
    let chosen = Kernels::from_setting(&setting).unwrap_or_else(|e| panic!("{e}"));
    kernels::select(chosen).unwrap_or_else(|e| panic!("{e}"));
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}
