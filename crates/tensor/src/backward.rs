//! The reverse walk over the tape and the one exhaustive dispatch of
//! backward rules.

use crate::float::Float;
use crate::gradients::Gradients;
use crate::op::Op;
use crate::ops::{binary, conv, fused, layout, matmul, reduce, softmax, unary};
use crate::tape::{Node, NodeId, Pool, Tape, TapeInner};
use crate::tensor::Tensor;

/// Walks the nodes from `root` down to the first, once, passing each node's
/// gradient to its inputs. Fan-out accumulates: a node used twice receives
/// the sum of both contributions before its own rule runs, which is safe
/// because every input has a smaller id than the node using it.
pub(crate) fn run<T: Float>(tape: &Tape<T>, root: NodeId, seed: Option<Tensor<T>>) -> Gradients<T> {
    let mut guard = tape.inner.borrow_mut();
    let TapeInner {
        nodes,
        pool,
        params,
        ..
    } = &mut *guard;
    pool.reclaim();
    let mut grads = pool.slots(root + 1);
    let seed = seed.unwrap_or_else(|| {
        let mut ones = pool.tensor(nodes[root].value.dims());
        ones.data_mut().fill(T::ONE);
        ones
    });
    grads[root] = Some(seed);

    for id in (0..=root).rev() {
        let Some(grad) = grads[id].take() else {
            continue;
        };
        let node = &nodes[id];
        if node.requires_grad {
            propagate(node, &grad, nodes, pool, &mut grads);
        }
        grads[id] = Some(grad);
    }

    Gradients {
        tape_id: tape.id(),
        grads,
        params: pool.params(params),
        returns: pool.returns(),
    }
}

/// Adds `grad` into the gradient slot of `id`.
fn accumulate<T: Float>(
    grads: &mut [Option<Tensor<T>>],
    pool: &mut Pool<T>,
    id: NodeId,
    grad: Tensor<T>,
) {
    match &mut grads[id] {
        Some(existing) => {
            debug_assert_eq!(
                existing.shape(),
                grad.shape(),
                "engine bug: gradient shapes differ"
            );
            for (e, g) in existing.data_mut().iter_mut().zip(grad.data()) {
                *e += *g;
            }
            pool.give(grad.into_vec());
        }
        slot @ None => *slot = Some(grad),
    }
}

/// Runs the backward rule of `node` and accumulates into its inputs that
/// require a gradient.
fn propagate<T: Float>(
    node: &Node<T>,
    grad: &Tensor<T>,
    nodes: &[Node<T>],
    pool: &mut Pool<T>,
    grads: &mut [Option<Tensor<T>>],
) {
    let needs = |id: NodeId| nodes[id].requires_grad;
    match &node.op {
        Op::Leaf => {}
        Op::Unary { input, op } => {
            if needs(*input) {
                let g = unary::backward(*op, &nodes[*input].value, &node.value, grad, pool);
                accumulate(grads, pool, *input, g);
            }
        }
        Op::Binary { lhs, rhs, op } => {
            let (l, r) = (&nodes[*lhs].value, &nodes[*rhs].value);
            let (grad_lhs, grad_rhs) =
                binary::backward(*op, l, r, &node.value, grad, needs(*lhs), needs(*rhs), pool);
            if let Some(g) = grad_lhs {
                accumulate(grads, pool, *lhs, g);
            }
            if let Some(g) = grad_rhs {
                accumulate(grads, pool, *rhs, g);
            }
        }
        Op::Reduce { input, op, axes } => {
            if needs(*input) {
                let g = reduce::backward(*op, axes, &nodes[*input].value, &node.value, grad, pool);
                accumulate(grads, pool, *input, g);
            }
        }
        Op::Matmul { lhs, rhs } => {
            let (l, r) = (&nodes[*lhs].value, &nodes[*rhs].value);
            let (grad_lhs, grad_rhs) = matmul::backward(l, r, grad, needs(*lhs), needs(*rhs), pool);
            if let Some(g) = grad_lhs {
                accumulate(grads, pool, *lhs, g);
            }
            if let Some(g) = grad_rhs {
                accumulate(grads, pool, *rhs, g);
            }
        }
        Op::Reshape { input } => {
            // d reshape(x) / dx is the identity on the row-major data.
            if needs(*input) {
                let mut g = pool.tensor(nodes[*input].value.dims());
                g.data_mut().copy_from_slice(grad.data());
                accumulate(grads, pool, *input, g);
            }
        }
        Op::BroadcastTo { input, input_shape } => {
            // Each input element was copied to several outputs, so its
            // gradient is the sum over those copies.
            if needs(*input) {
                let mut g = pool.tensor(input_shape);
                crate::kernels::reduce::reduce_to_shape_into(
                    grad.data(),
                    grad.dims(),
                    input_shape,
                    g.data_mut(),
                );
                accumulate(grads, pool, *input, g);
            }
        }
        Op::Conv {
            input,
            weight,
            bias,
            geometry,
        } => {
            let (x, w) = (&nodes[*input].value, &nodes[*weight].value);
            if needs(*input) {
                let g = conv::backward_input(geometry, w, grad, x.dims(), pool);
                accumulate(grads, pool, *input, g);
            }
            if needs(*weight) {
                let g = conv::backward_weight(geometry, x, grad, w.dims(), pool);
                accumulate(grads, pool, *weight, g);
            }
            if let Some(bias) = bias.filter(|&b| needs(b)) {
                let g = conv::backward_bias(geometry, grad, pool);
                accumulate(grads, pool, bias, g);
            }
        }
        Op::Layout { inputs, op } => {
            let values: smallvec::SmallVec<[&Tensor<T>; 4]> =
                inputs.iter().map(|&i| &nodes[i].value).collect();
            for (position, &input) in inputs.iter().enumerate() {
                if needs(input) {
                    let g = layout::backward(op, &values, position, grad, pool);
                    accumulate(grads, pool, input, g);
                }
            }
        }
        Op::Softmax { input, axis, log } => {
            if needs(*input) {
                let g = softmax::backward(*axis, *log, &node.value, grad, pool);
                accumulate(grads, pool, *input, g);
            }
        }
        Op::Affine {
            input,
            weight,
            bias,
            activation,
        } => {
            let ids = [*input, *weight, *bias];
            let (x, w) = (&nodes[*input].value, &nodes[*weight].value);
            let activated =
                activation.map(|act| fused::activation_backward(act, &node.value, grad, pool));
            let grad_affine = activated.as_ref().unwrap_or(grad);
            let grads_in = fused::affine_backward(x, w, grad_affine, ids.map(needs), pool);
            if let Some(activated) = activated {
                pool.give(activated.into_vec());
            }
            for (id, g) in ids.into_iter().zip(grads_in) {
                if let Some(g) = g {
                    accumulate(grads, pool, id, g);
                }
            }
        }
        Op::MseLoss { prediction, target } => {
            let ids = [*prediction, *target];
            let (p, t) = (&nodes[*prediction].value, &nodes[*target].value);
            let grads_in = fused::mse_backward(p, t, grad, ids.map(needs), pool);
            for (id, g) in ids.into_iter().zip(grads_in) {
                if let Some(g) = g {
                    accumulate(grads, pool, id, g);
                }
            }
        }
        Op::Custom { inputs, op } => {
            let values: Vec<&Tensor<T>> = inputs.iter().map(|&i| &nodes[i].value).collect();
            let input_grads = op.backward(&values, &node.value, grad);
            crate::custom::check_backward(op.name(), &values, &input_grads);
            for (&input, g) in inputs.iter().zip(input_grads) {
                if let (true, Some(g)) = (needs(input), g) {
                    accumulate(grads, pool, input, g);
                }
            }
        }
    }
}
