//! Turns the declared parts of a [`RunSpec`] into `nn` values: the network and the
//! optimizer.

use nn::{
    Adagrad, Adam, Conv1d, Conv1dConfig, Dense, Flatten, Module, Momentum, Nesterov, Optimizer,
    Param, RmsProp, Sequential, Sgd,
};
use rand::Rng;
use tensor::Var;

use crate::catalogue::{ActivationSpec, LossSpec, ModelSpec, OptimizerSpec, RunSpec, MOMENTUM};

/// The number of input features: the two coordinates of a point.
const INPUTS: usize = 2;

/// Reshapes `[batch, length]` to `[batch, 1, length]`: the features of each sample become
/// one channel of a signal, the input layout of a 1-D convolution.
#[derive(Clone, Copy, Debug)]
struct ChannelAxis;

impl Module<f64> for ChannelAxis {
    fn forward<'t>(&self, input: Var<'t, f64>) -> Var<'t, f64> {
        let dims = input.dims();
        input.reshape(&[dims[0], 1, dims[1]])
    }

    fn visit_params<'a>(&'a self, _f: &mut dyn FnMut(&'a Param<f64>)) {}

    fn visit_params_mut(&mut self, _f: &mut dyn FnMut(&mut Param<f64>)) {}

    fn describe(&self) -> String {
        "ChannelAxis([n, L] -> [n, 1, L])".to_string()
    }
}

/// Builds the network of `spec` with weights drawn from `rng`. It maps `[n, 2]` inputs to
/// `[n, 1]` outputs: probabilities for a sigmoid output, logits for
/// [`LossSpec::BceWithLogits`].
///
/// # Panics
///
/// When an MLP has a hidden layer of 0 units.
pub fn build_model<R: Rng + ?Sized>(spec: &RunSpec, rng: &mut R) -> Sequential<f64> {
    let init = spec.init.to_nn();
    match &spec.model {
        ModelSpec::Mlp {
            hidden,
            hidden_activation,
            output_activation,
        } => {
            let mut model = Sequential::new();
            let mut width = INPUTS;
            for &units in hidden {
                assert!(
                    units > 0,
                    "run {}: a hidden layer has 0 units; give every hidden layer at least 1",
                    spec.id
                );
                model.push(Dense::new(width, units, init, rng));
                model.push(hidden_activation.to_nn());
                width = units;
            }
            model.push(Dense::new(width, 1, init, rng));
            model.push(output_activation.to_nn());
            model
        }
        ModelSpec::Conv => {
            // Padding 1 on both ends keeps a length-2 signal at length 2 for kernel 3:
            // out_length = (2 + 2 * 1 - 3) / 1 + 1 = 2, which the Dense 2 -> 1 layer reads.
            let config = Conv1dConfig {
                stride: 1,
                padding: 1,
            };
            Sequential::new()
                .add(ChannelAxis)
                .add(Conv1d::new(1, 1, 3, config, init, rng))
                .add(ActivationSpec::Sigmoid.to_nn())
                .add(Flatten)
                .add(Dense::new(INPUTS, 1, init, rng))
                .add(ActivationSpec::Sigmoid.to_nn())
        }
    }
}

/// Builds the optimizer of `spec` with its learning rate.
pub fn build_optimizer(spec: &RunSpec) -> Box<dyn Optimizer<f64>> {
    let lr = spec.lr;
    match spec.optimizer {
        OptimizerSpec::Sgd => Box::new(Sgd::new(lr)),
        OptimizerSpec::Momentum => Box::new(Momentum::new(lr, MOMENTUM)),
        OptimizerSpec::Nesterov => Box::new(Nesterov::new(lr, MOMENTUM)),
        OptimizerSpec::Adagrad => Box::new(Adagrad::new(lr)),
        OptimizerSpec::RmsProp => Box::new(RmsProp::new(lr)),
        OptimizerSpec::Adam => Box::new(Adam::new(lr)),
    }
}

/// Checks that the parts of `spec` fit together.
///
/// # Errors
///
/// Returns a message naming the run in three cases. The loss is
/// [`LossSpec::BceWithLogits`] but the output activation is not the identity, although the
/// loss applies the sigmoid itself. The learning rate is not a positive finite number. The
/// run has 0 epochs.
pub fn validate(spec: &RunSpec) -> Result<(), String> {
    if spec.loss == LossSpec::BceWithLogits {
        let logits_out = matches!(
            spec.model,
            ModelSpec::Mlp {
                output_activation: ActivationSpec::Identity,
                ..
            }
        );
        if !logits_out {
            return Err(format!(
                "run {}: bce_with_logits expects logits, so give the model an identity output \
                 activation",
                spec.id
            ));
        }
    }
    if !(spec.lr.is_finite() && spec.lr > 0.0) {
        return Err(format!(
            "run {}: the learning rate is {}, so give a positive finite learning rate",
            spec.id, spec.lr
        ));
    }
    if spec.epochs == 0 {
        return Err(format!(
            "run {}: 0 epochs leave the model untrained, so give at least 1 epoch",
            spec.id
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{catalogue, DataSpec};
    use rand::SeedableRng;
    use tensor::{Tape, Tensor};

    #[test]
    fn every_model_maps_points_to_one_output() {
        for spec in catalogue(1) {
            let mut rng = rand::rngs::StdRng::seed_from_u64(spec.seed);
            let model = build_model(&spec, &mut rng);
            let tape = Tape::new();
            let x = tape.constant(Tensor::zeros(&[5, 2]));
            let dims = model.forward(x).dims().to_vec();
            assert_eq!(dims, vec![5, 1], "run {}", spec.id);
        }
    }

    #[test]
    fn baseline_parameter_count() {
        let spec = RunSpec::baseline(DataSpec::Linear, 1);
        let model = build_model(&spec, &mut rand::rngs::StdRng::seed_from_u64(1));
        assert_eq!(
            model.num_parameters(),
            (2 * 10 + 10) + (10 * 10 + 10) + (10 + 1)
        );
    }

    #[test]
    fn conv_parameter_count() {
        let spec = crate::catalogue::sweep_runs("conv", DataSpec::Xor, 1).remove(0);
        let model = build_model(&spec, &mut rand::rngs::StdRng::seed_from_u64(1));
        // Kernel 3 and a conv bias, then a 2 -> 1 dense layer with its bias.
        assert_eq!(model.num_parameters(), 3 + 1 + 2 + 1);
    }

    #[test]
    fn catalogue_specs_are_valid() {
        for spec in catalogue(1) {
            assert_eq!(validate(&spec), Ok(()), "run {}", spec.id);
        }
    }

    #[test]
    fn bce_needs_identity_output() {
        let mut spec = RunSpec::baseline(DataSpec::Xor, 1);
        spec.loss = LossSpec::BceWithLogits;
        let message = validate(&spec).expect_err("sigmoid output with bce");
        assert!(message.contains("base/xor"), "{message}");
        assert!(message.contains("identity"), "{message}");
    }

    #[test]
    fn nonpositive_lr_rejected() {
        let mut spec = RunSpec::baseline(DataSpec::Xor, 1);
        spec.lr = 0.0;
        assert!(validate(&spec).is_err());
    }
}
