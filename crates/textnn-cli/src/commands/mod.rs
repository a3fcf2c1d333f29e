//! One module per subcommand.

pub mod audit;
pub mod autotune;
pub mod convert;
pub mod cv;
pub mod demo;
pub mod explain;
pub mod gradcheck;
pub mod info;
pub mod predict;
pub mod serve;
pub mod test;
pub mod train;
