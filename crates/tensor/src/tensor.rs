//! [`Tensor`]: an owned, contiguous, row-major n-d array.

use std::fmt;

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::shape::{contiguous_strides, numel, Shape};

/// An owned, contiguous, row-major n-dimensional array of `f32` or `f64`.
///
/// A rank-0 tensor (empty shape) contains one scalar.
///
/// # Examples
///
/// ```
/// use tensor::Tensor;
///
/// let t = Tensor::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
/// assert_eq!(t.dims(), &[2, 3]);
/// assert_eq!(t.get(&[1, 0]), 4.0);
/// ```
#[derive(Clone, PartialEq)]
pub struct Tensor<T: Float> {
    data: Vec<T>,
    shape: Shape,
}

impl<T: Float> Tensor<T> {
    /// Creates a tensor from row-major data and its dimensions.
    ///
    /// # Panics
    ///
    /// When `data.len()` differs from the product of `dims`.
    #[track_caller]
    pub fn new(data: Vec<T>, dims: &[usize]) -> Self {
        unwrap_op(Self::try_new(data, dims))
    }

    /// Creates a tensor from row-major data and its dimensions.
    ///
    /// # Errors
    ///
    /// [`TensorError::InvalidArgument`] when `data.len()` differs from the
    /// product of `dims`.
    pub fn try_new(data: Vec<T>, dims: &[usize]) -> Result<Self, TensorError> {
        let expected = numel(dims);
        if data.len() != expected {
            return Err(TensorError::invalid(
                "Tensor::new",
                dims,
                format!(
                    "data has {} elements but the shape needs {expected}; \
                     pass a shape whose dimensions multiply to the data length",
                    data.len()
                ),
            ));
        }
        Ok(Tensor {
            data,
            shape: Shape::from_slice(dims),
        })
    }

    /// Creates a tensor from data and a shape already known to match.
    pub(crate) fn from_parts(data: Vec<T>, shape: Shape) -> Self {
        debug_assert_eq!(
            data.len(),
            numel(&shape),
            "engine bug: data and shape disagree"
        );
        Tensor { data, shape }
    }

    /// A rank-0 tensor holding `value`.
    pub fn scalar(value: T) -> Self {
        Tensor {
            data: vec![value],
            shape: Shape::new(),
        }
    }

    /// A tensor of the given dims filled with `value`.
    pub fn full(dims: &[usize], value: T) -> Self {
        Tensor {
            data: vec![value; numel(dims)],
            shape: Shape::from_slice(dims),
        }
    }

    /// A tensor of the given dims filled with zeros.
    pub fn zeros(dims: &[usize]) -> Self {
        Self::full(dims, T::ZERO)
    }

    /// A tensor of the given dims filled with ones.
    pub fn ones(dims: &[usize]) -> Self {
        Self::full(dims, T::ONE)
    }

    /// A tensor whose element at flat (row-major) index `i` is `f(i)`.
    pub fn from_fn(dims: &[usize], f: impl FnMut(usize) -> T) -> Self {
        let data = (0..numel(dims)).map(f).collect();
        Tensor {
            data,
            shape: Shape::from_slice(dims),
        }
    }

    /// The shape, outermost dimension first.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The dimensions as a slice (the same as [`Tensor::shape`]).
    pub fn dims(&self) -> &[usize] {
        &self.shape
    }

    /// The number of dimensions (0 for a scalar).
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// `true` when the tensor has no elements (some dimension is 0).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// The elements in row-major order, mutable.
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// Consumes the tensor and returns its row-major elements.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// Row-major strides, in elements.
    pub fn strides(&self) -> Shape {
        contiguous_strides(&self.shape)
    }

    /// The element at a multi-dimensional index.
    ///
    /// # Panics
    ///
    /// When the index has the wrong length or is out of bounds.
    #[track_caller]
    pub fn get(&self, index: &[usize]) -> T {
        self.data[self.flat_index(index)]
    }

    /// Sets the element at a multi-dimensional index.
    ///
    /// # Panics
    ///
    /// When the index has the wrong length or is out of bounds.
    #[track_caller]
    pub fn set(&mut self, index: &[usize], value: T) {
        let flat = self.flat_index(index);
        self.data[flat] = value;
    }

    #[track_caller]
    fn flat_index(&self, index: &[usize]) -> usize {
        let in_bounds = index.len() == self.rank()
            && index
                .iter()
                .zip(self.shape.iter())
                .all(|(&i, &dim)| i < dim);
        if !in_bounds {
            panic!(
                "index {index:?} is out of bounds for shape {:?}; give one index per \
                 dimension, each below its dimension",
                &self.shape[..]
            );
        }
        index
            .iter()
            .zip(self.strides().iter())
            .map(|(i, s)| i * s)
            .sum()
    }

    /// The single element of a one-element tensor of any rank.
    ///
    /// # Panics
    ///
    /// When the tensor does not have exactly one element.
    #[track_caller]
    pub fn item(&self) -> T {
        if self.data.len() != 1 {
            panic!(
                "item: tensor of shape {:?} has {} elements, not 1; reduce it first (sum or mean)",
                &self.shape[..],
                self.data.len()
            );
        }
        self.data[0]
    }

    /// A tensor with `f` applied to every element.
    pub fn map(&self, f: impl Fn(T) -> T) -> Self {
        Tensor {
            data: self.data.iter().map(|&x| f(x)).collect(),
            shape: self.shape.clone(),
        }
    }

    /// The same data under new dimensions with the same element count.
    ///
    /// # Panics
    ///
    /// When the element counts differ.
    #[track_caller]
    pub fn reshaped(self, dims: &[usize]) -> Self {
        unwrap_op(Self::try_new(self.data, dims))
    }

    /// Converts every element to another float type.
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        Tensor {
            data: self.data.iter().map(|&x| U::from_f64(x.to_f64())).collect(),
            shape: self.shape.clone(),
        }
    }

    /// `true` when every element is finite (no NaN or infinity).
    pub fn all_finite(&self) -> bool {
        self.data.iter().all(|x| x.is_finite())
    }

    /// The largest absolute elementwise difference to `other`, as `f64`;
    /// NaN when any difference is NaN, so a tolerance check fails.
    ///
    /// # Panics
    ///
    /// When the shapes differ.
    #[track_caller]
    pub fn max_abs_diff(&self, other: &Tensor<T>) -> f64 {
        if self.shape != other.shape {
            panic!(
                "max_abs_diff: shapes {:?} and {:?} differ; compare tensors of one shape",
                &self.shape[..],
                &other.shape[..]
            );
        }
        self.data
            .iter()
            .zip(other.data.iter())
            .map(|(a, b)| (a.to_f64() - b.to_f64()).abs())
            .fold(0.0, |worst, diff| {
                if diff.is_nan() || worst.is_nan() {
                    f64::NAN
                } else {
                    worst.max(diff)
                }
            })
    }
}

impl<T: Float> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Tensor<{}>{:?} {:?}",
            T::NAME,
            &self.shape[..],
            self.data
        )
    }
}
