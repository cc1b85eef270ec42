//! Convolution layers over one and two spatial axes.

use rand::Rng;
use tensor::{Conv1dConfig, Conv2dConfig, Float, Shape, Tensor, TensorError, Var};

use crate::init::Init;
use crate::module::Module;
use crate::param::Param;

/// Panics unless `bias` is `[out_channels]` for `weight`, naming the layer
/// and both shapes.
#[track_caller]
fn check_bias(layer: &str, weight: &[usize], bias: &[usize]) {
    if bias != [weight[0]] {
        panic!(
            "{layer}::from_tensors: weight {weight:?} and bias {bias:?} do not fit; the bias \
             must be [out_channels] = [{}]",
            weight[0]
        );
    }
}

/// A 1-D convolution layer, `y = conv1d(x, W) + b` (cross-correlation, as
/// PyTorch's `Conv1d`).
///
/// Shapes: input `[batch, in_channels, length]`, weight `[out_channels,
/// in_channels, kernel]`, bias `[out_channels]`, output `[batch,
/// out_channels, out_length]` with
/// `out_length = (length + 2 padding - kernel) / stride + 1`. See
/// [`Var::conv1d`] for the formula.
///
/// # Examples
///
/// ```
/// use nn::{Conv1d, Conv1dConfig, Init, Module};
/// use rand::SeedableRng;
/// use tensor::{Tape, Tensor};
///
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let config = Conv1dConfig { padding: 1, ..Conv1dConfig::default() };
/// let conv = Conv1d::<f64>::new(2, 4, 3, config, Init::He, &mut rng);
/// let tape = Tape::new();
/// let y = conv.forward(tape.constant(Tensor::zeros(&[8, 2, 10])));
/// assert_eq!(y.value().dims(), &[8, 4, 10]);
/// assert_eq!(conv.num_parameters(), 4 * 2 * 3 + 4);
/// ```
#[derive(Clone, Debug)]
pub struct Conv1d<T: Float> {
    weight: Param<T>,
    bias: Param<T>,
    config: Conv1dConfig,
}

impl<T: Float> Conv1d<T> {
    /// A layer with weights drawn by `init` and zero biases. The fans are
    /// `in_channels * kernel` and `out_channels * kernel`, as in PyTorch.
    ///
    /// # Panics
    ///
    /// When a channel count or the kernel size is 0, or the stride is 0.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        config: Conv1dConfig,
        init: Init,
        rng: &mut R,
    ) -> Self {
        let dims = [out_channels, in_channels, kernel];
        let weight = init.sample(&dims, in_channels * kernel, out_channels * kernel, rng);
        Self::from_tensors(weight, Tensor::zeros(&[out_channels]), config)
    }

    /// A layer with the given weight `[out_channels, in_channels, kernel]`
    /// and bias `[out_channels]`.
    ///
    /// # Panics
    ///
    /// When the weight is not 3-D or has a zero-sized dimension, when the
    /// bias is not `[out_channels]`, or when the stride is 0.
    #[track_caller]
    pub fn from_tensors(weight: Tensor<T>, bias: Tensor<T>, config: Conv1dConfig) -> Self {
        if weight.rank() != 3 || weight.dims().contains(&0) {
            panic!(
                "Conv1d::from_tensors: weight {:?} is not a non-empty 3-D [out_channels, \
                 in_channels, kernel] tensor",
                weight.dims()
            );
        }
        check_bias("Conv1d", weight.dims(), bias.dims());
        if config.stride == 0 {
            panic!("Conv1d: stride is 0; use a stride of at least 1");
        }
        Conv1d {
            weight: Param::new("weight", weight),
            bias: Param::new("bias", bias),
            config,
        }
    }

    /// The weight, `[out_channels, in_channels, kernel]`.
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }

    /// The bias, `[out_channels]`.
    pub fn bias(&self) -> &Param<T> {
        &self.bias
    }

    /// The stride and padding.
    pub fn config(&self) -> Conv1dConfig {
        self.config
    }

    /// The number of input channels.
    pub fn in_channels(&self) -> usize {
        self.weight.value().dims()[1]
    }

    /// The number of output channels.
    pub fn out_channels(&self) -> usize {
        self.weight.value().dims()[0]
    }

    /// The kernel size.
    pub fn kernel_size(&self) -> usize {
        self.weight.value().dims()[2]
    }
}

impl<T: Float> Module<T> for Conv1d<T> {
    #[track_caller]
    fn forward<'t>(&self, input: Var<'t, T>) -> Var<'t, T> {
        let tape = input.tape();
        input.conv1d(self.weight.on(tape), Some(self.bias.on(tape)), self.config)
    }

    fn visit_params<'a>(&'a self, f: &mut dyn FnMut(&'a Param<T>)) {
        f(&self.weight);
        f(&self.bias);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        f(&mut self.weight);
        f(&mut self.bias);
    }

    /// `[batch, out_channels, out_length]`; see [`Conv1dConfig::output_shape`].
    fn output_shape(&self, input: &[usize]) -> Result<Shape, TensorError> {
        self.config.output_shape(input, self.weight.value().dims())
    }

    fn describe(&self) -> String {
        format!(
            "Conv1d({} -> {}, kernel {}, stride {}, padding {})",
            self.in_channels(),
            self.out_channels(),
            self.kernel_size(),
            self.config.stride,
            self.config.padding
        )
    }
}

/// A 2-D convolution layer, `y = conv2d(x, W) + b` (cross-correlation, as
/// PyTorch's `Conv2d`).
///
/// Shapes: input `[batch, in_channels, height, width]`, weight
/// `[out_channels, in_channels, kernel_height, kernel_width]`, bias
/// `[out_channels]`, output `[batch, out_channels, out_height, out_width]`
/// with `out = (in + 2 padding - kernel) / stride + 1` per axis. See
/// [`Var::conv2d`] for the formula.
///
/// # Examples
///
/// ```
/// use nn::{Conv2d, Conv2dConfig, Init, Module};
/// use rand::SeedableRng;
/// use tensor::{Tape, Tensor};
///
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let config = Conv2dConfig { stride: [2, 2], padding: [1, 1] };
/// let conv = Conv2d::<f32>::new(3, 8, [3, 3], config, Init::He, &mut rng);
/// let tape = Tape::new();
/// let y = conv.forward(tape.constant(Tensor::zeros(&[2, 3, 32, 32])));
/// assert_eq!(y.value().dims(), &[2, 8, 16, 16]);
/// ```
#[derive(Clone, Debug)]
pub struct Conv2d<T: Float> {
    weight: Param<T>,
    bias: Param<T>,
    config: Conv2dConfig,
}

impl<T: Float> Conv2d<T> {
    /// A layer with a `kernel` of `[height, width]`, weights drawn by
    /// `init` and zero biases. The fans are `in_channels * kh * kw` and
    /// `out_channels * kh * kw`, as in PyTorch.
    ///
    /// # Panics
    ///
    /// When a channel count or a kernel size is 0, or a stride is 0.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        config: Conv2dConfig,
        init: Init,
        rng: &mut R,
    ) -> Self {
        let dims = [out_channels, in_channels, kernel[0], kernel[1]];
        let area = kernel[0] * kernel[1];
        let weight = init.sample(&dims, in_channels * area, out_channels * area, rng);
        Self::from_tensors(weight, Tensor::zeros(&[out_channels]), config)
    }

    /// A layer with the given weight `[out_channels, in_channels,
    /// kernel_height, kernel_width]` and bias `[out_channels]`.
    ///
    /// # Panics
    ///
    /// When the weight is not 4-D or has a zero-sized dimension, when the
    /// bias is not `[out_channels]`, or when a stride is 0.
    #[track_caller]
    pub fn from_tensors(weight: Tensor<T>, bias: Tensor<T>, config: Conv2dConfig) -> Self {
        if weight.rank() != 4 || weight.dims().contains(&0) {
            panic!(
                "Conv2d::from_tensors: weight {:?} is not a non-empty 4-D [out_channels, \
                 in_channels, kernel_height, kernel_width] tensor",
                weight.dims()
            );
        }
        check_bias("Conv2d", weight.dims(), bias.dims());
        if config.stride.contains(&0) {
            panic!(
                "Conv2d: stride {:?} contains a zero; use strides of at least 1",
                config.stride
            );
        }
        Conv2d {
            weight: Param::new("weight", weight),
            bias: Param::new("bias", bias),
            config,
        }
    }

    /// The weight, `[out_channels, in_channels, kernel_height, kernel_width]`.
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }

    /// The bias, `[out_channels]`.
    pub fn bias(&self) -> &Param<T> {
        &self.bias
    }

    /// The strides and paddings.
    pub fn config(&self) -> Conv2dConfig {
        self.config
    }

    /// The number of input channels.
    pub fn in_channels(&self) -> usize {
        self.weight.value().dims()[1]
    }

    /// The number of output channels.
    pub fn out_channels(&self) -> usize {
        self.weight.value().dims()[0]
    }

    /// The kernel size as `[height, width]`.
    pub fn kernel_size(&self) -> [usize; 2] {
        let dims = self.weight.value().dims();
        [dims[2], dims[3]]
    }
}

impl<T: Float> Module<T> for Conv2d<T> {
    #[track_caller]
    fn forward<'t>(&self, input: Var<'t, T>) -> Var<'t, T> {
        let tape = input.tape();
        input.conv2d(self.weight.on(tape), Some(self.bias.on(tape)), self.config)
    }

    fn visit_params<'a>(&'a self, f: &mut dyn FnMut(&'a Param<T>)) {
        f(&self.weight);
        f(&self.bias);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        f(&mut self.weight);
        f(&mut self.bias);
    }

    /// `[batch, out_channels, out_height, out_width]`; see
    /// [`Conv2dConfig::output_shape`].
    fn output_shape(&self, input: &[usize]) -> Result<Shape, TensorError> {
        self.config.output_shape(input, self.weight.value().dims())
    }

    fn describe(&self) -> String {
        let [kh, kw] = self.kernel_size();
        format!(
            "Conv2d({} -> {}, kernel {kh}x{kw}, stride {:?}, padding {:?})",
            self.in_channels(),
            self.out_channels(),
            self.config.stride,
            self.config.padding
        )
    }
}
