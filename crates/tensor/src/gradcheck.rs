//! Checks a tape's gradients against central finite differences in `f64`.

use std::fmt;

use crate::tape::Tape;
use crate::tensor::Tensor;
use crate::var::Var;

/// Step and tolerances of [`gradcheck_with`].
///
/// An element passes when `|analytic - numeric| <= atol + rtol * |numeric|`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradcheckConfig {
    /// The finite-difference step `h` in `(f(x + h) - f(x - h)) / 2h`.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance, scaled by the numeric gradient's magnitude.
    pub rtol: f64,
}

impl Default for GradcheckConfig {
    /// `eps = 1e-6`, `atol = 1e-6`, `rtol = 1e-5`: central differences in
    /// `f64` have an error of order `eps^2 f''' + 1e-16 / eps`, about 1e-10
    /// for smooth functions of moderate size.
    fn default() -> Self {
        GradcheckConfig {
            eps: 1e-6,
            atol: 1e-6,
            rtol: 1e-5,
        }
    }
}

/// The largest differences seen by a passing [`gradcheck`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradcheckReport {
    /// The number of input elements checked.
    pub elements: usize,
    /// The largest `|analytic - numeric|` over all elements.
    pub max_abs_error: f64,
}

/// The worst element of a failing [`gradcheck`], or why it could not run.
#[derive(Clone, Debug, PartialEq)]
pub enum GradcheckError {
    /// The analytic and numeric gradients differ beyond the tolerance.
    Mismatch {
        /// Which input, by position in the `inputs` slice.
        input: usize,
        /// The element's multi-dimensional index in that input.
        index: Vec<usize>,
        /// The tape's gradient at that element.
        analytic: f64,
        /// The central-difference estimate at that element.
        numeric: f64,
        /// How many elements failed in all.
        failures: usize,
    },
    /// The function's output is not finite at the given inputs.
    NonFinite {
        /// The output value.
        value: f64,
    },
}

impl fmt::Display for GradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GradcheckError::Mismatch {
                input,
                index,
                analytic,
                numeric,
                failures,
            } => write!(
                f,
                "gradcheck failed at {failures} element(s); worst is input {input} at index \
                 {index:?}: analytic {analytic:.10e}, numeric {numeric:.10e}, difference {:.3e}",
                (analytic - numeric).abs()
            ),
            GradcheckError::NonFinite { value } => write!(
                f,
                "gradcheck: the function's output is {value} at the given inputs; choose inputs \
                 inside the function's domain"
            ),
        }
    }
}

impl std::error::Error for GradcheckError {}

/// Compares the tape's gradient of `f` with central finite differences at
/// `inputs`, with [`GradcheckConfig::default`] tolerances.
///
/// `f` receives one differentiable var per input. A non-scalar output is
/// reduced to `sum(f(x) * r)` for a fixed pseudo-random `r`, so every output
/// element is checked with a non-trivial upstream gradient.
///
/// # Errors
///
/// [`GradcheckError::Mismatch`] naming the worst element when any element
/// fails, or [`GradcheckError::NonFinite`] when the output is not finite.
///
/// # Examples
///
/// ```
/// use tensor::{gradcheck, Tensor};
///
/// let x = Tensor::new(vec![0.5, -1.0, 2.0], &[3]);
/// let report = gradcheck(|v| (v[0] * v[0]).sigmoid().sum(), &[x]).unwrap();
/// assert_eq!(report.elements, 3);
/// ```
pub fn gradcheck<F>(f: F, inputs: &[Tensor<f64>]) -> Result<GradcheckReport, GradcheckError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    gradcheck_with(f, inputs, GradcheckConfig::default())
}

/// [`gradcheck`] with a chosen step and tolerances.
///
/// # Errors
///
/// As [`gradcheck`].
pub fn gradcheck_with<F>(
    f: F,
    inputs: &[Tensor<f64>],
    config: GradcheckConfig,
) -> Result<GradcheckReport, GradcheckError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    // Analytic gradients, with the upstream weights fixed by the output's
    // shape.
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    let output = f(&vars);
    let upstream = upstream_weights(output.value().dims());
    let value = weighted_sum(&output.value(), &upstream);
    if !value.is_finite() {
        return Err(GradcheckError::NonFinite { value });
    }
    let grads = output.backward_with(upstream.clone());
    let analytic: Vec<Tensor<f64>> = vars
        .iter()
        .zip(inputs)
        .map(|(&v, x)| {
            grads
                .get(v)
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(x.dims()))
        })
        .collect();

    let evaluate = |perturbed: &[Tensor<f64>]| -> f64 {
        let tape = Tape::new();
        let vars: Vec<Var<'_, f64>> = perturbed.iter().map(|x| tape.constant(x.clone())).collect();
        let output = f(&vars);
        let value = weighted_sum(&output.value(), &upstream);
        value
    };

    let mut worst: Option<GradcheckError> = None;
    let mut worst_excess = 0.0;
    let mut failures = 0;
    let mut max_abs_error: f64 = 0.0;
    let mut elements = 0;
    let mut perturbed: Vec<Tensor<f64>> = inputs.to_vec();
    for (input, x) in inputs.iter().enumerate() {
        for flat in 0..x.len() {
            let original = x.data()[flat];
            perturbed[input].data_mut()[flat] = original + config.eps;
            let plus = evaluate(&perturbed);
            perturbed[input].data_mut()[flat] = original - config.eps;
            let minus = evaluate(&perturbed);
            perturbed[input].data_mut()[flat] = original;

            let numeric = (plus - minus) / (2.0 * config.eps);
            let analytic_value = analytic[input].data()[flat];
            let error = (analytic_value - numeric).abs();
            let allowed = config.atol + config.rtol * numeric.abs();
            elements += 1;
            max_abs_error = max_abs_error.max(error);
            // NaN on either side fails, as `error <= allowed` is then false.
            let passes = error <= allowed;
            if !passes {
                failures += 1;
                let excess = if error.is_nan() {
                    f64::INFINITY
                } else {
                    error - allowed
                };
                if worst.is_none() || excess > worst_excess {
                    worst_excess = excess;
                    worst = Some(GradcheckError::Mismatch {
                        input,
                        index: unravel(flat, x.dims()),
                        analytic: analytic_value,
                        numeric,
                        failures: 0,
                    });
                }
            }
        }
    }
    match worst {
        Some(GradcheckError::Mismatch {
            input,
            index,
            analytic,
            numeric,
            ..
        }) => Err(GradcheckError::Mismatch {
            input,
            index,
            analytic,
            numeric,
            failures,
        }),
        Some(other) => Err(other),
        None => Ok(GradcheckReport {
            elements,
            max_abs_error,
        }),
    }
}

/// Fixed weights in `[0.5, 1.5)` with alternating signs, from a linear
/// congruential generator, so a check never depends on a global seed.
fn upstream_weights(dims: &[usize]) -> Tensor<f64> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    Tensor::from_fn(dims, |i| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        sign * (0.5 + unit)
    })
}

fn weighted_sum(output: &Tensor<f64>, weights: &Tensor<f64>) -> f64 {
    output
        .data()
        .iter()
        .zip(weights.data())
        .map(|(y, w)| y * w)
        .sum()
}

fn unravel(mut flat: usize, dims: &[usize]) -> Vec<usize> {
    let mut index = vec![0; dims.len()];
    for axis in (0..dims.len()).rev() {
        index[axis] = flat % dims[axis];
        flat /= dims[axis];
    }
    index
}
