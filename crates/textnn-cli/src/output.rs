//! Writing to stdout so that a closed pipe ends the command quietly.

use std::io::{self, BufWriter, Write};

/// A buffered, locked stdout.
pub fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::new(io::stdout().lock())
}

/// Whether `error` (or its cause) is a write to a closed pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Flushes `out`, reporting errors (a broken pipe included) to the caller.
pub fn finish(mut out: impl Write) -> anyhow::Result<()> {
    out.flush()?;
    Ok(())
}
