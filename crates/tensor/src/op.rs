//! The typed record of each operation on the tape.
//!
//! Every op is one variant naming its input nodes and whatever its backward
//! rule needs beyond the input and output values, which the tape keeps
//! anyway. Families of ops share a variant with an inner enum, so that
//! [`crate::backward`] dispatches in one exhaustive `match` per family and
//! the compiler rejects an op without a backward rule.

use std::rc::Rc;

use smallvec::SmallVec;

use crate::custom::CustomOp;
use crate::float::Float;
use crate::kernels::conv::ConvGeometry;
use crate::ops::binary::BinaryOp;
use crate::ops::fused::AffineActivation;
use crate::ops::layout::LayoutOp;
use crate::ops::reduce::ReduceOp;
use crate::ops::unary::UnaryOp;
use crate::shape::Shape;
use crate::tape::NodeId;

/// Axes of a reduction, ascending, without repeats.
pub(crate) type Axes = SmallVec<[usize; 4]>;

/// One recorded operation.
#[derive(Clone)]
pub(crate) enum Op<T: Float> {
    /// An input, constant or parameter: nothing to differentiate through.
    Leaf,
    /// An elementwise function of one input.
    Unary { input: NodeId, op: UnaryOp<T> },
    /// An elementwise function of two NumPy-broadcast inputs.
    Binary {
        lhs: NodeId,
        rhs: NodeId,
        op: BinaryOp,
    },
    /// A reduction over `axes`; the output keeps or drops them, and backward
    /// only needs the input's shape with the axes kept.
    Reduce {
        input: NodeId,
        op: ReduceOp,
        axes: Axes,
    },
    /// A matrix product of 2-D operands, or of 3-D batches.
    Matmul { lhs: NodeId, rhs: NodeId },
    /// A new shape over the same row-major data.
    Reshape { input: NodeId },
    /// A repeat of the input along broadcast axes.
    BroadcastTo { input: NodeId, input_shape: Shape },
    /// A 1-D or 2-D convolution with an optional bias, lowered to GEMM.
    Conv {
        input: NodeId,
        weight: NodeId,
        bias: Option<NodeId>,
        geometry: ConvGeometry,
    },
    /// A layout op (permute, concat, stack, slice, index_select): elements
    /// moved or copied without changing their values.
    Layout {
        inputs: SmallVec<[NodeId; 4]>,
        op: LayoutOp,
    },
    /// Softmax, or log-softmax when `log` is set, along `axis`. Backward
    /// needs only the output.
    Softmax {
        input: NodeId,
        axis: usize,
        log: bool,
    },
    /// The affine map `input weight + bias` of a dense layer, as one node,
    /// and the activation applied to it, if any. The node's value is the
    /// activation's output.
    Affine {
        input: NodeId,
        weight: NodeId,
        bias: NodeId,
        activation: Option<AffineActivation>,
    },
    /// The mean squared error `mean((prediction - target)^2)`, as one node.
    MseLoss { prediction: NodeId, target: NodeId },
    /// A user-defined op.
    Custom {
        inputs: SmallVec<[NodeId; 4]>,
        op: Rc<dyn CustomOp<T>>,
    },
}

impl<T: Float> Op<T> {
    /// The op's name, as used in error messages, anomaly reports and printed
    /// tapes.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Op::Leaf => "leaf",
            Op::Unary { op, .. } => op.name(),
            Op::Binary { op, .. } => op.name(),
            Op::Reduce { op, .. } => op.name(),
            Op::Matmul { .. } => "matmul",
            Op::Reshape { .. } => "reshape",
            Op::BroadcastTo { .. } => "broadcast_to",
            Op::Conv { geometry, .. } => geometry.op,
            Op::Layout { op, .. } => op.name(),
            Op::Softmax { log: false, .. } => "softmax",
            Op::Softmax { log: true, .. } => "log_softmax",
            Op::Affine {
                activation: None, ..
            } => "affine",
            Op::Affine {
                activation: Some(activation),
                ..
            } => activation.op_name(),
            Op::MseLoss { .. } => "mse_loss",
            Op::Custom { op, .. } => op.name(),
        }
    }

    /// The input nodes, in argument order.
    pub(crate) fn inputs(&self) -> SmallVec<[NodeId; 4]> {
        match self {
            Op::Leaf => SmallVec::new(),
            Op::Unary { input, .. }
            | Op::Reduce { input, .. }
            | Op::Reshape { input }
            | Op::BroadcastTo { input, .. }
            | Op::Softmax { input, .. } => smallvec::smallvec![*input],
            Op::Binary { lhs, rhs, .. } | Op::Matmul { lhs, rhs } => {
                smallvec::smallvec![*lhs, *rhs]
            }
            Op::Affine {
                input,
                weight,
                bias,
                ..
            } => smallvec::smallvec![*input, *weight, *bias],
            Op::MseLoss { prediction, target } => smallvec::smallvec![*prediction, *target],
            Op::Conv {
                input,
                weight,
                bias,
                ..
            } => {
                let mut inputs = smallvec::smallvec![*input, *weight];
                inputs.extend(*bias);
                inputs
            }
            Op::Layout { inputs, .. } | Op::Custom { inputs, .. } => inputs.clone(),
        }
    }
}
