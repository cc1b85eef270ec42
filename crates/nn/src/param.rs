//! [`Param`]: a trainable tensor with a stable id.

use tensor::{Float, ParamId, Tensor, Var};

/// A trainable tensor with a stable [`ParamId`] and a local name such as
/// `weight` or `bias`.
///
/// The id keys the param's gradient in [`tensor::Gradients`] and its state
/// in optimizers, so it stays the same for the param's whole life.
///
/// A clone is a new parameter with a fresh id. Were the id copied, a layer
/// and its clone recorded on one tape would share one var, holding the
/// first one's value, and one optimizer would mix their states.
#[derive(Debug)]
pub struct Param<T: Float> {
    id: ParamId,
    name: &'static str,
    value: Tensor<T>,
}

impl<T: Float> Clone for Param<T> {
    fn clone(&self) -> Self {
        Param::new(self.name, self.value.clone())
    }
}

impl<T: Float> Param<T> {
    /// A param with a fresh id.
    pub fn new(name: &'static str, value: Tensor<T>) -> Self {
        Param {
            id: ParamId::new(),
            name,
            value,
        }
    }

    /// The stable id.
    pub fn id(&self) -> ParamId {
        self.id
    }

    /// The local name (`weight`, `bias`, ...), unique within its layer.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The current value.
    pub fn value(&self) -> &Tensor<T> {
        &self.value
    }

    /// The current value, mutable, for optimizers and loaders.
    pub fn value_mut(&mut self) -> &mut Tensor<T> {
        &mut self.value
    }

    /// Records the current value on `tape` as a parameter var.
    #[track_caller]
    pub fn on<'t>(&self, tape: &'t tensor::Tape<T>) -> Var<'t, T> {
        tape.param(self.id, &self.value)
    }
}
