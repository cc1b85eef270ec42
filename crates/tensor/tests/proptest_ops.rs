//! Property tests: the shape algebra, gradient shapes under broadcasting,
//! and gradcheck on random compositions of ops.

use proptest::collection::vec;
use proptest::prelude::*;
use tensor::{broadcast_shapes, gradcheck, Tape, Tensor, Var};

/// 64 cases per property keeps the file under a second in release; no
/// failure files are written, as the seeds of a failure are printed.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Dims of rank 1 to `max_rank`, each 1 to 4.
fn dims(max_rank: usize) -> impl Strategy<Value = Vec<usize>> {
    vec(1usize..=4, 1..=max_rank)
}

/// Two shapes that broadcast together: each is the same output shape with
/// some leading axes dropped and some axes set to 1.
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    dims(3)
        .prop_flat_map(|out| {
            let rank = out.len();
            (
                Just(out),
                vec(any::<bool>(), rank),
                vec(any::<bool>(), rank),
                0..=rank,
                0..=rank,
            )
        })
        .prop_map(|(out, ones_a, ones_b, drop_a, drop_b)| {
            let derive = |ones: &[bool], drop: usize| -> Vec<usize> {
                out.iter()
                    .zip(ones)
                    .skip(drop)
                    .map(|(&d, &one)| if one { 1 } else { d })
                    .collect()
            };
            (derive(&ones_a, drop_a), derive(&ones_b, drop_b))
        })
}

/// Generates tensors of `dims` with values in `[low, high)`.
fn tensor_in(dims: Vec<usize>, low: f64, high: f64) -> impl Strategy<Value = Tensor<f64>> {
    let len: usize = dims.iter().product();
    vec(low..high, len).prop_map(move |data| Tensor::new(data, &dims))
}

/// Generates tensors of `dims` away from zero: magnitudes in `[0.5, 2)`
/// with either sign.
fn tensor_nonzero(dims: Vec<usize>) -> impl Strategy<Value = Tensor<f64>> {
    let len: usize = dims.iter().product();
    vec((0.5f64..2.0, any::<bool>()), len).prop_map(move |pairs| {
        let data = pairs
            .into_iter()
            .map(|(magnitude, negative)| if negative { -magnitude } else { magnitude })
            .collect();
        Tensor::new(data, &dims)
    })
}

/// A random graph: smooth unary ops on the first input, a binary op with the
/// second (broadcast) input, then a final axis op.
#[derive(Clone, Debug)]
struct Plan {
    unary: Vec<u8>,
    binary: u8,
    last: u8,
}

fn apply_plan<'t>(v: &[Var<'t, f64>], plan: &Plan) -> Var<'t, f64> {
    let mut x = v[0];
    for &code in &plan.unary {
        x = match code {
            0 => x.tanh(),
            1 => x.sigmoid(),
            2 => x.softplus(),
            3 => x.square().mul_scalar(0.5),
            4 => x.mul_scalar(0.3).exp(),
            _ => x.log_sigmoid(),
        };
    }
    let y = match plan.binary {
        0 => x + v[1],
        1 => x - v[1],
        2 => x * v[1],
        _ => x / v[1],
    };
    // Both inputs may be rank 0; the axis ops below need an axis.
    let y = if y.value().rank() == 0 {
        y.reshape(&[1])
    } else {
        y
    };
    match plan.last {
        0 => y.sum(),
        1 => y.mean_axes(&[-1], true),
        2 => y.softmax(-1),
        3 => y.log_softmax(0),
        4 => y.sum_axes(&[0], false).square(),
        _ => y.transpose_axes(0, -1).tanh(),
    }
}

fn plan() -> impl Strategy<Value = Plan> {
    (vec(0u8..6, 1..=3), 0u8..4, 0u8..6).prop_map(|(unary, binary, last)| Plan {
        unary,
        binary,
        last,
    })
}

/// Generates a broadcast pair of inputs, the second away from zero so that
/// it can divide.
fn inputs() -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>)> {
    broadcast_pair().prop_flat_map(|(a, b)| (tensor_in(a, -1.5, 1.5), tensor_nonzero(b)))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn broadcast_is_symmetric(a in vec(1usize..=3, 0..=3), b in vec(1usize..=3, 0..=3)) {
        let forward = broadcast_shapes("add", &a, &b).ok();
        let backward = broadcast_shapes("add", &b, &a).ok();
        prop_assert_eq!(forward, backward);
    }

    #[test]
    fn broadcast_takes_larger_dim((a, b) in broadcast_pair()) {
        let out = broadcast_shapes("add", &a, &b).expect("derived pairs broadcast");
        prop_assert_eq!(out.len(), a.len().max(b.len()));
        for axis in 0..out.len() {
            let from_end = out.len() - axis;
            let dim_a = a.len().checked_sub(from_end).map_or(1, |i| a[i]);
            let dim_b = b.len().checked_sub(from_end).map_or(1, |i| b[i]);
            prop_assert_eq!(out[axis], dim_a.max(dim_b));
        }
    }

    #[test]
    fn reshape_keeps_count(x in dims(4).prop_flat_map(|d| tensor_in(d, -1.0, 1.0))) {
        let tape = Tape::<f64>::new();
        let v = tape.var(x.clone());
        let reversed: Vec<usize> = x.dims().iter().rev().copied().collect();

        let flat = v.reshape(&[x.len()]);
        let back = flat.reshape(&reversed).reshape(x.dims());

        prop_assert_eq!(flat.value().len(), x.len());
        prop_assert_eq!(back.to_tensor(), x);
    }

    #[test]
    fn transpose_twice_is_identity(
        x in (1usize..=5, 1usize..=5).prop_flat_map(|(m, n)| tensor_in(vec![m, n], -1.0, 1.0))
    ) {
        let tape = Tape::<f64>::new();
        let v = tape.var(x.clone());

        let t = v.transpose();

        let expected = vec![x.dims()[1], x.dims()[0]];
        prop_assert_eq!(t.shape().to_vec(), expected);
        prop_assert_eq!(t.transpose().to_tensor(), x);
    }

    #[test]
    fn permute_then_inverse_is_identity(
        (x, perm) in dims(4).prop_flat_map(|d| {
            let rank = d.len();
            (tensor_in(d, -1.0, 1.0), Just((0..rank as isize).collect::<Vec<_>>()).prop_shuffle())
        })
    ) {
        let tape = Tape::<f64>::new();
        let v = tape.var(x.clone());
        let mut inverse = vec![0isize; perm.len()];
        for (i, &p) in perm.iter().enumerate() {
            inverse[p as usize] = i as isize;
        }

        let back = v.permute(&perm).permute(&inverse);

        prop_assert_eq!(back.to_tensor(), x);
    }

    #[test]
    fn broadcast_gradients_have_input_shapes((a, b) in inputs(), op in 0u8..6) {
        let tape = Tape::<f64>::new();
        let (va, vb) = (tape.var(a.clone()), tape.var(b.clone()));

        let y = match op {
            0 => va + vb,
            1 => va - vb,
            2 => va * vb,
            3 => va / vb,
            4 => va.maximum(vb),
            _ => va.minimum(vb),
        };
        let grads = y.sum().backward();

        prop_assert_eq!(grads.wrt(va).dims(), a.dims());
        prop_assert_eq!(grads.wrt(vb).dims(), b.dims());
    }

    #[test]
    fn random_compositions_pass_gradcheck((a, b) in inputs(), plan in plan()) {
        let result = gradcheck(|v| apply_plan(v, &plan), &[a, b]);

        prop_assert!(result.is_ok(), "{:?}: {}", plan, result.unwrap_err());
    }
}
