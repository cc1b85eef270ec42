//! [`Gradients`]: the result of a backward pass.

use std::cell::RefCell;
use std::rc::Rc;

use crate::float::Float;
use crate::tape::{NodeId, ParamId, Returns};
use crate::tensor::Tensor;
use crate::var::Var;

/// The gradients of one backward pass, looked up by [`Var`] or by
/// [`ParamId`].
///
/// A var that the output does not depend on, or that does not require a
/// gradient, has none: [`Gradients::get`] returns `None` for it.
///
/// When dropped, the gradients hand their buffers back to the tape they
/// came from, so a training loop that drops them every step reuses the same
/// memory instead of allocating.
pub struct Gradients<T: Float> {
    pub(crate) tape_id: u64,
    pub(crate) grads: Vec<Option<Tensor<T>>>,
    pub(crate) params: Vec<(ParamId, NodeId)>,
    /// The tape's drop-off point for buffers.
    pub(crate) returns: Rc<RefCell<Returns<T>>>,
}

impl<T: Float> std::fmt::Debug for Gradients<T> {
    /// Lists each registered parameter with the shape of its gradient, or
    /// `None` where no gradient reached it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (id, grad) in self.params() {
            map.entry(
                &format_args!("param#{}", id.get()),
                &grad.map(|g| g.dims().to_vec()),
            );
        }
        map.finish()
    }
}

impl<T: Float> Drop for Gradients<T> {
    fn drop(&mut self) {
        let Ok(mut returns) = self.returns.try_borrow_mut() else {
            return;
        };
        for tensor in self.grads.drain(..).flatten() {
            returns.buffers.push(tensor.into_vec());
        }
        if self.grads.capacity() > returns.slots.capacity() {
            returns.slots = std::mem::take(&mut self.grads);
        }
        if self.params.capacity() > returns.params.capacity() {
            returns.params = std::mem::take(&mut self.params);
        }
    }
}

impl<T: Float> Gradients<T> {
    /// The gradient with respect to `var`, if any flowed into it.
    ///
    /// # Panics
    ///
    /// When `var` is on a different tape than the one these gradients came
    /// from.
    #[track_caller]
    pub fn get(&self, var: Var<'_, T>) -> Option<&Tensor<T>> {
        if var.tape().id() != self.tape_id {
            panic!(
                "Gradients::get: the var is on a different tape than these gradients, or was \
                 recorded after the tape was cleared; run backward again for the new vars"
            );
        }
        self.grads.get(var.id()).and_then(Option::as_ref)
    }

    /// The gradient with respect to `var`.
    ///
    /// # Panics
    ///
    /// When no gradient flowed into `var` (the output does not depend on it,
    /// or it is a constant), or when `var` is on another tape.
    #[track_caller]
    pub fn wrt(&self, var: Var<'_, T>) -> &Tensor<T> {
        match self.get(var) {
            Some(grad) => grad,
            None => panic!(
                "Gradients::wrt: no gradient reached {var:?}; the output does not depend \
                 on it or it was recorded as a constant or detached"
            ),
        }
    }

    /// The gradient of a parameter registered with [`Tape::param`](crate::Tape::param),
    /// or `None` if it was not registered or no gradient reached it.
    pub fn param(&self, id: ParamId) -> Option<&Tensor<T>> {
        let node = self.params.iter().find(|(pid, _)| *pid == id)?.1;
        self.grads.get(node).and_then(Option::as_ref)
    }

    /// Parameters registered on the tape that received no gradient at all,
    /// because the output does not depend on them. A training loop can warn
    /// about them once instead of never updating them in silence.
    pub fn params_without_grad(&self) -> Vec<ParamId> {
        self.params
            .iter()
            .filter(|(_, node)| self.grads.get(*node).is_none_or(Option::is_none))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Every registered parameter with its gradient, in registration order.
    pub fn params(&self) -> impl Iterator<Item = (ParamId, Option<&Tensor<T>>)> + '_ {
        self.params
            .iter()
            .map(|&(id, node)| (id, self.grads.get(node).and_then(Option::as_ref)))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Tape, Tensor};

    #[test]
    fn gradients_outlive_their_tape() {
        let grads = {
            let tape = Tape::<f64>::new();
            let x = tape.var(Tensor::new(vec![1.0, 2.0], &[2]));
            (x * x).sum().backward()
        };
        // Dropping after the tape is gone hands the buffers to a pool that
        // only the gradients still reference; nothing is read or leaked.
        drop(grads);
    }

    #[test]
    fn dropped_gradients_return_buffers_to_pool() {
        let mut tape = Tape::<f64>::new();
        let mut kept = Vec::new();
        for _ in 0..4 {
            tape.clear();
            let x = tape.var(Tensor::new(vec![1.0, 2.0, 3.0], &[3]));
            let grads = (x * x).sum().backward();
            assert_eq!(grads.wrt(x).data(), &[2.0, 4.0, 6.0]);
            drop(grads);
            tape.clear();
            kept.push(tape.inner.borrow().pool.buffers_held());
        }
        // Every buffer of a step, values and gradients alike, comes back, and
        // the fresh input of each step is trimmed, so the pool keeps the same
        // number of buffers after each step.
        assert!(kept[0] > 0, "the pool kept no buffers: {kept:?}");
        assert!(kept.windows(2).all(|w| w[0] == w[1]), "pool sizes {kept:?}");
    }

    #[test]
    fn recycle_keeps_gradients_usable_afterwards() {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::new(vec![3.0], &[1]));
        let grads = (x * x).sum().backward();
        tape.recycle(grads);
        let again = (x * x).sum().backward();
        assert_eq!(again.wrt(x).data(), &[6.0]);
    }
}
