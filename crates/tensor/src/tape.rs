//! The tape: a record of every operation of a forward pass, walked in
//! reverse by [`Var::backward`](crate::Var::backward).

use std::cell::{Ref, RefCell};
use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::float::Float;
use crate::op::Op;
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::var::Var;

/// The index of a node on its tape.
pub(crate) type NodeId = usize;

/// A stable identifier of a trainable parameter.
///
/// Every [`ParamId::new`] returns an id that no other call in the process
/// returns, so [`Gradients`](crate::Gradients) and optimizer state can be
/// keyed by it across tapes and training steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParamId(u64);

impl ParamId {
    /// A fresh id, distinct from every id made before in this process.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        ParamId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The id as a number, for printing and serialising.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The tape's response when an op produces a NaN or an infinity. With any
/// mode but `Off`, [`Var::affine_activation`] records its product and its
/// activation as two nodes, so that each output is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AnomalyMode {
    /// No check (the default): non-finite values pass silently.
    #[default]
    Off,
    /// Check every op's output and keep the first offender, readable through
    /// [`Tape::anomaly`].
    Record,
    /// Check every op's output and panic at the first offender.
    Panic,
}

/// The first op whose output held a NaN or an infinity, found in anomaly
/// mode.
#[derive(Clone, Debug, PartialEq)]
pub struct Anomaly {
    /// The op's name, as in `ln` or `matmul`.
    pub op: &'static str,
    /// The shapes of the op's inputs, in argument order.
    pub input_shapes: Vec<Shape>,
    /// The output's shape.
    pub output_shape: Shape,
    /// Where the op was called in the user's source.
    pub location: &'static Location<'static>,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shapes: Vec<_> = self
            .input_shapes
            .iter()
            .map(|s| format!("{:?}", &s[..]))
            .collect();
        write!(
            f,
            "op `{}` produced a non-finite value (NaN or infinity) from inputs of shape {} at {}",
            self.op,
            shapes.join(" and "),
            self.location
        )
    }
}

/// One recorded operation: how it was computed and its value.
pub(crate) struct Node<T: Float> {
    pub(crate) op: Op<T>,
    pub(crate) value: Tensor<T>,
    /// Whether any gradient can flow into this node. Constants, detached
    /// values and everything computed from them alone do not need one.
    pub(crate) requires_grad: bool,
    pub(crate) location: &'static Location<'static>,
}

pub(crate) struct TapeInner<T: Float> {
    pub(crate) nodes: Vec<Node<T>>,
    /// Parameters registered on this tape, in registration order.
    pub(crate) params: Vec<(ParamId, NodeId)>,
    /// Buffers of cleared nodes, reused by later ops so that a training
    /// loop in steady state does not allocate.
    pub(crate) pool: Pool<T>,
    pub(crate) grad_enabled: bool,
    pub(crate) anomaly_mode: AnomalyMode,
    pub(crate) anomaly: Option<Anomaly>,
}

/// Spare element buffers, reused so that steady-state steps do not allocate.
///
/// Buffers are grouped by capacity so that [`Pool::take`] finds the
/// smallest one that fits without scanning every spare buffer. Each group
/// also counts how many buffers the current step took from it, so that
/// [`Pool::trim`] can drop the surplus (such as the data tensors a training
/// loop passes in anew every step) and the pool stays bounded. Before any
/// search, [`Pool::take`] tries the value buffer of the node at the same
/// position in the last cleared step. A training loop records the same ops
/// in the same order every step, so that is the buffer it needs, even when
/// some values come from the caller (`Tape::constant`) instead of the pool:
/// positions count nodes, not requests.
pub(crate) struct Pool<T: Float> {
    /// Groups of buffers, ascending by capacity.
    buckets: Vec<Bucket<T>>,
    /// An emptied gradient list of an earlier backward pass, for the next.
    slots: Vec<Option<Tensor<T>>>,
    /// An emptied parameter list of an earlier backward pass, for the next.
    params: Vec<(ParamId, NodeId)>,
    /// Where dropped [`Gradients`](crate::Gradients) leave their buffers.
    returns: Rc<RefCell<Returns<T>>>,
    /// For each length modulo [`HINTS`], the index of the last group whose
    /// capacity was exactly such a length, or `u32::MAX`.
    hints: [u32; HINTS],
    /// The value buffers of the last cleared step by node position, each
    /// emptied (capacity 0) once taken. A step that records the same nodes
    /// again takes each one back without a search.
    replay: Vec<Vec<T>>,
    /// The position of the next node to be recorded, which [`Pool::take`]
    /// offers the buffer of.
    cursor: usize,
}

/// The number of slots of [`Pool`]'s lookup hints.
const HINTS: usize = 16;

/// The spare buffers of one capacity.
struct Bucket<T> {
    capacity: usize,
    buffers: Vec<Vec<T>>,
    /// Buffers of this capacity handed out since the last trim.
    taken: usize,
}

/// Buffers that [`Gradients`](crate::Gradients) hand back when dropped. The
/// pool moves them into its own store at the next backward pass or clear;
/// until then they are only kept, never read.
pub(crate) struct Returns<T: Float> {
    pub(crate) buffers: Vec<Vec<T>>,
    pub(crate) slots: Vec<Option<Tensor<T>>>,
    pub(crate) params: Vec<(ParamId, NodeId)>,
}

impl<T: Float> Pool<T> {
    pub(crate) fn new() -> Self {
        Pool {
            buckets: Vec::new(),
            slots: Vec::new(),
            params: Vec::new(),
            returns: Rc::new(RefCell::new(Returns {
                buffers: Vec::new(),
                slots: Vec::new(),
                params: Vec::new(),
            })),
            replay: Vec::new(),
            cursor: 0,
            hints: [u32::MAX; HINTS],
        }
    }

    /// A buffer of `len` elements whose contents are unspecified (left from
    /// earlier use); the caller overwrites every element.
    pub(crate) fn take(&mut self, len: usize) -> Vec<T> {
        // An empty tensor needs no buffer, so it takes none.
        if len == 0 {
            return Vec::new();
        }
        if let Some(slot) = self.replay.get_mut(self.cursor) {
            // A step that repeats the last one requests the same sizes at
            // the same positions. Anything else goes back to the groups.
            let mut buffer = std::mem::take(slot);
            if (len..=len.saturating_mul(2)).contains(&buffer.capacity()) {
                buffer.resize(len, T::ZERO);
                return buffer;
            }
            self.give(buffer);
        }
        self.scratch(len)
    }

    /// Takes a buffer of `len` elements with unspecified contents, for a
    /// temporary that an op gives back before it returns. It comes from the
    /// groups only, because the buffer kept at the cursor belongs to the
    /// value of the node being recorded.
    pub(crate) fn scratch(&mut self, len: usize) -> Vec<T> {
        if len == 0 {
            return Vec::new();
        }
        // In a training loop, requests repeat lengths that earlier requests
        // took buffers of exactly. The hint finds that group without a
        // search.
        let hint = &mut self.hints[len % HINTS];
        if let Some(bucket) = self.buckets.get_mut(*hint as usize) {
            if bucket.capacity == len {
                if let Some(mut buffer) = bucket.buffers.pop() {
                    bucket.taken += 1;
                    buffer.resize(len, T::ZERO);
                    return buffer;
                }
            }
        }
        // The smallest buffer that fits, so large buffers stay for large ops.
        let first = self.buckets.partition_point(|bucket| bucket.capacity < len);
        if self
            .buckets
            .get(first)
            .is_some_and(|bucket| bucket.capacity == len)
        {
            *hint = first as u32;
        }
        let spare = self.buckets[first..].iter_mut().find_map(|bucket| {
            let buffer = bucket.buffers.pop()?;
            bucket.taken += 1;
            Some(buffer)
        });
        let mut buffer = match spare {
            Some(buffer) => buffer,
            None => {
                let index = self.bucket_index(len);
                self.buckets[index].taken += 1;
                Vec::with_capacity(len)
            }
        };
        buffer.resize(len, T::ZERO);
        buffer.truncate(len);
        buffer
    }

    /// A tensor of the given shape with unspecified contents.
    pub(crate) fn tensor(&mut self, shape: &[usize]) -> Tensor<T> {
        let buffer = self.take(crate::shape::numel(shape));
        Tensor::from_parts(buffer, Shape::from_slice(shape))
    }

    /// Returns a buffer for later reuse.
    pub(crate) fn give(&mut self, buffer: Vec<T>) {
        if buffer.capacity() == 0 {
            return;
        }
        let index = self.bucket_index(buffer.capacity());
        self.buckets[index].buffers.push(buffer);
    }

    /// The index of the bucket of `capacity`, created empty if missing.
    fn bucket_index(&mut self, capacity: usize) -> usize {
        match self
            .buckets
            .binary_search_by_key(&capacity, |bucket| bucket.capacity)
        {
            Ok(index) => index,
            Err(index) => {
                // The groups after `index` move up by one.
                self.hints = [u32::MAX; HINTS];
                let bucket = Bucket {
                    capacity,
                    buffers: Vec::new(),
                    taken: 0,
                };
                self.buckets.insert(index, bucket);
                index
            }
        }
    }

    /// Keeps the value buffers of a cleared step, given in recording order,
    /// for the nodes at the same positions in the next step. Buffers of the
    /// step before that which were not taken again go back to the groups.
    pub(crate) fn keep_for_replay(&mut self, values: impl Iterator<Item = Vec<T>>) {
        let mut stale = std::mem::take(&mut self.replay);
        for buffer in stale.drain(..) {
            self.give(buffer);
        }
        // Reuse the emptied list, so that keeping allocates nothing.
        self.replay = stale;
        self.replay.extend(values);
        self.cursor = 0;
    }

    /// Moves [`Pool::take`]'s offer to the buffer of the node at `position`,
    /// called as each node is recorded.
    pub(crate) fn advance_to(&mut self, position: usize) {
        self.cursor = position;
    }

    /// Frees the buffers beyond what the step since the last trim took of
    /// each capacity, and starts counting anew. A loop that repeats the same
    /// step keeps exactly the buffers it reuses.
    pub(crate) fn trim(&mut self) {
        for bucket in &mut self.buckets {
            bucket.buffers.truncate(bucket.taken);
            bucket.taken = 0;
        }
    }

    /// The number of spare buffers, for tests of reuse.
    #[cfg(test)]
    pub(crate) fn buffers_held(&self) -> usize {
        let grouped: usize = self.buckets.iter().map(|bucket| bucket.buffers.len()).sum();
        let replayable = self.replay.iter().filter(|buffer| buffer.capacity() > 0);
        grouped + replayable.count()
    }

    /// The shared place where dropped gradients return their buffers.
    pub(crate) fn returns(&self) -> Rc<RefCell<Returns<T>>> {
        Rc::clone(&self.returns)
    }

    /// Moves the buffers that dropped gradients returned into the pool.
    pub(crate) fn reclaim(&mut self) {
        let returns = Rc::clone(&self.returns);
        let Ok(mut returns) = returns.try_borrow_mut() else {
            return;
        };
        let mut buffers = std::mem::take(&mut returns.buffers);
        for buffer in buffers.drain(..) {
            self.give(buffer);
        }
        // Hand the emptied list back, so the next drop does not allocate one.
        returns.buffers = buffers;
        if returns.slots.capacity() > self.slots.capacity() {
            std::mem::swap(&mut returns.slots, &mut self.slots);
        }
        if returns.params.capacity() > self.params.capacity() {
            std::mem::swap(&mut returns.params, &mut self.params);
        }
    }

    /// An empty gradient list with `len` slots, reusing an earlier one.
    pub(crate) fn slots(&mut self, len: usize) -> Vec<Option<Tensor<T>>> {
        let mut slots = std::mem::take(&mut self.slots);
        for tensor in slots.drain(..).flatten() {
            self.give(tensor.into_vec());
        }
        slots.resize_with(len, || None);
        slots
    }

    /// A copy of `params`, reusing an earlier list.
    pub(crate) fn params(&mut self, params: &[(ParamId, NodeId)]) -> Vec<(ParamId, NodeId)> {
        let mut list = std::mem::take(&mut self.params);
        list.clear();
        list.extend_from_slice(params);
        list
    }
}

/// A process-wide unique id for a tape, renewed by [`Tape::clear`].
fn next_tape_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A record of operations on [`Var`]s, for reverse-mode differentiation.
///
/// Create vars with [`Tape::var`], [`Tape::constant`] or [`Tape::param`],
/// combine them with ops, and call [`Var::backward`] on a scalar result.
/// A tape can be [cleared](Tape::clear) and reused; it keeps its buffers,
/// so a training step in steady state makes no heap allocation. The
/// exception is a large product on a CPU without AVX-512F, where
/// `matrixmultiply` takes a packing buffer for each.
///
/// # Examples
///
/// ```
/// use tensor::{Tape, Tensor};
///
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::new(vec![1.0, 2.0, 3.0], &[3]));
/// let y = (x * x).sum(); // y = sum(x^2), so dy/dx = 2x
/// let grads = y.backward();
/// assert_eq!(grads.wrt(x).data(), &[2.0, 4.0, 6.0]);
/// ```
pub struct Tape<T: Float> {
    pub(crate) inner: RefCell<TapeInner<T>>,
    id: u64,
}

impl<T: Float> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Tape<T> {
    /// An empty tape with gradients enabled and anomaly mode off.
    pub fn new() -> Self {
        Tape {
            inner: RefCell::new(TapeInner {
                nodes: Vec::new(),
                params: Vec::new(),
                pool: Pool::new(),
                grad_enabled: true,
                anomaly_mode: AnomalyMode::Off,
                anomaly: None,
            }),
            id: next_tape_id(),
        }
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Records a differentiable input: gradients flow into it.
    #[track_caller]
    pub fn var(&self, value: Tensor<T>) -> Var<'_, T> {
        let requires_grad = self.inner.borrow().grad_enabled;
        self.push_leaf(value, requires_grad)
    }

    /// Records a constant input, such as training data: no gradient is
    /// computed for it or for anything computed from constants alone.
    #[track_caller]
    pub fn constant(&self, value: Tensor<T>) -> Var<'_, T> {
        self.push_leaf(value, false)
    }

    /// Records a constant input copied from a slice, reusing a buffer of the
    /// tape instead of allocating.
    ///
    /// # Panics
    ///
    /// When `data.len()` differs from the product of `dims`.
    #[track_caller]
    pub fn constant_from_slice(&self, data: &[T], dims: &[usize]) -> Var<'_, T> {
        let value = self.copy_into_buffer(data, dims);
        self.push_leaf(value, false)
    }

    /// Records the current value of a trainable parameter.
    ///
    /// Registering the same id twice on one tape returns the same var, so a
    /// parameter used in two places receives the sum of both gradients.
    /// [`Gradients::param`](crate::Gradients::param) looks its gradient up by
    /// `id`.
    ///
    /// # Panics
    ///
    /// When `id` was registered on this tape with a different shape.
    #[track_caller]
    pub fn param(&self, id: ParamId, value: &Tensor<T>) -> Var<'_, T> {
        let existing = {
            let inner = self.inner.borrow();
            inner
                .params
                .iter()
                .find(|(pid, _)| *pid == id)
                .map(|&(_, node)| node)
        };
        if let Some(node) = existing {
            let registered = self.inner.borrow().nodes[node].value.shape().clone();
            if registered != *value.shape() {
                panic!(
                    "param: parameter {} is already on this tape with shape {:?}, \
                     now given shape {:?}; give each parameter one shape",
                    id.get(),
                    &registered[..],
                    value.dims()
                );
            }
            let mut inner = self.inner.borrow_mut();
            let same_values = inner.nodes[node]
                .value
                .data()
                .iter()
                .zip(value.data())
                .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()));
            if !same_values {
                drop(inner);
                panic!(
                    "param: parameter {} is already on this tape with other values; \
                     update parameters between steps, after clearing the tape",
                    id.get()
                );
            }
            // A parameter first recorded under no_grad (an evaluation pass)
            // becomes differentiable when recorded again with gradients on.
            if inner.grad_enabled {
                inner.nodes[node].requires_grad = true;
            }
            drop(inner);
            return Var::new(self, node);
        }
        let copy = self.copy_into_buffer(value.data(), value.dims());
        let requires_grad = self.inner.borrow().grad_enabled;
        let var = self.push_leaf(copy, requires_grad);
        self.inner.borrow_mut().params.push((id, var.id()));
        var
    }

    #[track_caller]
    fn copy_into_buffer(&self, data: &[T], dims: &[usize]) -> Tensor<T> {
        let mut buffer = self.inner.borrow_mut().pool.take(data.len());
        buffer.copy_from_slice(data);
        Tensor::new(buffer, dims)
    }

    #[track_caller]
    fn push_leaf(&self, value: Tensor<T>, requires_grad: bool) -> Var<'_, T> {
        let id = self.push_node(Op::Leaf, value, requires_grad, Location::caller());
        Var::new(self, id)
    }

    /// Appends a node and runs the anomaly check on its value.
    pub(crate) fn push_node(
        &self,
        op: Op<T>,
        value: Tensor<T>,
        requires_grad: bool,
        location: &'static Location<'static>,
    ) -> NodeId {
        let mut inner = self.inner.borrow_mut();
        let requires_grad = requires_grad && inner.grad_enabled;
        if inner.anomaly_mode != AnomalyMode::Off && inner.anomaly.is_none() && !value.all_finite()
        {
            let anomaly = Anomaly {
                op: op.name(),
                input_shapes: op
                    .inputs()
                    .iter()
                    .map(|&i| inner.nodes[i].value.shape().clone())
                    .collect(),
                output_shape: value.shape().clone(),
                location,
            };
            if inner.anomaly_mode == AnomalyMode::Panic {
                drop(inner);
                panic!("anomaly mode: {anomaly}");
            }
            inner.anomaly = Some(anomaly);
        }
        let id = inner.nodes.len();
        inner.nodes.push(Node {
            op,
            value,
            requires_grad,
            location,
        });
        inner.pool.advance_to(id + 1);
        id
    }

    /// Removes every node, keeping the buffers for reuse by later ops.
    /// Buffers beyond what the step since the previous clear used of each
    /// size are freed, so tensors passed in anew every step (as training
    /// data often is) do not pile up.
    ///
    /// Taking `&mut self` guarantees that no [`Var`] of this tape is alive.
    /// The anomaly record is cleared too; the anomaly mode and the
    /// gradient-enabled flag stay as they are.
    pub fn clear(&mut self) {
        let inner = self.inner.get_mut();
        let values = inner.nodes.drain(..).map(|node| node.value.into_vec());
        inner.pool.keep_for_replay(values);
        inner.pool.reclaim();
        inner.pool.trim();
        inner.params.clear();
        inner.anomaly = None;
        // A new id makes Gradients from before the clear reject the vars
        // recorded after it, which may reuse the same node slots.
        self.id = next_tape_id();
    }

    /// Returns the buffers of a [`Gradients`](crate::Gradients) to this
    /// tape's pool, so that the next backward pass reuses them.
    ///
    /// Dropping the gradients has the same effect, because they hand their
    /// buffers back to the tape they came from when dropped; this method
    /// only makes the hand-back explicit.
    pub fn recycle(&self, grads: crate::Gradients<T>) {
        drop(grads);
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.pool.reclaim();
        }
    }

    /// The number of recorded nodes.
    pub fn len(&self) -> usize {
        self.inner.borrow().nodes.len()
    }

    /// `true` when nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs `f` with recording of gradients switched off: vars created or
    /// computed inside need no gradient, as in PyTorch's `no_grad`. The
    /// previous setting is restored afterwards, even if `f` panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::scalar(3.0));
    /// let y = tape.no_grad(|| x * 2.0);
    /// assert!(!y.requires_grad());
    /// ```
    pub fn no_grad<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore<'a, T: Float>(&'a Tape<T>, bool);
        impl<T: Float> Drop for Restore<'_, T> {
            fn drop(&mut self) {
                self.0.inner.borrow_mut().grad_enabled = self.1;
            }
        }
        let previous = std::mem::replace(&mut self.inner.borrow_mut().grad_enabled, false);
        let _restore = Restore(self, previous);
        f()
    }

    /// Sets what the tape does when an op outputs a NaN or an infinity.
    ///
    /// Checking costs one pass over every output, so it is off by default.
    pub fn set_anomaly_mode(&self, mode: AnomalyMode) {
        self.inner.borrow_mut().anomaly_mode = mode;
    }

    /// The first op that produced a non-finite value since the tape was
    /// created or cleared, when anomaly mode is [`AnomalyMode::Record`].
    pub fn anomaly(&self) -> Option<Anomaly> {
        self.inner.borrow().anomaly.clone()
    }

    pub(crate) fn value(&self, id: NodeId) -> Ref<'_, Tensor<T>> {
        Ref::map(self.inner.borrow(), |inner| &inner.nodes[id].value)
    }
}

impl<T: Float> fmt::Display for Tape<T> {
    /// One line per node: `%3 = matmul(%0, %1) [21, 10] at src/main.rs:9:13`,
    /// with `param#id` marking registered parameters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.borrow();
        for (id, node) in inner.nodes.iter().enumerate() {
            let inputs: Vec<String> = node.op.inputs().iter().map(|i| format!("%{i}")).collect();
            let kind = match (&node.op, inner.params.iter().find(|(_, n)| *n == id)) {
                (_, Some((pid, _))) => format!("param#{}", pid.get()),
                (Op::Leaf, None) if node.requires_grad => "var".to_string(),
                (Op::Leaf, None) => "constant".to_string(),
                (op, None) => format!("{}({})", op.name(), inputs.join(", ")),
            };
            writeln!(
                f,
                "%{id} = {kind} {:?} at {}",
                &node.value.shape()[..],
                node.location
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer(len: usize) -> Vec<f64> {
        vec![1.5; len]
    }

    #[test]
    fn replay_returns_buffers_in_order() {
        let mut pool = Pool::<f64>::new();
        let (a, b) = (buffer(3), buffer(5));
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        pool.keep_for_replay([a, b].into_iter());
        let first = pool.take(3);
        pool.advance_to(1);
        let second = pool.take(5);
        assert_eq!((first.as_ptr(), first.len()), (pa, 3));
        assert_eq!((second.as_ptr(), second.len()), (pb, 5));
        assert_eq!(pool.buffers_held(), 0);
    }

    #[test]
    fn replay_skips_mismatched_size() {
        let mut pool = Pool::<f64>::new();
        let first = buffer(3);
        let first_at = first.as_ptr();
        pool.keep_for_replay([first, buffer(4)].into_iter());
        // Too large for the buffer kept at position 0: a new one. The kept
        // one goes to the groups, where a later request of its size finds it.
        let big = pool.take(10);
        assert_eq!(big.len(), 10);
        assert_eq!(pool.buffers_held(), 2);
        let again = pool.scratch(3);
        assert_eq!((again.as_ptr(), again.len()), (first_at, 3));
    }

    #[test]
    fn hint_collision_checks_capacity() {
        // 3 and 19 share a hint slot. Each request still gets its own size.
        let mut pool = Pool::<f64>::new();
        pool.give(buffer(3));
        pool.give(buffer(19));
        let small = pool.scratch(3);
        pool.give(small);
        let large = pool.scratch(19);
        assert_eq!((large.len(), large.capacity()), (19, 19));
        let small = pool.scratch(3);
        assert_eq!((small.len(), small.capacity()), (3, 3));
        // A new group shifts the indices, and the hints must follow.
        pool.give(buffer(2));
        pool.give(large);
        let again = pool.scratch(19);
        assert_eq!(again.capacity(), 19);
        assert_eq!(pool.scratch(2).capacity(), 2);
    }

    #[test]
    fn changing_shapes_stay_correct() {
        let mut tape = Tape::<f64>::new();
        for len in [3, 5, 3, 1, 4] {
            tape.clear();
            let data: Vec<f64> = (1..=len).map(f64::from).collect();
            let x = tape.var(Tensor::new(data, &[len as usize]));
            let y = (x * x).sum();
            let expected: f64 = (1..=len).map(|i| f64::from(i * i)).sum();
            assert_eq!(y.item(), expected);
            let grads = y.backward();
            let twice: Vec<f64> = (1..=len).map(|i| 2.0 * f64::from(i)).collect();
            assert_eq!(grads.wrt(x).data(), &twice[..]);
        }
    }
}
