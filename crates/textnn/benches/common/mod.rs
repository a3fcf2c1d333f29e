//! Settings shared by every bench: short runs, so `cargo bench -p textnn`
//! finishes in a few minutes on two cores.

use criterion::Criterion;
use std::time::Duration;

/// Half a second of warm-up, two seconds of measurement, 20 samples.
pub fn quick() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}
