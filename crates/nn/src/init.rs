//! Weight initialisers.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use tensor::{Float, Tensor};

/// How a layer's weights are drawn. Biases always start at zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Init {
    /// Independent draws from `N(0, 1)`, as in a plain numpy network
    /// (`np.random.randn`). The default.
    #[default]
    StandardNormal,
    /// Glorot and Bengio (2010): uniform on `[-a, a]` with
    /// `a = sqrt(6 / (fan_in + fan_out))`, keeping the activations' variance
    /// steady for tanh and sigmoid layers.
    Xavier,
    /// He et al. (2015): `N(0, 2 / fan_in)`, for ReLU layers.
    He,
}

impl Init {
    /// A tensor of `dims` drawn from this initialiser, with the given fans.
    pub fn sample<T: Float, R: Rng + ?Sized>(
        self,
        dims: &[usize],
        fan_in: usize,
        fan_out: usize,
        rng: &mut R,
    ) -> Tensor<T> {
        match self {
            Init::StandardNormal => Tensor::from_fn(dims, |_| {
                let z: f64 = StandardNormal.sample(rng);
                T::from_f64(z)
            }),
            Init::Xavier => {
                let bound = (6.0 / (fan_in + fan_out).max(1) as f64).sqrt();
                Tensor::from_fn(dims, |_| T::from_f64(rng.random_range(-bound..bound)))
            }
            Init::He => {
                let std = (2.0 / fan_in.max(1) as f64).sqrt();
                Tensor::from_fn(dims, |_| {
                    let z: f64 = StandardNormal.sample(rng);
                    T::from_f64(z * std)
                })
            }
        }
    }
}
