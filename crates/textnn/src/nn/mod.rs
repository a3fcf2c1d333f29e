//! The network: activations, losses, the layered forward/backward pass and
//! the finite-difference gradient check that proves it.

pub mod activation;
pub mod gradcheck;
pub mod huffman;
pub mod loss;
pub mod network;
pub mod overflow;

pub use activation::Activation;
pub use loss::Loss;
pub use network::{Combine, Dense, Gradients, Init, Network, NetworkConfig, Workspace};
