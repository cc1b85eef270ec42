//! Layout ops, which move elements without changing their values: permute
//! and transpose, concat and stack, slice and index_select.
//!
//! Every backward rule here routes each element of the upstream gradient
//! back to the input element it was copied from. Where an input element was
//! copied to several outputs (index_select with repeated indices), the
//! copies' gradients add up.

use std::ops::Range;
use std::rc::Rc;

use smallvec::SmallVec;

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::kernels::broadcast::for_each_offset;
use crate::op::{Axes, Op};
use crate::shape::{contiguous_strides, normalize_axis, numel, Shape};
use crate::tape::{NodeId, Pool};
use crate::tensor::Tensor;
use crate::var::Var;

/// A layout op with what its backward rule needs beyond the input and
/// output values.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LayoutOp {
    /// Output axis `i` is input axis `perm[i]`.
    Permute(Axes),
    /// The inputs joined along an existing axis.
    Concat { axis: usize },
    /// The inputs joined along a new axis at position `axis` of the output.
    Stack { axis: usize },
    /// The elements `start..start + len` along `axis`, where `len` is the
    /// output's size on that axis.
    Slice { axis: usize, start: usize },
    /// The entries `indices` along `axis`, in that order, repeats allowed.
    IndexSelect { axis: usize, indices: Rc<[usize]> },
}

impl LayoutOp {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            LayoutOp::Permute(_) => "permute",
            LayoutOp::Concat { .. } => "concat",
            LayoutOp::Stack { .. } => "stack",
            LayoutOp::Slice { .. } => "slice",
            LayoutOp::IndexSelect { .. } => "index_select",
        }
    }
}

/// Splits a row-major shape around `axis` into the sizes
/// `[outer, dims[axis], inner]`.
fn split_at_axis(dims: &[usize], axis: usize) -> (usize, usize, usize) {
    (numel(&dims[..axis]), dims[axis], numel(&dims[axis + 1..]))
}

/// One side of [`copy_along_axis`]: a buffer seen as `[outer, len, inner]`,
/// and the position along the middle axis where the copied block starts.
struct AxisBlock<S> {
    data: S,
    len: usize,
    start: usize,
}

fn block<S>(data: S, len: usize, start: usize) -> AxisBlock<S> {
    AxisBlock { data, len, start }
}

/// For every outer index, copies `count` positions along the middle axis
/// (each `inner` contiguous elements) from `src` to `dst`, adding to `dst`
/// instead of overwriting when `add` is set.
fn copy_along_axis<T: Float>(
    src: AxisBlock<&[T]>,
    dst: AxisBlock<&mut [T]>,
    count: usize,
    outer: usize,
    inner: usize,
    add: bool,
) {
    let width = count * inner;
    for o in 0..outer {
        let from = (o * src.len + src.start) * inner;
        let to = (o * dst.len + dst.start) * inner;
        let source = &src.data[from..from + width];
        let target = &mut dst.data[to..to + width];
        if add {
            for (t, &s) in target.iter_mut().zip(source) {
                *t += s;
            }
        } else {
            target.copy_from_slice(source);
        }
    }
}

/// Writes the permutation of `input` (shape `dims`) whose axis `i` is input
/// axis `perm[i]` into `out`.
fn permute_into<T: Float>(input: &[T], dims: &[usize], perm: &[usize], out: &mut [T]) {
    let strides = contiguous_strides(dims);
    let out_dims: Shape = perm.iter().map(|&p| dims[p]).collect();
    let read_strides: Shape = perm.iter().map(|&p| strides[p]).collect();
    let mut slot = out.iter_mut();
    for_each_offset(&out_dims, &read_strides, &read_strides, |offset, _| {
        if let Some(o) = slot.next() {
            *o = input[offset];
        }
    });
}

/// Returns the size of one input of a concat or stack along the joined
/// axis: its own size there for concat, 1 for stack.
fn joined_extent<T: Float>(op: &LayoutOp, input: &Tensor<T>) -> usize {
    match op {
        LayoutOp::Concat { axis } => input.dims()[*axis],
        _ => 1,
    }
}

/// Computes the gradient with respect to input `position` of a layout op,
/// from the values of all its inputs and `dL/dy`.
pub(crate) fn backward<T: Float>(
    op: &LayoutOp,
    inputs: &[&Tensor<T>],
    position: usize,
    grad: &Tensor<T>,
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let input = inputs[position];
    let mut out = pool.tensor(input.dims());
    match op {
        // The inverse permutation moves each gradient element back to the
        // place its input element came from.
        LayoutOp::Permute(perm) => {
            let mut inverse: Axes = smallvec::smallvec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inverse[p] = i;
            }
            permute_into(grad.data(), grad.dims(), &inverse, out.data_mut());
        }
        // Each input receives its own block of the output's gradient.
        LayoutOp::Concat { axis } | LayoutOp::Stack { axis } => {
            let (outer, total, inner) = split_at_axis(grad.dims(), *axis);
            let extent = joined_extent(op, input);
            let start: usize = inputs[..position]
                .iter()
                .map(|earlier| joined_extent(op, earlier))
                .sum();
            copy_along_axis(
                block(grad.data(), total, start),
                block(out.data_mut(), extent, 0),
                extent,
                outer,
                inner,
                false,
            );
        }
        // Elements outside the slice do not reach the output: gradient 0.
        LayoutOp::Slice { axis, start } => {
            let (outer, len, inner) = split_at_axis(input.dims(), *axis);
            let count = grad.dims()[*axis];
            out.data_mut().fill(T::ZERO);
            copy_along_axis(
                block(grad.data(), count, 0),
                block(out.data_mut(), len, *start),
                count,
                outer,
                inner,
                false,
            );
        }
        // Scatter-add: an index selected `r` times receives the sum of its
        // `r` gradient slices, and an unselected index receives 0.
        LayoutOp::IndexSelect { axis, indices } => {
            let (outer, len, inner) = split_at_axis(input.dims(), *axis);
            out.data_mut().fill(T::ZERO);
            for (j, &index) in indices.iter().enumerate() {
                copy_along_axis(
                    block(grad.data(), indices.len(), j),
                    block(out.data_mut(), len, index),
                    1,
                    outer,
                    inner,
                    true,
                );
            }
        }
    }
    out
}

impl<'t, T: Float> Var<'t, T> {
    /// Records a layout op on `inputs` whose value `compute` writes, given
    /// the input values, into a buffer of shape `out_dims`.
    #[track_caller]
    fn record_layout(
        inputs: &[Self],
        op: LayoutOp,
        out_dims: &[usize],
        compute: impl FnOnce(&[&Tensor<T>], &mut [T]),
    ) -> Self {
        let first = inputs[0];
        let (value, requires_grad) = {
            let mut guard = first.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let mut out = inner.pool.tensor(out_dims);
            let values: SmallVec<[&Tensor<T>; 4]> =
                inputs.iter().map(|v| &inner.nodes[v.id()].value).collect();
            compute(&values, out.data_mut());
            let requires_grad = inputs.iter().any(|v| inner.nodes[v.id()].requires_grad);
            (out, requires_grad)
        };
        let ids: SmallVec<[NodeId; 4]> = inputs.iter().map(|v| v.id()).collect();
        first.record(Op::Layout { inputs: ids, op }, value, requires_grad)
    }

    /// Reorders the axes, returning an error instead of panicking: output
    /// axis `i` is input axis `axes[i]` (negative axes count from the end).
    ///
    /// # Errors
    ///
    /// [`TensorError::InvalidAxis`] when an axis is out of range, or
    /// [`TensorError::InvalidArgument`] when `axes` is not a permutation of
    /// every axis.
    #[track_caller]
    pub fn try_permute(self, axes: &[isize]) -> Result<Self, TensorError> {
        self.try_permute_as("permute", axes)
    }

    #[track_caller]
    fn try_permute_as(self, name: &'static str, axes: &[isize]) -> Result<Self, TensorError> {
        let dims = self.shape();
        let mut perm = Axes::new();
        for &axis in axes {
            perm.push(normalize_axis(name, axis, &dims)?);
        }
        let mut seen = perm.clone();
        seen.sort_unstable();
        if perm.len() != dims.len() || seen.iter().enumerate().any(|(i, &axis)| i != axis) {
            return Err(TensorError::invalid(
                name,
                &dims,
                format!(
                    "axes {axes:?} are not a permutation of the {} axes; list every axis once",
                    dims.len()
                ),
            ));
        }

        let out_dims: Shape = perm.iter().map(|&p| dims[p]).collect();
        let op = LayoutOp::Permute(perm.clone());
        Ok(Self::record_layout(
            &[self],
            op,
            &out_dims,
            |values, out| {
                permute_into(values[0].data(), values[0].dims(), &perm, out);
            },
        ))
    }

    /// Reorders the axes: output axis `i` is input axis `axes[i]` (negative
    /// axes count from the end). `[2, 3, 4]` permuted by `[2, 0, 1]` is
    /// `[4, 2, 3]`. The gradient is permuted back by the inverse permutation.
    ///
    /// # Panics
    ///
    /// When `axes` is not a permutation of every axis; see
    /// [`Var::try_permute`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_fn(&[2, 3, 4], |i| i as f64));
    /// let y = x.permute(&[2, 0, 1]);
    /// assert_eq!(y.value().dims(), &[4, 2, 3]);
    /// assert_eq!(y.value().get(&[3, 1, 2]), x.value().get(&[1, 2, 3]));
    /// ```
    #[track_caller]
    pub fn permute(self, axes: &[isize]) -> Self {
        unwrap_op(self.try_permute(axes))
    }

    /// The transpose of a matrix: `[m, n]` to `[n, m]`. Recorded as a
    /// [`Var::permute`].
    ///
    /// # Panics
    ///
    /// When the var is not 2-D; use [`Var::transpose_axes`] or
    /// [`Var::permute`] for other ranks.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]));
    /// let t = x.transpose();
    /// assert_eq!(t.value().dims(), &[3, 2]);
    /// assert_eq!(t.value().data(), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn transpose(self) -> Self {
        let dims = self.shape();
        if dims.len() != 2 {
            crate::error::raise(TensorError::invalid(
                "transpose",
                &dims,
                "the var is not 2-D; use transpose_axes(a, b) or permute for other ranks"
                    .to_string(),
            ));
        }
        unwrap_op(self.try_permute_as("transpose", &[1, 0]))
    }

    /// Swaps axes `a` and `b` (negative axes count from the end):
    /// `[2, 3, 4]` with axes `0` and `-1` swapped is `[4, 3, 2]`.
    ///
    /// # Panics
    ///
    /// When either axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::zeros(&[2, 3, 4]));
    /// assert_eq!(x.transpose_axes(0, -1).value().dims(), &[4, 3, 2]);
    /// ```
    #[track_caller]
    pub fn transpose_axes(self, a: isize, b: isize) -> Self {
        let dims = self.shape();
        let a = unwrap_op(normalize_axis("transpose_axes", a, &dims));
        let b = unwrap_op(normalize_axis("transpose_axes", b, &dims));
        let mut perm: SmallVec<[isize; 4]> = (0..dims.len() as isize).collect();
        perm.swap(a, b);
        unwrap_op(self.try_permute_as("transpose_axes", &perm))
    }

    /// Joins vars along an existing axis, returning an error instead of
    /// panicking. See [`Var::concat`].
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] naming the first var's shape and the
    /// first shape that differs from it in rank or outside `axis`;
    /// [`TensorError::InvalidAxis`] when `axis` is out of range;
    /// [`TensorError::InvalidArgument`] when `vars` is empty.
    ///
    /// # Panics
    ///
    /// When the vars are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor, Var};
    ///
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::zeros(&[2, 3]));
    /// let b = tape.var(Tensor::zeros(&[3, 3]));
    /// let err = Var::try_concat(&[a, b], 1).unwrap_err();
    /// assert!(err.to_string().starts_with("concat: shapes [2, 3] and [3, 3] differ"));
    /// ```
    #[track_caller]
    pub fn try_concat(vars: &[Self], axis: isize) -> Result<Self, TensorError> {
        let first = first_input("concat", vars)?;
        let dims = first.shape();
        let axis = normalize_axis("concat", axis, &dims)?;
        let mut out_dims = dims.clone();
        out_dims[axis] = 0;
        for &var in vars {
            first.check_same_tape(var, "concat");
            let other = var.shape();
            if other.len() != dims.len() {
                return Err(TensorError::shape_mismatch(
                    "concat",
                    &dims,
                    &other,
                    format!(
                        "have different ranks ({} and {}); concat needs vars of one rank",
                        dims.len(),
                        other.len()
                    ),
                ));
            }
            let differs = (0..dims.len()).find(|&d| d != axis && dims[d] != other[d]);
            if let Some(d) = differs {
                return Err(TensorError::shape_mismatch(
                    "concat",
                    &dims,
                    &other,
                    format!(
                        "differ outside the concat axis {axis}: axis {d} has sizes {} and {}; \
                         every axis but the concat axis must match",
                        dims[d], other[d]
                    ),
                ));
            }
            out_dims[axis] += other[axis];
        }

        let op = LayoutOp::Concat { axis };
        Ok(Self::record_layout(vars, op, &out_dims, |values, out| {
            join_into(values, axis, &out_dims, |v| v.dims()[axis], out);
        }))
    }

    /// Joins vars along an existing axis (negative axes count from the end):
    /// `[2, 3]` and `[2, 5]` along axis 1 give `[2, 8]`. Every other axis
    /// must match. Each input's gradient is its block of the output's
    /// gradient.
    ///
    /// # Panics
    ///
    /// When `vars` is empty or on different tapes, the shapes differ in rank
    /// or outside `axis`, or the axis is out of range. See
    /// [`Var::try_concat`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor, Var};
    ///
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::new(vec![1.0, 2.0], &[2, 1]));
    /// let b = tape.var(Tensor::new(vec![3.0, 4.0, 5.0, 6.0], &[2, 2]));
    /// let c = Var::concat(&[a, b], -1);
    /// assert_eq!(c.value().dims(), &[2, 3]);
    /// assert_eq!(c.value().data(), &[1.0, 3.0, 4.0, 2.0, 5.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn concat(vars: &[Self], axis: isize) -> Self {
        unwrap_op(Self::try_concat(vars, axis))
    }

    /// Joins vars of one shape along a new axis, returning an error instead
    /// of panicking. See [`Var::stack`].
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] naming the first var's shape and the
    /// first shape that differs from it; [`TensorError::InvalidArgument`]
    /// when `vars` is empty or `axis` is outside `-(rank + 1)..=rank`.
    ///
    /// # Panics
    ///
    /// When the vars are on different tapes.
    #[track_caller]
    pub fn try_stack(vars: &[Self], axis: isize) -> Result<Self, TensorError> {
        let first = first_input("stack", vars)?;
        let dims = first.shape();
        let out_rank = dims.len() as isize + 1;
        let resolved = if axis < 0 { axis + out_rank } else { axis };
        if !(0..out_rank).contains(&resolved) {
            return Err(TensorError::invalid(
                "stack",
                &dims,
                format!(
                    "axis {axis} is out of range for stacking vars of rank {}; use an axis \
                     in {}..{}",
                    dims.len(),
                    -out_rank,
                    out_rank
                ),
            ));
        }
        let axis = resolved as usize;
        for &var in vars {
            first.check_same_tape(var, "stack");
            let other = var.shape();
            if other != dims {
                return Err(TensorError::shape_mismatch(
                    "stack",
                    &dims,
                    &other,
                    "differ; stack needs vars of one shape".to_string(),
                ));
            }
        }

        let mut out_dims = dims.clone();
        out_dims.insert(axis, vars.len());
        let op = LayoutOp::Stack { axis };
        Ok(Self::record_layout(vars, op, &out_dims, |values, out| {
            join_into(values, axis, &out_dims, |_| 1, out);
        }))
    }

    /// Joins vars of one shape along a new axis at position `axis` of the
    /// output (negative axes count from the end of the output's axes): three
    /// `[2, 4]` vars stacked on axis 1 give `[2, 3, 4]`.
    ///
    /// # Panics
    ///
    /// When `vars` is empty, the shapes differ, the axis is out of range, or
    /// the vars are on different tapes; see [`Var::try_stack`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor, Var};
    ///
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::new(vec![1.0, 2.0], &[2]));
    /// let b = tape.var(Tensor::new(vec![3.0, 4.0], &[2]));
    /// assert_eq!(Var::stack(&[a, b], 0).value().data(), &[1.0, 2.0, 3.0, 4.0]);
    /// let columns = Var::stack(&[a, b], -1);
    /// assert_eq!(columns.value().dims(), &[2, 2]);
    /// assert_eq!(columns.value().data(), &[1.0, 3.0, 2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn stack(vars: &[Self], axis: isize) -> Self {
        unwrap_op(Self::try_stack(vars, axis))
    }

    /// The elements `range` along `axis`, returning an error instead of
    /// panicking. See [`Var::slice`].
    ///
    /// # Errors
    ///
    /// [`TensorError::InvalidAxis`] when the axis is out of range, or
    /// [`TensorError::InvalidArgument`] when `range` does not fit the axis.
    #[track_caller]
    pub fn try_slice(self, axis: isize, range: Range<usize>) -> Result<Self, TensorError> {
        let dims = self.shape();
        let axis = normalize_axis("slice", axis, &dims)?;
        let size = dims[axis];
        if range.start > range.end || range.end > size {
            return Err(TensorError::invalid(
                "slice",
                &dims,
                format!(
                    "range {}..{} does not fit axis {axis} of size {size}; use \
                     start <= end <= {size}",
                    range.start, range.end
                ),
            ));
        }

        let mut out_dims = dims.clone();
        out_dims[axis] = range.len();
        let op = LayoutOp::Slice {
            axis,
            start: range.start,
        };
        Ok(Self::record_layout(
            &[self],
            op,
            &out_dims,
            |values, out| {
                let (outer, len, inner) = split_at_axis(values[0].dims(), axis);
                copy_along_axis(
                    block(values[0].data(), len, range.start),
                    block(out, range.len(), 0),
                    range.len(),
                    outer,
                    inner,
                    false,
                );
            },
        ))
    }

    /// The elements `range` along `axis` (negative axes count from the end):
    /// `[4, 5]` sliced on axis 1 by `1..3` is `[4, 2]`. An empty range gives
    /// a size-0 axis. Elements outside the range receive a zero gradient.
    ///
    /// # Panics
    ///
    /// When the axis is out of range or `range` does not fit it; see
    /// [`Var::try_slice`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]));
    /// let y = x.slice(1, 1..3);
    /// assert_eq!(y.value().data(), &[2.0, 3.0, 5.0, 6.0]);
    /// assert_eq!(y.sum().backward().wrt(x).data(), &[0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn slice(self, axis: isize, range: Range<usize>) -> Self {
        unwrap_op(self.try_slice(axis, range))
    }

    /// The entries `indices` along `axis`, returning an error instead of
    /// panicking. See [`Var::index_select`].
    ///
    /// # Errors
    ///
    /// [`TensorError::InvalidAxis`] when the axis is out of range, or
    /// [`TensorError::InvalidArgument`] naming the first index that is not
    /// below the axis's size.
    #[track_caller]
    pub fn try_index_select(self, axis: isize, indices: &[usize]) -> Result<Self, TensorError> {
        let dims = self.shape();
        let axis = normalize_axis("index_select", axis, &dims)?;
        let size = dims[axis];
        if let Some(position) = indices.iter().position(|&index| index >= size) {
            return Err(TensorError::invalid(
                "index_select",
                &dims,
                format!(
                    "index {} at position {position} is out of range for axis {axis} of size \
                     {size}; use indices below {size}",
                    indices[position]
                ),
            ));
        }

        let mut out_dims = dims.clone();
        out_dims[axis] = indices.len();
        let indices: Rc<[usize]> = Rc::from(indices);
        let op = LayoutOp::IndexSelect {
            axis,
            indices: Rc::clone(&indices),
        };
        Ok(Self::record_layout(
            &[self],
            op,
            &out_dims,
            |values, out| {
                let (outer, len, inner) = split_at_axis(values[0].dims(), axis);
                for (j, &index) in indices.iter().enumerate() {
                    copy_along_axis(
                        block(values[0].data(), len, index),
                        block(&mut *out, indices.len(), j),
                        1,
                        outer,
                        inner,
                        false,
                    );
                }
            },
        ))
    }

    /// The entries `indices` along `axis` (negative axes count from the
    /// end), in the given order: the output's size on `axis` is
    /// `indices.len()`. Indices may repeat; an entry selected `r` times
    /// receives the sum of its `r` gradients.
    ///
    /// # Panics
    ///
    /// When the axis is out of range or an index is not below its size; see
    /// [`Var::try_index_select`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![10.0, 20.0, 30.0], &[3]));
    /// let y = x.index_select(0, &[2, 0, 2]);
    /// assert_eq!(y.value().data(), &[30.0, 10.0, 30.0]);
    /// assert_eq!(y.sum().backward().wrt(x).data(), &[1.0, 0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn index_select(self, axis: isize, indices: &[usize]) -> Self {
        unwrap_op(self.try_index_select(axis, indices))
    }
}

/// Returns the first input of a concat or stack, or an error when there is
/// none.
fn first_input<'t, T: Float>(
    op: &'static str,
    vars: &[Var<'t, T>],
) -> Result<Var<'t, T>, TensorError> {
    vars.first().copied().ok_or_else(|| {
        TensorError::invalid(op, &[], "no vars given; pass at least one".to_string())
    })
}

/// Writes the inputs one after another along `axis` of `out_dims`, each
/// taking `extent(input)` positions there.
fn join_into<T: Float>(
    values: &[&Tensor<T>],
    axis: usize,
    out_dims: &[usize],
    extent: impl Fn(&Tensor<T>) -> usize,
    out: &mut [T],
) {
    let (outer, total, inner) = split_at_axis(out_dims, axis);
    let mut start = 0;
    for value in values {
        let count = extent(value);
        copy_along_axis(
            block(value.data(), count, 0),
            block(&mut *out, total, start),
            count,
            outer,
            inner,
            false,
        );
        start += count;
    }
}
