//! Convolutions over one and two spatial axes, lowered to GEMM through
//! im2col.
//!
//! Both compute the cross-correlation that PyTorch's `conv1d` and `conv2d`
//! compute (the kernel is not flipped). A 1-D convolution runs as a 2-D one
//! over an input of height 1.

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::kernels::conv::{col2im_add, im2col, ConvGeometry};
use crate::kernels::matmul::{gemm, Layout};
use crate::op::Op;
use crate::shape::Shape;
use crate::tape::Pool;
use crate::tensor::Tensor;
use crate::var::Var;

/// Stride and zero padding of [`Var::conv2d`], per spatial axis as
/// `[height, width]`.
///
/// The default is stride 1 and no padding on both axes. There is no
/// dilation and there are no groups.
///
/// # Examples
///
/// ```
/// use tensor::Conv2dConfig;
///
/// let config = Conv2dConfig { stride: [2, 2], ..Conv2dConfig::default() };
/// assert_eq!(config.padding, [0, 0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv2dConfig {
    /// The step between neighbouring output positions along the height and
    /// the width, in input elements; each must be at least 1.
    pub stride: [usize; 2],
    /// The number of zeros added before and after the input along the
    /// height and the width.
    pub padding: [usize; 2],
}

impl Default for Conv2dConfig {
    fn default() -> Self {
        Conv2dConfig {
            stride: [1, 1],
            padding: [0, 0],
        }
    }
}

/// Stride and zero padding of [`Var::conv1d`].
///
/// The default is stride 1 and no padding. There is no dilation and there
/// are no groups.
///
/// # Examples
///
/// ```
/// use tensor::Conv1dConfig;
///
/// let config = Conv1dConfig { padding: 1, ..Conv1dConfig::default() };
/// assert_eq!(config.stride, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv1dConfig {
    /// The step between neighbouring output positions, in input elements;
    /// at least 1.
    pub stride: usize,
    /// The number of zeros added before and after the input.
    pub padding: usize,
}

impl Default for Conv1dConfig {
    fn default() -> Self {
        Conv1dConfig {
            stride: 1,
            padding: 0,
        }
    }
}

impl Conv2dConfig {
    /// Computes the output shape of [`Var::conv2d`] for an input and a
    /// weight of the given shapes, without computing anything else:
    /// `[batch, out_channels, out_height, out_width]` with
    /// `out = (in + 2 padding - kernel) / stride + 1` per axis.
    ///
    /// # Errors
    ///
    /// As [`Var::try_conv2d`] without a bias.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::Conv2dConfig;
    ///
    /// let config = Conv2dConfig { stride: [2, 2], padding: [1, 1] };
    /// let shape = config.output_shape(&[8, 3, 32, 32], &[16, 3, 3, 3]).unwrap();
    /// assert_eq!(&shape[..], &[8, 16, 16, 16]);
    /// ```
    pub fn output_shape(&self, input: &[usize], weight: &[usize]) -> Result<Shape, TensorError> {
        let g = conv_geometry("conv2d", input, weight, None, self.stride, self.padding, 2)?;
        Ok(Shape::from_slice(&[
            g.batch,
            g.out_channels,
            g.out_height,
            g.out_width,
        ]))
    }
}

impl Conv1dConfig {
    /// Computes the output shape of [`Var::conv1d`] for an input and a
    /// weight of the given shapes, without computing anything else:
    /// `[batch, out_channels, out_length]` with
    /// `out_length = (length + 2 padding - kernel) / stride + 1`.
    ///
    /// # Errors
    ///
    /// As [`Var::try_conv1d`] without a bias.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::Conv1dConfig;
    ///
    /// let config = Conv1dConfig { stride: 1, padding: 1 };
    /// let shape = config.output_shape(&[21, 1, 2], &[1, 1, 3]).unwrap();
    /// assert_eq!(&shape[..], &[21, 1, 2]);
    /// ```
    pub fn output_shape(&self, input: &[usize], weight: &[usize]) -> Result<Shape, TensorError> {
        let g = conv_geometry(
            "conv1d",
            input,
            weight,
            None,
            [1, self.stride],
            [0, self.padding],
            1,
        )?;
        Ok(Shape::from_slice(&[g.batch, g.out_channels, g.out_width]))
    }
}

/// Returns the axis names of a convolution's input and weight, for messages.
fn layouts(spatial_rank: usize) -> (&'static str, &'static str) {
    if spatial_rank == 1 {
        (
            "[batch, channels, length]",
            "[out_channels, in_channels, kernel]",
        )
    } else {
        (
            "[batch, channels, height, width]",
            "[out_channels, in_channels, kernel_height, kernel_width]",
        )
    }
}

/// Checks the operands of a convolution over `spatial_rank` axes (1 or 2)
/// and returns its geometry. `stride` and `padding` are `[height, width]`;
/// for one spatial axis only the width entries are used.
fn conv_geometry(
    op: &'static str,
    input: &[usize],
    weight: &[usize],
    bias: Option<&[usize]>,
    stride: [usize; 2],
    padding: [usize; 2],
    spatial_rank: usize,
) -> Result<ConvGeometry, TensorError> {
    let rank = spatial_rank + 2;
    let (input_layout, weight_layout) = layouts(spatial_rank);
    if input.len() != rank {
        return Err(TensorError::shape_mismatch(
            op,
            input,
            weight,
            format!("do not fit: the input must be {rank}-D {input_layout}"),
        ));
    }
    if weight.len() != rank {
        return Err(TensorError::shape_mismatch(
            op,
            input,
            weight,
            format!("do not fit: the weight must be {rank}-D {weight_layout}"),
        ));
    }
    if weight.contains(&0) {
        return Err(TensorError::invalid(
            op,
            weight,
            format!(
                "the weight {weight_layout} has a zero-sized dimension; channels and kernel \
                 sizes must be at least 1"
            ),
        ));
    }
    if input[1] != weight[1] {
        return Err(TensorError::shape_mismatch(
            op,
            input,
            weight,
            format!(
                "do not fit: the input has in_channels = {} but the weight {weight_layout} \
                 expects in_channels = {}; the input's axis 1 must equal the weight's axis 1",
                input[1], weight[1]
            ),
        ));
    }

    let axes = 2 - spatial_rank..2;
    if stride[axes.clone()].contains(&0) {
        return Err(TensorError::invalid(
            op,
            input,
            format!(
                "stride {:?} contains a zero; every stride must be at least 1",
                &stride[axes]
            ),
        ));
    }
    // Spatial sizes as [height, width], with height 1 for one spatial axis.
    let (in_size, kernel) = if spatial_rank == 1 {
        ([1, input[2]], [1, weight[2]])
    } else {
        ([input[2], input[3]], [weight[2], weight[3]])
    };
    let padded = [in_size[0] + 2 * padding[0], in_size[1] + 2 * padding[1]];
    if kernel[0] > padded[0] || kernel[1] > padded[1] {
        return Err(TensorError::shape_mismatch(
            op,
            input,
            weight,
            format!(
                "do not fit: the kernel {:?} is larger than the input {:?} with padding {:?} \
                 ({:?}); pad the input more or use a smaller kernel",
                &kernel[axes.clone()],
                &in_size[axes.clone()],
                &padding[axes.clone()],
                &padded[axes]
            ),
        ));
    }
    if let Some(bias) = bias {
        if bias != [weight[0]] {
            return Err(TensorError::shape_mismatch(
                op,
                weight,
                bias,
                format!(
                    "do not fit: the bias must be [out_channels] = [{}] for the weight \
                     {weight_layout}",
                    weight[0]
                ),
            ));
        }
    }

    // Output size per axis: out = (in + 2 padding - kernel) / stride + 1,
    // rounded down, so a last window that would overhang the padded input is
    // dropped. It is at least 1 because kernel <= in + 2 padding.
    let out_size = |axis: usize| (padded[axis] - kernel[axis]) / stride[axis] + 1;
    Ok(ConvGeometry {
        op,
        batch: input[0],
        in_channels: input[1],
        in_height: in_size[0],
        in_width: in_size[1],
        out_channels: weight[0],
        kernel_height: kernel[0],
        kernel_width: kernel[1],
        stride,
        padding,
        out_height: out_size(0),
        out_width: out_size(1),
    })
}

/// Computes the convolution of a batch into `out`, one sample at a time:
/// `out_b = bias + W cols_b`, where `W` is the weight as an
/// `[out_channels, patch_len]` matrix and `cols_b` the sample's column
/// matrix. `cols` is scratch of `patch_len * out_positions` elements.
fn forward_into<T: Float>(
    geometry: &ConvGeometry,
    input: &[T],
    weight: &[T],
    bias: Option<&[T]>,
    cols: &mut [T],
    out: &mut [T],
) {
    let g = geometry;
    let (patch_len, positions) = (g.patch_len(), g.out_positions());
    let out_len = g.out_channels * positions;
    for b in 0..g.batch {
        let out_b = &mut out[b * out_len..][..out_len];
        // Start from the bias and let the GEMM add the product onto it.
        match bias {
            Some(bias) => {
                for (row, &value) in out_b.chunks_exact_mut(positions).zip(bias) {
                    row.fill(value);
                }
            }
            None => out_b.fill(T::ZERO),
        }
        let sample = &input[b * g.sample_len()..][..g.sample_len()];
        im2col(g, sample, cols);
        gemm(
            g.out_channels,
            patch_len,
            positions,
            weight,
            Layout::row_major(patch_len),
            cols,
            Layout::row_major(positions),
            T::ONE,
            out_b,
        );
    }
}

/// Computes the gradient with respect to the input. Per sample, the column
/// matrix's gradient is `W^T g_b` (`[patch_len, out_positions]`), and col2im adds
/// each of its entries back to the input element it was copied from.
pub(crate) fn backward_input<T: Float>(
    geometry: &ConvGeometry,
    weight: &Tensor<T>,
    grad: &Tensor<T>,
    input_dims: &[usize],
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let g = geometry;
    let (patch_len, positions) = (g.patch_len(), g.out_positions());
    let out_len = g.out_channels * positions;
    let mut grad_input = pool.tensor(input_dims);
    grad_input.data_mut().fill(T::ZERO);
    let mut grad_cols = pool.scratch(patch_len * positions);
    for b in 0..g.batch {
        gemm(
            patch_len,
            g.out_channels,
            positions,
            weight.data(),
            Layout::transposed(patch_len),
            &grad.data()[b * out_len..][..out_len],
            Layout::row_major(positions),
            T::ZERO,
            &mut grad_cols,
        );
        let sample = &mut grad_input.data_mut()[b * g.sample_len()..][..g.sample_len()];
        col2im_add(g, &grad_cols, sample);
    }
    pool.give(grad_cols);
    grad_input
}

/// Computes the gradient with respect to the weight, `sum_b g_b cols_b^T`
/// (`[out_channels, patch_len]`), with each column matrix rebuilt from the
/// input rather than kept from the forward pass.
pub(crate) fn backward_weight<T: Float>(
    geometry: &ConvGeometry,
    input: &Tensor<T>,
    grad: &Tensor<T>,
    weight_dims: &[usize],
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let g = geometry;
    let (patch_len, positions) = (g.patch_len(), g.out_positions());
    let out_len = g.out_channels * positions;
    let mut grad_weight = pool.tensor(weight_dims);
    grad_weight.data_mut().fill(T::ZERO);
    let mut cols = pool.scratch(patch_len * positions);
    for b in 0..g.batch {
        let sample = &input.data()[b * g.sample_len()..][..g.sample_len()];
        im2col(g, sample, &mut cols);
        gemm(
            g.out_channels,
            positions,
            patch_len,
            &grad.data()[b * out_len..][..out_len],
            Layout::row_major(positions),
            &cols,
            Layout::transposed(positions),
            T::ONE,
            grad_weight.data_mut(),
        );
    }
    pool.give(cols);
    grad_weight
}

/// Computes the gradient with respect to the bias. Each bias entry is added
/// to every output position of its channel, so its gradient is the sum of the
/// upstream gradient over the batch and those positions.
pub(crate) fn backward_bias<T: Float>(
    geometry: &ConvGeometry,
    grad: &Tensor<T>,
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let positions = geometry.out_positions();
    let mut grad_bias = pool.tensor(&[geometry.out_channels]);
    grad_bias.data_mut().fill(T::ZERO);
    for sample in grad.data().chunks_exact(geometry.out_channels * positions) {
        for (slot, row) in grad_bias
            .data_mut()
            .iter_mut()
            .zip(sample.chunks_exact(positions))
        {
            *slot += row.iter().copied().sum::<T>();
        }
    }
    grad_bias
}

impl<'t, T: Float> Var<'t, T> {
    /// Checks, computes and records a convolution over `spatial_rank` axes.
    #[track_caller]
    fn try_conv(
        self,
        op: &'static str,
        weight: Self,
        bias: Option<Self>,
        stride: [usize; 2],
        padding: [usize; 2],
        spatial_rank: usize,
    ) -> Result<Self, TensorError> {
        self.check_same_tape(weight, op);
        if let Some(bias) = bias {
            self.check_same_tape(bias, op);
        }
        let (value, requires_grad, geometry) = {
            let mut guard = self.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let x = &inner.nodes[self.id()];
            let w = &inner.nodes[weight.id()];
            let b = bias.map(|b| &inner.nodes[b.id()]);
            let geometry = conv_geometry(
                op,
                x.value.dims(),
                w.value.dims(),
                b.map(|b| b.value.dims()),
                stride,
                padding,
                spatial_rank,
            )?;

            let g = &geometry;
            let mut out = if spatial_rank == 1 {
                inner.pool.tensor(&[g.batch, g.out_channels, g.out_width])
            } else {
                inner
                    .pool
                    .tensor(&[g.batch, g.out_channels, g.out_height, g.out_width])
            };
            let mut cols = inner.pool.scratch(g.patch_len() * g.out_positions());
            forward_into(
                g,
                x.value.data(),
                w.value.data(),
                b.map(|b| b.value.data()),
                &mut cols,
                out.data_mut(),
            );
            inner.pool.give(cols);

            let requires_grad =
                x.requires_grad || w.requires_grad || b.is_some_and(|b| b.requires_grad);
            (out, requires_grad, geometry)
        };
        Ok(self.record(
            Op::Conv {
                input: self.id(),
                weight: weight.id(),
                bias: bias.map(|b| b.id()),
                geometry,
            },
            value,
            requires_grad,
        ))
    }

    /// Computes the 2-D convolution of this `[batch, in_channels, height,
    /// width]` input with a `[out_channels, in_channels, kernel_height,
    /// kernel_width]` weight and an optional `[out_channels]` bias,
    /// returning an error instead of panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] naming the input and weight shapes
    /// when either is not 4-D, when their channel counts (axis 1) differ, or
    /// when the kernel is larger than the padded input. The same error names
    /// the weight and bias shapes when the bias is not `[out_channels]`.
    /// [`TensorError::InvalidArgument`] when a stride is 0 or the weight has
    /// a zero-sized dimension.
    ///
    /// # Panics
    ///
    /// When the operands are on different tapes.
    #[track_caller]
    pub fn try_conv2d(
        self,
        weight: Self,
        bias: Option<Self>,
        config: Conv2dConfig,
    ) -> Result<Self, TensorError> {
        self.try_conv("conv2d", weight, bias, config.stride, config.padding, 2)
    }

    /// Computes the 2-D convolution (cross-correlation, as PyTorch's
    /// `conv2d`) of this input with `weight`, plus `bias` per output channel:
    ///
    /// ```text
    /// y[n, o, i, j] = bias[o] + sum_{c, ki, kj} weight[o, c, ki, kj]
    ///                 * x[n, c, i * stride[0] + ki - padding[0], j * stride[1] + kj - padding[1]]
    /// ```
    ///
    /// with `x` read as zero in the padding.
    ///
    /// Shapes: input `[batch, in_channels, height, width]`, weight
    /// `[out_channels, in_channels, kernel_height, kernel_width]`, bias
    /// `[out_channels]`, output `[batch, out_channels, out_height,
    /// out_width]` with `out = (in + 2 padding - kernel) / stride + 1`
    /// (rounded down) per axis.
    ///
    /// The forward pass builds each sample's im2col matrix and multiplies
    /// it by the weight with one GEMM. Backward rebuilds that matrix for the
    /// weight's gradient instead of keeping it on the tape.
    ///
    /// # Panics
    ///
    /// When the shapes do not fit, a stride is 0 or the operands are on
    /// different tapes; see [`Var::try_conv2d`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Conv2dConfig, Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// // One 3x3 image, one channel; a 2x2 kernel summing each window.
    /// let x = tape.var(Tensor::from_fn(&[1, 1, 3, 3], |i| i as f64));
    /// let w = tape.var(Tensor::ones(&[1, 1, 2, 2]));
    /// let y = x.conv2d(w, None, Conv2dConfig::default());
    /// assert_eq!(y.value().dims(), &[1, 1, 2, 2]);
    /// assert_eq!(y.value().data(), &[8.0, 12.0, 20.0, 24.0]);
    /// ```
    #[track_caller]
    pub fn conv2d(self, weight: Self, bias: Option<Self>, config: Conv2dConfig) -> Self {
        unwrap_op(self.try_conv2d(weight, bias, config))
    }

    /// Computes the 1-D convolution of this `[batch, in_channels, length]`
    /// input with a `[out_channels, in_channels, kernel]` weight and an optional
    /// `[out_channels]` bias, returning an error instead of panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] naming the input and weight shapes
    /// when either is not 3-D, when their channel counts (axis 1) differ, or
    /// when the kernel is longer than the padded input. The same error names
    /// the weight and bias shapes when the bias is not `[out_channels]`.
    /// [`TensorError::InvalidArgument`] when the stride is 0 or the weight
    /// has a zero-sized dimension.
    ///
    /// # Panics
    ///
    /// When the operands are on different tapes.
    #[track_caller]
    pub fn try_conv1d(
        self,
        weight: Self,
        bias: Option<Self>,
        config: Conv1dConfig,
    ) -> Result<Self, TensorError> {
        self.try_conv(
            "conv1d",
            weight,
            bias,
            [1, config.stride],
            [0, config.padding],
            1,
        )
    }

    /// Computes the 1-D convolution (cross-correlation, as PyTorch's
    /// `conv1d`) of this input with `weight`, plus `bias` per output channel:
    ///
    /// ```text
    /// y[n, o, i] = bias[o] + sum_{c, k} weight[o, c, k] * x[n, c, i * stride + k - padding]
    /// ```
    ///
    /// with `x` read as zero in the padding.
    ///
    /// Shapes: input `[batch, in_channels, length]`, weight `[out_channels,
    /// in_channels, kernel]`, bias `[out_channels]`, output `[batch,
    /// out_channels, out_length]` with
    /// `out_length = (length + 2 padding - kernel) / stride + 1` (rounded
    /// down). It runs as [`Var::conv2d`] over an input of height 1.
    ///
    /// # Panics
    ///
    /// When the shapes do not fit, the stride is 0 or the operands are on
    /// different tapes; see [`Var::try_conv1d`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Conv1dConfig, Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![1.0, 2.0, 3.0], &[1, 1, 3]));
    /// let w = tape.var(Tensor::new(vec![1.0, 0.0, -1.0], &[1, 1, 3]));
    /// let b = tape.var(Tensor::new(vec![0.5], &[1]));
    /// let config = Conv1dConfig { padding: 1, ..Conv1dConfig::default() };
    /// let y = x.conv1d(w, Some(b), config);
    /// // y[i] = x[i - 1] - x[i + 1] + 0.5, with zeros outside the input.
    /// assert_eq!(y.value().data(), &[-1.5, -1.5, 2.5]);
    /// ```
    #[track_caller]
    pub fn conv1d(self, weight: Self, bias: Option<Self>, config: Conv1dConfig) -> Self {
        unwrap_op(self.try_conv1d(weight, bias, config))
    }
}
