//! Errors of tensor operations.
//!
//! The policy: an op called with shapes that cannot work is a programming
//! error, so the plain method panics with this error's message, pointing at
//! the caller's line through `#[track_caller]`. Ops whose shapes come from
//! runtime data also have `try_` forms that return the same error instead.

use std::fmt;

/// What went wrong in a tensor operation, with the op and shapes involved.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TensorError {
    /// Two operands' shapes are incompatible for `op`.
    ShapeMismatch {
        /// The op's name, as in `matmul` or `add`.
        op: &'static str,
        /// The first operand's shape.
        lhs: Vec<usize>,
        /// The second operand's shape.
        rhs: Vec<usize>,
        /// Which rule the shapes break, as a sentence fragment.
        reason: String,
    },
    /// An axis argument is outside the operand's rank.
    InvalidAxis {
        /// The op's name.
        op: &'static str,
        /// The axis as given (negative axes count from the end).
        axis: isize,
        /// The operand's shape.
        shape: Vec<usize>,
    },
    /// A data length, index or argument does not fit the shape it is used with.
    InvalidArgument {
        /// The op's name.
        op: &'static str,
        /// The operand's shape.
        shape: Vec<usize>,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl TensorError {
    /// A [`TensorError::ShapeMismatch`] for `op` with both shapes and the rule they break.
    pub fn shape_mismatch(op: &'static str, lhs: &[usize], rhs: &[usize], reason: String) -> Self {
        TensorError::ShapeMismatch {
            op,
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
            reason,
        }
    }

    /// A [`TensorError::InvalidArgument`] for `op` on an operand of shape `shape`.
    pub fn invalid(op: &'static str, shape: &[usize], message: String) -> Self {
        TensorError::InvalidArgument {
            op,
            shape: shape.to_vec(),
            message,
        }
    }

    /// The name of the op that failed.
    pub fn op(&self) -> &'static str {
        match self {
            TensorError::ShapeMismatch { op, .. }
            | TensorError::InvalidAxis { op, .. }
            | TensorError::InvalidArgument { op, .. } => op,
        }
    }
}

impl fmt::Display for TensorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TensorError::ShapeMismatch {
                op,
                lhs,
                rhs,
                reason,
            } => {
                write!(f, "{op}: shapes {:?} and {:?} {reason}", &lhs[..], &rhs[..])
            }
            TensorError::InvalidAxis { op, axis, shape } => write!(
                f,
                "{op}: axis {axis} is out of range for shape {:?} of rank {}; \
                 use an axis in {}..{}",
                &shape[..],
                shape.len(),
                -(shape.len() as isize),
                shape.len()
            ),
            TensorError::InvalidArgument { op, shape, message } => {
                write!(f, "{op}: {message} (shape {:?})", &shape[..])
            }
        }
    }
}

impl std::error::Error for TensorError {}

/// Panics with the error's message at the caller's source line.
///
/// Every panicking op goes through this helper, so all shape panics read
/// the same way and point at user code rather than at this crate.
#[track_caller]
#[cold]
pub(crate) fn raise(err: TensorError) -> ! {
    panic!("{err}")
}

/// Unwraps an op result, panicking at the caller's line on error.
#[track_caller]
#[inline]
pub(crate) fn unwrap_op<V>(result: Result<V, TensorError>) -> V {
    match result {
        Ok(value) => value,
        Err(err) => raise(err),
    }
}
