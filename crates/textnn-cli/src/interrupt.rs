//! Ctrl-C during training: the first SIGINT (or SIGTERM) sets a flag that
//! the trainer checks between segments of examples, so it stops where the
//! weights are whole, writes its checkpoint and exits with code 130. A
//! second signal ends the process at once (the last checkpoint on disk is
//! whole either way: checkpoints are written atomically).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Installs the handlers and returns the flag they set.
pub fn install() -> anyhow::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Registered first, so it sees the flag before the second handler
        // sets it: the second signal exits with 130 immediately.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&flag))?;
        signal_hook::flag::register(signal, Arc::clone(&flag))?;
    }
    Ok(flag)
}
