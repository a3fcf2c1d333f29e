//! Ctrl-C during training: the first SIGINT (or SIGTERM) sets a flag that
//! the trainer checks between segments of examples, so it stops where the
//! weights are whole, writes its checkpoint and exits with code 130. A
//! second signal ends the process at once, with code 130, after removing
//! the temporary file of any save in progress ([`textnn::in_flight`]): the
//! last checkpoint and the previous model on disk are whole either way,
//! since both are written atomically, and no `.textnn-*.tmp` is left.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Installs the handlers and returns the flag they set.
pub fn install() -> anyhow::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        // The handler only queues the signal; this thread acts on it, so it
        // may take locks and remove files, which a signal handler may not.
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
        let stop = Arc::clone(&flag);
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for _ in signals.forever() {
                    if stop.swap(true, Ordering::SeqCst) {
                        textnn::in_flight::remove_all();
                        std::process::exit(130);
                    }
                }
            })?;
    }
    Ok(flag)
}
