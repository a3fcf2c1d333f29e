//! Readers (in progress).
