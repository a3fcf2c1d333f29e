//! Text pipeline (in progress).
