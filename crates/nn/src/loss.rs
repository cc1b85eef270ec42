//! Loss functions. Each takes a prediction and a target of the same shape
//! and returns a scalar var; nothing broadcasts, because a `[n, 1]`
//! prediction against an `[n]` target is almost always a bug.

use tensor::{Float, TensorError, Var};

/// Checks that `prediction` and `target` have the same shape.
fn same_shape<T: Float>(
    op: &'static str,
    prediction: Var<'_, T>,
    target: Var<'_, T>,
) -> Result<(), TensorError> {
    let (p, t) = (prediction.shape(), target.shape());
    if p != t {
        return Err(TensorError::shape_mismatch(
            op,
            &p,
            &t,
            "differ: the prediction and the target must have the same shape \
             (reshape the target, for example [n] to [n, 1])"
                .to_string(),
        ));
    }
    Ok(())
}

/// Mean squared error `mean((prediction - target)^2)` over all elements,
/// returning an error instead of panicking.
///
/// # Errors
///
/// [`TensorError::ShapeMismatch`] when the shapes differ.
#[track_caller]
pub fn try_mse<'t, T: Float>(
    prediction: Var<'t, T>,
    target: Var<'t, T>,
) -> Result<Var<'t, T>, TensorError> {
    same_shape("mse", prediction, target)?;
    prediction.try_mse_loss(target)
}

/// Mean squared error `mean((prediction - target)^2)` over all elements:
/// a rank-0 var.
///
/// # Panics
///
/// When the shapes differ; see [`try_mse`].
///
/// # Examples
///
/// ```
/// use tensor::{Tape, Tensor};
///
/// let tape = Tape::<f64>::new();
/// let p = tape.var(Tensor::new(vec![0.5, 1.0], &[2, 1]));
/// let y = tape.constant(Tensor::new(vec![0.0, 1.0], &[2, 1]));
/// assert_eq!(nn::mse(p, y).item(), 0.125);
/// ```
#[track_caller]
pub fn mse<'t, T: Float>(prediction: Var<'t, T>, target: Var<'t, T>) -> Var<'t, T> {
    match try_mse(prediction, target) {
        Ok(loss) => loss,
        Err(err) => panic!("{err}"),
    }
}

/// Binary cross-entropy on logits, `mean(softplus(z) - y z)`, which equals
/// `-mean(y ln sigmoid(z) + (1 - y) ln(1 - sigmoid(z)))` but stays finite
/// for logits of any magnitude. Returns an error instead of panicking.
///
/// # Errors
///
/// [`TensorError::ShapeMismatch`] when the shapes differ.
#[track_caller]
pub fn try_bce_with_logits<'t, T: Float>(
    logits: Var<'t, T>,
    target: Var<'t, T>,
) -> Result<Var<'t, T>, TensorError> {
    same_shape("bce_with_logits", logits, target)?;
    Ok((logits.softplus() - target * logits).mean())
}

/// Binary cross-entropy on logits: a rank-0 var. See [`try_bce_with_logits`].
///
/// # Panics
///
/// When the shapes differ.
#[track_caller]
pub fn bce_with_logits<'t, T: Float>(logits: Var<'t, T>, target: Var<'t, T>) -> Var<'t, T> {
    match try_bce_with_logits(logits, target) {
        Ok(loss) => loss,
        Err(err) => panic!("{err}"),
    }
}
