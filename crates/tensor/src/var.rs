//! [`Var`]: a handle to a value recorded on a [`Tape`].

use std::cell::Ref;
use std::fmt;
use std::panic::Location;

use crate::backward;
use crate::float::Float;
use crate::gradients::Gradients;
use crate::op::Op;
use crate::shape::Shape;
use crate::tape::{NodeId, Tape};
use crate::tensor::Tensor;

/// A value on a [`Tape`], combined with others through ops that the tape
/// records.
///
/// `Var` is `Copy`: it is a tape reference and a node index. The lifetime
/// `'t` ties it to its tape, so vars of two tapes cannot be mixed and a tape
/// cannot be cleared while a var of it is alive.
pub struct Var<'t, T: Float> {
    tape: &'t Tape<T>,
    id: NodeId,
}

impl<T: Float> Clone for Var<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Float> Copy for Var<'_, T> {}

impl<T: Float> fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Var(%{}, {:?})", self.id, &self.shape()[..])
    }
}

impl<'t, T: Float> Var<'t, T> {
    pub(crate) fn new(tape: &'t Tape<T>, id: NodeId) -> Self {
        Var { tape, id }
    }

    pub(crate) fn id(self) -> NodeId {
        self.id
    }

    /// The tape this var is recorded on.
    pub fn tape(self) -> &'t Tape<T> {
        self.tape
    }

    /// The value, borrowed from the tape. Drop the guard before recording
    /// more ops on the same tape in the same statement chain.
    pub fn value(&self) -> Ref<'t, Tensor<T>> {
        self.tape.value(self.id)
    }

    /// A copy of the value.
    pub fn to_tensor(self) -> Tensor<T> {
        self.value().clone()
    }

    /// The value's shape.
    pub fn shape(self) -> Shape {
        self.value().shape().clone()
    }

    /// The value's dimensions, as an owned [`Shape`] (same as [`Var::shape`]).
    pub fn dims(self) -> Shape {
        self.shape()
    }

    /// The single element of a one-element var.
    ///
    /// # Panics
    ///
    /// When the value does not have exactly one element.
    #[track_caller]
    pub fn item(self) -> T {
        self.value().item()
    }

    /// `true` when gradients flow into this var.
    pub fn requires_grad(self) -> bool {
        self.tape.inner.borrow().nodes[self.id].requires_grad
    }

    /// The same value as a new var that gradients do not flow through, as
    /// PyTorch's `detach` and JAX's `stop_gradient`.
    #[track_caller]
    pub fn detach(self) -> Self {
        let value = {
            let mut guard = self.tape.inner.borrow_mut();
            let inner = &mut *guard;
            let mut out = inner.pool.tensor(inner.nodes[self.id].value.dims());
            out.data_mut()
                .copy_from_slice(inner.nodes[self.id].value.data());
            out
        };
        self.record(Op::Leaf, value, false)
    }

    /// Back-propagates from this scalar and returns the gradient of every
    /// var it depends on.
    ///
    /// # Panics
    ///
    /// When the value has more than one element: reduce it first with
    /// [`Var::sum`] or [`Var::mean`], or use [`Var::backward_with`].
    #[track_caller]
    pub fn backward(self) -> Gradients<T> {
        let len = self.value().len();
        if len != 1 {
            panic!(
                "backward: output has shape {:?}, not one element; reduce it to a scalar \
                 loss with sum or mean, or call backward_with an upstream gradient",
                &self.shape()[..]
            );
        }
        backward::run(self.tape, self.id, None)
    }

    /// Back-propagates an upstream gradient `seed` of this var's shape, as
    /// `vector-Jacobian product`.
    ///
    /// # Panics
    ///
    /// When `seed`'s shape differs from the var's shape.
    #[track_caller]
    pub fn backward_with(self, seed: Tensor<T>) -> Gradients<T> {
        let shape = self.shape();
        if *seed.shape() != shape {
            panic!(
                "backward_with: upstream gradient has shape {:?} but the output has shape {:?}; \
                 pass a gradient of the output's shape",
                seed.dims(),
                &shape[..]
            );
        }
        backward::run(self.tape, self.id, Some(seed))
    }

    /// Appends a node for an op whose inputs include `self`, at the caller's
    /// source line.
    #[track_caller]
    pub(crate) fn record(self, op: Op<T>, value: Tensor<T>, requires_grad: bool) -> Self {
        let id = self
            .tape
            .push_node(op, value, requires_grad, Location::caller());
        Var {
            tape: self.tape,
            id,
        }
    }

    /// Panics unless `other` is on the same tape as `self`.
    #[track_caller]
    pub(crate) fn check_same_tape(self, other: Var<'_, T>, op: &'static str) {
        if !std::ptr::eq(self.tape, other.tape) {
            panic!("{op}: the operands are on different tapes; record both on one tape");
        }
    }
}
