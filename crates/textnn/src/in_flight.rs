//! The temporary files being written right now (by
//! [`crate::format::write_atomically_by`]), so that a process ended on
//! the spot, by a second Ctrl-C, can remove them on its way out instead of
//! leaving a `.textnn-*.tmp` beside the model.
//!
//! An ordinary failure needs none of this: the temporary file is removed
//! when its handle is dropped. Only an exit that skips destructors does.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A temporary file on the list while this lives.
pub(crate) struct Registered(PathBuf);

/// Puts `path` on the list until the returned guard is dropped.
pub(crate) fn register(path: &Path) -> Registered {
    files().push(path.to_path_buf());
    Registered(path.to_path_buf())
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut files = files();
        if let Some(i) = files.iter().position(|p| *p == self.0) {
            files.swap_remove(i);
        }
    }
}

/// The temporary files being written now.
pub fn paths() -> Vec<PathBuf> {
    files().clone()
}

/// Removes every temporary file being written now from the disk (for a
/// process about to exit without unwinding) and returns how many were
/// removed. A file already renamed to its final name is not there any
/// more and is left alone: the rename made it whole.
pub fn remove_all() -> usize {
    let mut files = files();
    let removed = files
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count();
    files.clear();
    removed
}

/// The list, even if a thread panicked while holding it (a list of paths
/// cannot be left half-updated).
fn files() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    FILES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
