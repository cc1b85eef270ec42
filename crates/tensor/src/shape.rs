//! Shapes, strides and NumPy broadcasting rules.

use smallvec::SmallVec;

use crate::error::TensorError;

/// The dimensions of a tensor, outermost first. Up to four dimensions are
/// stored inline without a heap allocation.
pub type Shape = SmallVec<[usize; 4]>;

/// Builds a [`Shape`] from a slice of dimensions.
pub fn shape(dims: &[usize]) -> Shape {
    Shape::from_slice(dims)
}

/// The number of elements of a tensor with these dimensions (1 for rank 0).
pub fn numel(dims: &[usize]) -> usize {
    dims.iter().product()
}

/// Row-major strides, in elements, of a contiguous tensor with these dims.
pub fn contiguous_strides(dims: &[usize]) -> Shape {
    let mut strides: Shape = smallvec::smallvec![0; dims.len()];
    let mut stride = 1;
    for (axis, &dim) in dims.iter().enumerate().rev() {
        strides[axis] = stride;
        stride *= dim;
    }
    strides
}

/// The shape that two operands broadcast to under NumPy's rules.
///
/// The shorter shape is padded with leading ones; then each pair of
/// dimensions must be equal or contain a 1, and the result takes the larger.
///
/// # Errors
///
/// [`TensorError::ShapeMismatch`] naming `op` and both shapes when a pair of
/// dimensions differs and neither is 1.
pub fn broadcast_shapes(
    op: &'static str,
    lhs: &[usize],
    rhs: &[usize],
) -> Result<Shape, TensorError> {
    let rank = lhs.len().max(rhs.len());
    let mut out: Shape = smallvec::smallvec![0; rank];
    for axis in 0..rank {
        let l = dim_from_right(lhs, rank, axis);
        let r = dim_from_right(rhs, rank, axis);
        out[axis] = if l == r || r == 1 {
            l
        } else if l == 1 {
            r
        } else {
            return Err(TensorError::shape_mismatch(
                op,
                lhs,
                rhs,
                format!(
                    "cannot be broadcast: dimension {axis} of the broadcast result \
                     would need {l} and {r} to match (sizes must be equal or 1)"
                ),
            ));
        };
    }
    Ok(out)
}

/// The dimension of `dims` aligned with `axis` of a rank-`rank` shape, or 1
/// where `dims` has no such axis (NumPy pads missing leading axes with 1).
fn dim_from_right(dims: &[usize], rank: usize, axis: usize) -> usize {
    let pad = rank - dims.len();
    if axis < pad {
        1
    } else {
        dims[axis - pad]
    }
}

/// Strides that read an operand of shape `dims` as if it had shape `out`:
/// broadcast axes (size 1, or missing on the left) get stride 0.
///
/// `dims` must broadcast to `out`; this is not checked.
pub(crate) fn broadcast_strides(dims: &[usize], out: &[usize]) -> Shape {
    let own = contiguous_strides(dims);
    let pad = out.len() - dims.len();
    let mut strides: Shape = smallvec::smallvec![0; out.len()];
    for axis in pad..out.len() {
        let dim = dims[axis - pad];
        strides[axis] = if dim == 1 && out[axis] != 1 {
            0
        } else {
            own[axis - pad]
        };
    }
    strides
}

/// Normalises an axis that may count from the end (`-1` is the last axis).
///
/// # Errors
///
/// [`TensorError::InvalidAxis`] when the axis is outside `-rank..rank`.
pub fn normalize_axis(op: &'static str, axis: isize, dims: &[usize]) -> Result<usize, TensorError> {
    let rank = dims.len() as isize;
    let resolved = if axis < 0 { axis + rank } else { axis };
    if resolved < 0 || resolved >= rank {
        return Err(TensorError::InvalidAxis {
            op,
            axis,
            shape: dims.to_vec(),
        });
    }
    Ok(resolved as usize)
}
