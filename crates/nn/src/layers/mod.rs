//! Layers: [`Dense`], [`Conv1d`], [`Conv2d`], [`Flatten`] and the
//! activation modules.

mod activation;
mod conv;
mod dense;
mod flatten;

pub use activation::Activation;
pub use conv::{Conv1d, Conv2d};
pub use dense::Dense;
pub use flatten::Flatten;
