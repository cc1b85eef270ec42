//! Layers: [`Dense`] and the activation modules.

mod activation;
mod dense;

pub use activation::Activation;
pub use dense::Dense;
