//! Fused ops: common chains of ops recorded as one node, so that a layer or
//! a loss costs one record and one backward step instead of several.
//!
//! - `affine`: `x w + b`, the dense layer, instead of `matmul` and `add`.
//! - `affine_activation`: `act(x w + b)`, the dense layer and its
//!   activation, for activations whose derivative its output determines.
//! - `mse_loss`: `mean((p - t)^2)`, instead of `sub`, `square` and `mean`.

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::kernels::matmul::{gemm, Layout};
use crate::kernels::reduce::pairwise_sum;
use crate::kernels::simd::widest;
use crate::kernels::small_gemm::small_gemm;
use crate::op::Op;
use crate::ops::unary::{self, ForwardInPlace, UnaryOp};
use crate::shape::Shape;
use crate::tape::{AnomalyMode, Pool};
use crate::tensor::Tensor;
use crate::var::Var;

/// An activation that [`Var::affine_activation`] applies inside the affine
/// node. The derivative of each is a function of its output alone, so the
/// node needs no copy of the values before the activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AffineActivation {
    /// `1 / (1 + e^-x)`, as [`Var::sigmoid`].
    Sigmoid,
    /// `tanh x`, as [`Var::tanh`].
    Tanh,
    /// `max(x, 0)`, as [`Var::relu`].
    Relu,
}

impl AffineActivation {
    /// Returns the elementwise op of the activation.
    pub(crate) fn unary<T: Float>(self) -> UnaryOp<T> {
        match self {
            AffineActivation::Sigmoid => UnaryOp::Sigmoid,
            AffineActivation::Tanh => UnaryOp::Tanh,
            AffineActivation::Relu => UnaryOp::Relu,
        }
    }

    /// Returns the name of the fused op: `affine_sigmoid`, `affine_tanh` or
    /// `affine_relu`.
    pub(crate) fn op_name(self) -> &'static str {
        match self {
            AffineActivation::Sigmoid => "affine_sigmoid",
            AffineActivation::Tanh => "affine_tanh",
            AffineActivation::Relu => "affine_relu",
        }
    }
}

/// Returns the gradient of the affine part of `y = act(x w + b)`, given the
/// output `y` and `dL/dy`. It is `dL/dy act'`, computed from `y` alone:
/// sigmoid and tanh derivatives are functions of `y`, and ReLU's is 1
/// exactly where `y > 0`, as where its input is positive. So it has the
/// bits that the separate activation node would pass back.
pub(crate) fn activation_backward<T: Float>(
    activation: AffineActivation,
    output: &Tensor<T>,
    grad: &Tensor<T>,
    pool: &mut Pool<T>,
) -> Tensor<T> {
    unary::backward(activation.unary(), output, output, grad, pool)
}

/// Fills `out`, a whole number of rows as long as `row`, with copies of
/// `row`. Each copy doubles the filled part, so a hundred short rows take
/// 7 calls to `memcpy` instead of 100.
fn fill_rows<T: Copy>(out: &mut [T], row: &[T]) {
    if out.is_empty() {
        return;
    }
    assert!(
        !row.is_empty() && out.len().is_multiple_of(row.len()),
        "engine bug: {} values are not a whole number of rows of {}",
        out.len(),
        row.len()
    );
    out[..row.len()].copy_from_slice(row);
    let mut filled = row.len();
    while filled < out.len() {
        let count = filled.min(out.len() - filled);
        out.copy_within(..count, filled);
        filled += count;
    }
}

/// Checks the operands of `affine` and returns the output's shape. `name` is
/// the op that errors name: `affine` or a fused `affine_*`.
fn affine_dims(
    name: &'static str,
    x: &[usize],
    w: &[usize],
    b: &[usize],
) -> Result<Shape, TensorError> {
    let (&[inputs, outputs], Some(&last)) = (w, x.last()) else {
        return Err(TensorError::shape_mismatch(
            name,
            x,
            w,
            format!(
                "cannot be combined: {name} takes an input [n, in] or [batch, n, in] and a \
                 weight [in, out]; reshape the weight to 2-D"
            ),
        ));
    };
    if !(2..=3).contains(&x.len()) || last != inputs {
        return Err(TensorError::shape_mismatch(
            name,
            x,
            w,
            format!(
                "are not aligned: a weight [{inputs}, {outputs}] takes an input [n, {inputs}] \
                 or [batch, n, {inputs}]; give the input {inputs} features in its last dimension"
            ),
        ));
    }
    if b != [outputs] {
        return Err(TensorError::shape_mismatch(
            name,
            w,
            b,
            format!("do not fit: a weight [{inputs}, {outputs}] takes a bias [{outputs}]"),
        ));
    }
    let mut out = Shape::from_slice(x);
    out[x.len() - 1] = outputs;
    Ok(out)
}

/// Computes the gradients of `y = x w + b` for `x` merged to `[rows, in]`:
/// `dx = g w^T`, `dw = x^T g`, and `db` the sum of `g` over the rows. The
/// transposes are read through strides rather than copied.
pub(crate) fn affine_backward<T: Float>(
    x: &Tensor<T>,
    w: &Tensor<T>,
    grad: &Tensor<T>,
    needs: [bool; 3],
    pool: &mut Pool<T>,
) -> [Option<Tensor<T>>; 3] {
    let (inputs, outputs) = (w.dims()[0], w.dims()[1]);
    let rows: usize = x.dims()[..x.rank() - 1].iter().product();
    let g = grad.data();
    let grad_x = needs[0].then(|| {
        let mut out = pool.tensor(x.dims());
        let (w_t, g_layout) = (Layout::transposed(outputs), Layout::row_major(outputs));
        gemm(
            rows,
            outputs,
            inputs,
            g,
            g_layout,
            w.data(),
            w_t,
            T::ZERO,
            out.data_mut(),
        );
        out
    });
    let grad_w = needs[1].then(|| {
        let mut out = pool.tensor(w.dims());
        let (x_t, g_layout) = (Layout::transposed(inputs), Layout::row_major(outputs));
        gemm(
            inputs,
            rows,
            outputs,
            x.data(),
            x_t,
            g,
            g_layout,
            T::ZERO,
            out.data_mut(),
        );
        out
    });
    let grad_b = needs[2].then(|| {
        let mut out = pool.tensor(&[outputs]);
        if rows == 0 || outputs == 0 {
            out.data_mut().fill(T::ZERO);
        } else {
            // db = 1^T g, a row of ones read through zero strides. Each sum
            // adds the rows in order, exactly as a plain loop would, since
            // multiplying by one is exact.
            let ones = Layout {
                row_stride: 0,
                col_stride: 0,
            };
            let g_layout = Layout::row_major(outputs);
            small_gemm(
                1,
                rows,
                outputs,
                &[T::ONE],
                ones,
                g,
                g_layout,
                T::ZERO,
                out.data_mut(),
            );
        }
        out
    });
    [grad_x, grad_w, grad_b]
}

/// Computes the gradients of `l = mean((p - t)^2)` over `n` elements:
/// `dl/dp = 2 (p - t) / n` and `dl/dt = -dl/dp`, each times the upstream
/// scalar.
pub(crate) fn mse_backward<T: Float>(
    p: &Tensor<T>,
    t: &Tensor<T>,
    grad: &Tensor<T>,
    needs: [bool; 2],
    pool: &mut Pool<T>,
) -> [Option<Tensor<T>>; 2] {
    let scale = grad.data()[0] / T::from_usize(p.len().max(1));
    let two = T::from_f64(2.0);
    let gradient = |sign: T, pool: &mut Pool<T>| {
        let mut out = pool.tensor(p.dims());
        let pairs = p.data().iter().zip(t.data());
        for (o, (&p, &t)) in out.data_mut().iter_mut().zip(pairs) {
            *o = sign * (two * (p - t) * scale);
        }
        out
    };
    let grad_p = needs[0].then(|| gradient(T::ONE, pool));
    let grad_t = needs[1].then(|| gradient(-T::ONE, pool));
    [grad_p, grad_t]
}

impl<'t, T: Float> Var<'t, T> {
    /// Computes the affine map `self weight + bias`, returning an error
    /// instead of panicking. See [`Var::affine`] for the shapes.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] when the input is not 2-D or 3-D, its
    /// last dimension differs from the weight's rows, the weight is not 2-D,
    /// or the bias is not `[out]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::zeros(&[4, 3]));
    /// let w = tape.var(Tensor::zeros(&[3, 2]));
    /// let b = tape.var(Tensor::zeros(&[3]));
    /// let err = x.try_affine(w, b).unwrap_err();
    /// assert!(err.to_string().starts_with("affine: shapes [3, 2] and [3] do not fit"));
    /// ```
    #[track_caller]
    pub fn try_affine(self, weight: Self, bias: Self) -> Result<Self, TensorError> {
        self.record_affine(weight, bias, None)
    }

    /// Records `affine` with an optional activation applied in place. In
    /// anomaly mode the activation gets a node of its own, so that a NaN or
    /// an infinity in the product is still reported, as op `affine`.
    #[track_caller]
    fn record_affine(
        self,
        weight: Self,
        bias: Self,
        activation: Option<AffineActivation>,
    ) -> Result<Self, TensorError> {
        let name = activation.map_or("affine", AffineActivation::op_name);
        self.check_same_tape(weight, name);
        self.check_same_tape(bias, name);
        let checked = self.tape().inner.borrow().anomaly_mode != AnomalyMode::Off;
        let (fused, separate) = if checked {
            (None, activation)
        } else {
            (activation, None)
        };
        let (value, requires_grad) = {
            let mut guard = self.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let (x, w, b) = (
                &inner.nodes[self.id()],
                &inner.nodes[weight.id()],
                &inner.nodes[bias.id()],
            );
            let dims = affine_dims(name, x.value.dims(), w.value.dims(), b.value.dims())?;
            let (inputs, outputs) = (w.value.dims()[0], w.value.dims()[1]);
            let rows: usize = dims[..dims.len() - 1].iter().product();
            let mut out = inner.pool.tensor(&dims);
            // Every row starts as the bias; the product adds onto it.
            fill_rows(out.data_mut(), b.value.data());
            let (x_layout, w_layout) = (Layout::row_major(inputs), Layout::row_major(outputs));
            let (xs, ws) = (x.value.data(), w.value.data());
            gemm(
                rows,
                inputs,
                outputs,
                xs,
                x_layout,
                ws,
                w_layout,
                T::ONE,
                out.data_mut(),
            );
            if let Some(activation) = fused {
                widest(ForwardInPlace {
                    op: activation.unary(),
                    data: out.data_mut(),
                });
            }
            let requires_grad = x.requires_grad || w.requires_grad || b.requires_grad;
            (out, requires_grad)
        };
        let op = Op::Affine {
            input: self.id(),
            weight: weight.id(),
            bias: bias.id(),
            activation: fused,
        };
        let affine = self.record(op, value, requires_grad);
        Ok(match separate {
            Some(activation) => affine.unary(activation.unary()),
            None => affine,
        })
    }

    /// Computes the affine map `self weight + bias` of a dense layer as one
    /// recorded op. It equals `self.matmul(weight) + bias` up to rounding.
    ///
    /// Shapes: input `[n, in]` or `[batch, n, in]`, weight `[in, out]`, bias
    /// `[out]`; the output is the input's shape with `out` last. The bias is
    /// added to every row, so its gradient is the upstream gradient summed
    /// over the rows.
    ///
    /// # Panics
    ///
    /// When the shapes do not fit, with a message naming them; see
    /// [`Var::try_affine`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    /// let w = tape.var(Tensor::new(vec![1.0, 0.0, 0.0, 1.0], &[2, 2]));
    /// let b = tape.var(Tensor::new(vec![10.0, 20.0], &[2]));
    /// let y = x.affine(w, b);
    /// assert_eq!(y.value().data(), &[11.0, 22.0, 13.0, 24.0]);
    ///
    /// // The bias gradient sums the upstream gradient over the rows.
    /// let grads = y.sum().backward();
    /// assert_eq!(grads.wrt(b).data(), &[2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn affine(self, weight: Self, bias: Self) -> Self {
        unwrap_op(self.try_affine(weight, bias))
    }

    /// Computes `activation(self weight + bias)`, returning an error instead
    /// of panicking. See [`Var::affine_activation`].
    ///
    /// # Errors
    ///
    /// As [`Var::try_affine`], with the fused op's name (`affine_sigmoid`,
    /// `affine_tanh` or `affine_relu`) in the message.
    #[track_caller]
    pub fn try_affine_activation(
        self,
        weight: Self,
        bias: Self,
        activation: AffineActivation,
    ) -> Result<Self, TensorError> {
        self.record_affine(weight, bias, Some(activation))
    }

    /// Computes `activation(self weight + bias)`, a dense layer and its
    /// activation, as one recorded op: one node and one backward step
    /// instead of two. Its value and gradients have the same bits as
    /// `self.affine(weight, bias)` followed by the activation's own op
    /// ([`Var::sigmoid`], [`Var::tanh`] or [`Var::relu`]). Shapes as
    /// [`Var::affine`]. In anomaly mode ([`crate::Tape::set_anomaly_mode`]) it
    /// records those two nodes instead, so that a NaN or an infinity before
    /// the activation, which a sigmoid or tanh would hide, is still
    /// reported.
    ///
    /// # Panics
    ///
    /// When the shapes do not fit, with a message naming them; see
    /// [`Var::try_affine_activation`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{AffineActivation, Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![1.0, -2.0], &[1, 2]));
    /// let w = tape.var(Tensor::new(vec![1.0, 0.0, 0.0, 1.0], &[2, 2]));
    /// let b = tape.var(Tensor::new(vec![0.5, 0.5], &[2]));
    /// let y = x.affine_activation(w, b, AffineActivation::Relu);
    /// assert_eq!(y.value().data(), &[1.5, 0.0]);
    ///
    /// // The second output is clipped, so no gradient reaches its column.
    /// let grads = y.sum().backward();
    /// assert_eq!(grads.wrt(w).data(), &[1.0, 0.0, -2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn affine_activation(self, weight: Self, bias: Self, activation: AffineActivation) -> Self {
        unwrap_op(self.try_affine_activation(weight, bias, activation))
    }

    /// Computes the mean squared error `mean((self - target)^2)` over all
    /// elements, returning an error instead of panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] when the shapes differ: nothing
    /// broadcasts.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let p = tape.var(Tensor::zeros(&[2, 1]));
    /// let t = tape.constant(Tensor::zeros(&[2]));
    /// let err = p.try_mse_loss(t).unwrap_err();
    /// assert!(err.to_string().starts_with("mse_loss: shapes [2, 1] and [2] differ"));
    /// ```
    #[track_caller]
    pub fn try_mse_loss(self, target: Self) -> Result<Self, TensorError> {
        self.check_same_tape(target, "mse_loss");
        let (value, requires_grad) = {
            let mut guard = self.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let (p, t) = (&inner.nodes[self.id()], &inner.nodes[target.id()]);
            if p.value.shape() != t.value.shape() {
                return Err(TensorError::shape_mismatch(
                    "mse_loss",
                    p.value.dims(),
                    t.value.dims(),
                    "differ: the prediction and the target must have the same shape \
                     (reshape the target, for example [n] to [n, 1])"
                        .to_string(),
                ));
            }
            // The differences go to a scratch buffer so that the sum of
            // squares is pairwise, as `mean` sums.
            let mut diffs = inner.pool.scratch(p.value.len());
            let pairs = p.value.data().iter().zip(t.value.data());
            for (d, (&p, &t)) in diffs.iter_mut().zip(pairs) {
                *d = p - t;
            }
            let sum = pairwise_sum(&diffs, |d| d * d);
            inner.pool.give(diffs);
            let mut out = inner.pool.tensor(&[]);
            out.data_mut()[0] = sum * (T::ONE / T::from_usize(p.value.len()));
            (out, p.requires_grad || t.requires_grad)
        };
        let op = Op::MseLoss {
            prediction: self.id(),
            target: target.id(),
        };
        Ok(self.record(op, value, requires_grad))
    }

    /// Computes the mean squared error `mean((self - target)^2)` over all
    /// elements as one recorded op, returning a rank-0 var. The gradient is `2 (self - target)
    /// / n` for `self` and its negation for `target`, `n` the element count.
    ///
    /// # Panics
    ///
    /// When the shapes differ; see [`Var::try_mse_loss`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let p = tape.var(Tensor::new(vec![0.5, 1.0], &[2, 1]));
    /// let t = tape.constant(Tensor::new(vec![0.0, 1.0], &[2, 1]));
    /// let loss = p.mse_loss(t);
    /// assert_eq!(loss.item(), 0.125);
    /// assert_eq!(loss.backward().wrt(p).data(), &[0.5, 0.0]);
    /// ```
    #[track_caller]
    pub fn mse_loss(self, target: Self) -> Self {
        unwrap_op(self.try_mse_loss(target))
    }
}

#[cfg(test)]
mod tests {
    use super::{fill_rows, AffineActivation};
    use crate::{Float, Tape, Tensor};

    /// Checks that `affine_activation` gives the bits of `affine` followed
    /// by the activation's own op, in its value and in every gradient.
    fn assert_fused_matches<T: Float>(x_dims: &[usize], activation: AffineActivation) {
        let inputs = x_dims[x_dims.len() - 1];
        let run = |fused: bool| {
            let tape = Tape::<T>::new();
            // Planted zeros make some ReLU inputs exactly 0.
            let mut x_values = values(x_dims, 1).cast::<T>();
            x_values.data_mut()[0] = T::ZERO;
            let x = tape.var(x_values);
            let w = tape.var(values(&[inputs, 5], 2).cast());
            let b = tape.var(values(&[5], 3).cast());
            let y = if fused {
                x.affine_activation(w, b, activation)
            } else {
                let z = x.affine(w, b);
                match activation {
                    AffineActivation::Sigmoid => z.sigmoid(),
                    AffineActivation::Tanh => z.tanh(),
                    AffineActivation::Relu => z.relu(),
                }
            };
            let seed = values(y.value().dims(), 4).cast::<T>();
            let grads = y.backward_with(seed);
            let mut bits: Vec<u64> = y
                .value()
                .data()
                .iter()
                .map(|v| v.to_f64().to_bits())
                .collect();
            for input in [x, w, b] {
                bits.extend(grads.wrt(input).data().iter().map(|v| v.to_f64().to_bits()));
            }
            (bits, tape.len())
        };
        let (fused, fused_nodes) = run(true);
        let (separate, separate_nodes) = run(false);
        assert_eq!(
            fused,
            separate,
            "{activation:?} on {x_dims:?} in {}",
            T::NAME
        );
        assert_eq!(fused_nodes + 1, separate_nodes, "one node fewer");
    }

    #[test]
    fn affine_activation_matches_separate_ops() {
        for activation in [
            AffineActivation::Sigmoid,
            AffineActivation::Tanh,
            AffineActivation::Relu,
        ] {
            for x_dims in [&[7, 3][..], &[1, 4], &[2, 6, 3], &[40, 10]] {
                assert_fused_matches::<f64>(x_dims, activation);
                assert_fused_matches::<f32>(x_dims, activation);
            }
        }
    }

    #[test]
    fn anomaly_mode_sees_overflow_before_activation() {
        let tape = Tape::<f64>::new();
        tape.set_anomaly_mode(crate::AnomalyMode::Record);
        let x = tape.var(Tensor::new(vec![1e200, 1e200], &[1, 2]));
        let w = tape.var(Tensor::new(vec![1e200, 1e200], &[2, 1]));
        let b = tape.var(Tensor::new(vec![0.0], &[1]));
        let y = x.affine_activation(w, b, AffineActivation::Tanh);
        assert_eq!(y.value().data(), &[1.0]);
        let anomaly = tape
            .anomaly()
            .expect("expected the overflow to be reported");
        assert_eq!(anomaly.op, "affine");
        // tanh'(y) = 1 - y^2 = 0 at y = 1, so no gradient reaches the weight.
        let grads = y.sum().backward();
        assert_eq!(grads.wrt(w).data(), &[0.0, 0.0]);
    }

    #[test]
    fn affine_activation_names_its_op() {
        let tape = Tape::<f64>::new();
        let x = tape.var(values(&[2, 3], 1));
        let w = tape.var(values(&[3, 2], 2));
        let b = tape.var(values(&[3], 3));
        let err = x
            .try_affine_activation(w, b, AffineActivation::Tanh)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("affine_tanh: shapes [3, 2] and [3]"),
            "{err}"
        );
        let bias = tape.var(values(&[2], 3));
        let y = x.affine_activation(w, bias, AffineActivation::Sigmoid);
        assert!(
            tape.to_dot().contains("affine_sigmoid"),
            "{}",
            tape.to_dot()
        );
        assert_eq!(y.value().dims(), &[2, 2]);
    }

    #[test]
    fn fill_rows_copies_every_row() {
        let row = [1.5, -2.0, 3.25];
        for rows in [0, 1, 2, 3, 7, 8, 100] {
            let mut out = vec![0.0; rows * row.len()];
            fill_rows(&mut out, &row);
            let expected: Vec<f64> = row.iter().copied().cycle().take(out.len()).collect();
            assert_eq!(out, expected, "{rows} rows");
        }
    }

    /// Returns deterministic values in `[-1, 1)` for a tensor of `dims`.
    fn values(dims: &[usize], salt: usize) -> Tensor<f64> {
        Tensor::from_fn(dims, |i| {
            ((i * 7919 + salt * 104729) % 200) as f64 / 100.0 - 1.0
        })
    }

    #[test]
    fn affine_matches_matmul_plus_bias() {
        for x_dims in [&[5, 3][..], &[1, 3], &[2, 4, 3]] {
            let tape = Tape::new();
            let x = tape.var(values(x_dims, 1));
            let w = tape.var(values(&[3, 4], 2));
            let b = tape.var(values(&[4], 3));
            let fused = x.affine(w, b);
            let composite = x.matmul(w) + b;
            let (fused_value, composite_value) = (fused.to_tensor(), composite.to_tensor());
            assert_eq!(fused_value.dims(), composite_value.dims(), "{x_dims:?}");
            assert!(
                fused_value.max_abs_diff(&composite_value) <= 1e-12,
                "{x_dims:?}"
            );
            let seed = values(fused_value.dims(), 4);
            let fused_grads = fused.backward_with(seed.clone());
            let composite_grads = composite.backward_with(seed);
            for input in [x, w, b] {
                let difference = fused_grads
                    .wrt(input)
                    .max_abs_diff(composite_grads.wrt(input));
                assert!(
                    difference <= 1e-12,
                    "{x_dims:?}: gradient differs by {difference}"
                );
            }
        }
    }

    #[test]
    fn affine_shape_errors() {
        let tape = Tape::<f64>::new();
        let w = tape.var(Tensor::zeros(&[3, 2]));
        let b = tape.var(Tensor::zeros(&[2]));
        let flat = tape.var(Tensor::zeros(&[3]));
        let err = flat.try_affine(w, b).unwrap_err();
        assert!(err.to_string().contains("are not aligned"), "{err}");
        let wrong_features = tape.var(Tensor::zeros(&[4, 2]));
        let err = wrong_features.try_affine(w, b).unwrap_err();
        assert!(err.to_string().contains("[n, 3]"), "{err}");
        let x = tape.var(Tensor::zeros(&[4, 3]));
        let err = x.try_affine(flat, b).unwrap_err();
        assert!(
            err.to_string().contains("reshape the weight to 2-D"),
            "{err}"
        );
        assert_eq!(tape.len(), 5, "a failed op records nothing");
    }

    #[test]
    fn mse_loss_matches_composite() {
        let tape = Tape::new();
        let p = tape.var(values(&[6, 2], 5));
        let t = tape.var(values(&[6, 2], 6));
        let fused = p.mse_loss(t);
        let composite = (p - t).square().mean();
        assert!((fused.item() - composite.item()).abs() <= 1e-15);
        let (fused_grads, composite_grads) = (fused.backward(), composite.backward());
        for input in [p, t] {
            let difference = fused_grads
                .wrt(input)
                .max_abs_diff(composite_grads.wrt(input));
            assert!(difference <= 1e-15, "gradient differs by {difference}");
        }
    }
}
