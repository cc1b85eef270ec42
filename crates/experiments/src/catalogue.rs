//! The catalogue: every run of the experiments as one declared [`RunSpec`] value.
//!
//! Runs are grouped in sweeps, and each sweep changes one setting of the baseline:
//!
//! | sweep | values |
//! |---|---|
//! | `base` | the baseline itself |
//! | `lr` | learning rate 1.0, 0.1, 0.01, 0.001 |
//! | `hidden` | 2, 4, 10, 32 units in both hidden layers |
//! | `no-activation` | `A`: identity hidden layers, sigmoid output; `B`: fully linear |
//! | `optimizer` | sgd, momentum, nesterov, adagrad, rmsprop, adam |
//! | `activation` | hidden sigmoid, relu, tanh, leaky_relu; the output stays sigmoid |
//! | `conv` | Conv1d(1 -> 1, kernel 3, padding 1) + sigmoid, Flatten, Dense 2 -> 1 + sigmoid |
//!
//! Every sweep runs on both data sets. Run ids read `SWEEP/VALUE/DATA`, such as
//! `lr/0.01/xor`, except for the single-run sweeps: `base/linear`, `conv/xor`.
//!
//! The baseline is a 2-10-10-1 network with sigmoid activations, trained on the mean
//! squared error by full-batch gradient descent with learning rate 0.1 for 10,000 epochs,
//! from standard-normal weights and zero biases.

use serde::{Deserialize, Serialize};

/// The names of the sweeps, in report order.
pub const SWEEPS: [&str; 7] = [
    "base",
    "lr",
    "hidden",
    "no-activation",
    "optimizer",
    "activation",
    "conv",
];

/// Learning rate of the baseline.
pub const BASE_LR: f64 = 0.1;
/// Epochs of the baseline.
pub const BASE_EPOCHS: usize = 10_000;
/// Units in each hidden layer of the baseline.
pub const BASE_HIDDEN: usize = 10;
/// The decay `mu` of the momentum and Nesterov rules.
pub const MOMENTUM: f64 = 0.9;
/// The slope of leaky ReLU for negative inputs.
pub const LEAKY_SLOPE: f64 = 0.01;

/// The data set a run trains on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSpec {
    /// 100 points uniform on `[0, 1]^2`, labelled by `x0 <= x1`, drawn from the run's seed
    /// (see [`crate::data::linear`]).
    Linear,
    /// The 21 fixed XOR points (see [`crate::data::xor_easy`]).
    Xor,
}

impl DataSpec {
    /// Both data sets, in report order.
    pub const ALL: [DataSpec; 2] = [DataSpec::Linear, DataSpec::Xor];

    /// Returns the name used in run ids and file names: `linear` or `xor`.
    pub fn name(self) -> &'static str {
        match self {
            DataSpec::Linear => "linear",
            DataSpec::Xor => "xor",
        }
    }
}

/// An elementwise activation, as stored in a [`RunSpec`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationSpec {
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `max(x, 0)`, with derivative 0 at 0.
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// `x` for `x > 0`, else `0.01 x`.
    LeakyRelu,
    /// `x`: no activation.
    Identity,
}

impl ActivationSpec {
    /// Returns the name used in run ids: `sigmoid`, `relu`, `tanh`, `leaky_relu`, `identity`.
    pub fn name(self) -> &'static str {
        self.to_nn().name()
    }

    /// Returns the layer module of this activation.
    pub fn to_nn(self) -> nn::Activation {
        match self {
            ActivationSpec::Sigmoid => nn::Activation::Sigmoid,
            ActivationSpec::Relu => nn::Activation::Relu,
            ActivationSpec::Tanh => nn::Activation::Tanh,
            ActivationSpec::LeakyRelu => nn::Activation::LeakyRelu { slope: LEAKY_SLOPE },
            ActivationSpec::Identity => nn::Activation::Identity,
        }
    }
}

/// The architecture of a run's network. Inputs are always the two coordinates of a point
/// and the output is one value per point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSpec {
    /// Dense layers `2 -> hidden[0] -> ... -> 1`, with `hidden_activation` after every
    /// hidden layer and `output_activation` after the last.
    Mlp {
        /// Units of each hidden layer.
        hidden: Vec<usize>,
        /// Activation after each hidden layer.
        hidden_activation: ActivationSpec,
        /// Activation after the output layer.
        output_activation: ActivationSpec,
    },
    /// The two coordinates as a length-2 signal with one channel (`[n, 1, 2]`), then
    /// Conv1d(1 -> 1, kernel 3, stride 1, padding 1), sigmoid, Flatten, Dense 2 -> 1, sigmoid.
    Conv,
}

/// The loss a run minimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossSpec {
    /// Mean squared error between the output and the label.
    Mse,
    /// Binary cross-entropy on logits: the model's output is a logit, so its output
    /// activation must be [`ActivationSpec::Identity`].
    BceWithLogits,
}

/// The update rule of a run. The hyperparameters besides the learning rate are fixed: the
/// decay of momentum and Nesterov is [`MOMENTUM`], and Adagrad, RMSProp and Adam use the
/// defaults of their `nn` config structs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerSpec {
    /// `w -= lr g`.
    Sgd,
    /// `v = 0.9 v + lr g; w -= v`.
    Momentum,
    /// `v = 0.9 v + lr g; w -= 0.9 v + lr g`.
    Nesterov,
    /// Adagrad: steps scaled by the root of the sum of squared gradients.
    Adagrad,
    /// RMSProp: steps scaled by the root of a moving average of squared gradients.
    RmsProp,
    /// Adam with `beta1 = 0.9`, `beta2 = 0.999`.
    Adam,
}

impl OptimizerSpec {
    /// Every update rule, in report order.
    pub const ALL: [OptimizerSpec; 6] = [
        OptimizerSpec::Sgd,
        OptimizerSpec::Momentum,
        OptimizerSpec::Nesterov,
        OptimizerSpec::Adagrad,
        OptimizerSpec::RmsProp,
        OptimizerSpec::Adam,
    ];

    /// Returns the name used in run ids: `sgd`, `momentum`, `nesterov`, `adagrad`,
    /// `rmsprop`, `adam`.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerSpec::Sgd => "sgd",
            OptimizerSpec::Momentum => "momentum",
            OptimizerSpec::Nesterov => "nesterov",
            OptimizerSpec::Adagrad => "adagrad",
            OptimizerSpec::RmsProp => "rmsprop",
            OptimizerSpec::Adam => "adam",
        }
    }
}

/// The weight initialiser of a run. Biases always start at zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitSpec {
    /// `N(0, 1)`, as `np.random.randn`.
    StandardNormal,
    /// Glorot uniform.
    Xavier,
    /// He normal.
    He,
}

impl InitSpec {
    /// Returns the `nn` initialiser.
    pub fn to_nn(self) -> nn::Init {
        match self {
            InitSpec::StandardNormal => nn::Init::StandardNormal,
            InitSpec::Xavier => nn::Init::Xavier,
            InitSpec::He => nn::Init::He,
        }
    }
}

/// One run: everything needed to train it and to find it in the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Unique id, such as `lr/0.01/xor`.
    pub id: String,
    /// The sweep the run belongs to, one of [`SWEEPS`].
    pub sweep: String,
    /// The swept value as shown in legends and tables, such as `0.01` or `adam`. For
    /// single-run sweeps it is the sweep name.
    pub value: String,
    /// The data set.
    pub dataset: DataSpec,
    /// The network.
    pub model: ModelSpec,
    /// The loss.
    pub loss: LossSpec,
    /// The update rule.
    pub optimizer: OptimizerSpec,
    /// The learning rate.
    pub lr: f64,
    /// The number of full-batch updates.
    pub epochs: usize,
    /// The seed of the initial weights and, for the linear set, of the training and test
    /// draws (see [`crate::runner`]).
    pub seed: u64,
    /// The weight initialiser.
    pub init: InitSpec,
}

impl RunSpec {
    /// Returns the baseline on `dataset` with `seed`, with the id `base/DATA`.
    pub fn baseline(dataset: DataSpec, seed: u64) -> RunSpec {
        RunSpec {
            id: format!("base/{}", dataset.name()),
            sweep: "base".to_string(),
            value: "base".to_string(),
            dataset,
            model: ModelSpec::Mlp {
                hidden: vec![BASE_HIDDEN, BASE_HIDDEN],
                hidden_activation: ActivationSpec::Sigmoid,
                output_activation: ActivationSpec::Sigmoid,
            },
            loss: LossSpec::Mse,
            optimizer: OptimizerSpec::Sgd,
            lr: BASE_LR,
            epochs: BASE_EPOCHS,
            seed,
            init: InitSpec::StandardNormal,
        }
    }

    /// Returns a copy with another seed; the id stays the same.
    pub fn with_seed(&self, seed: u64) -> RunSpec {
        RunSpec {
            seed,
            ..self.clone()
        }
    }

    /// Returns a copy with another epoch count, for quick checks; the id stays the same.
    pub fn with_epochs(&self, epochs: usize) -> RunSpec {
        RunSpec {
            epochs,
            ..self.clone()
        }
    }

    /// Returns the id without its data-set part, such as `lr/0.01` for `lr/0.01/xor`.
    pub fn stem(&self) -> &str {
        self.id
            .rsplit_once('/')
            .map_or(self.id.as_str(), |(stem, _)| stem)
    }

    /// Returns a one-line description of the network, such as `2-10-10-1, sigmoid hidden,
    /// sigmoid output`.
    pub fn describe_model(&self) -> String {
        match &self.model {
            ModelSpec::Mlp {
                hidden,
                hidden_activation,
                output_activation,
            } => {
                let widths: Vec<String> = hidden.iter().map(usize::to_string).collect();
                format!(
                    "2-{}-1, {} hidden, {} output",
                    widths.join("-"),
                    hidden_activation.name(),
                    output_activation.name()
                )
            }
            ModelSpec::Conv => {
                "Conv1d(1 -> 1, k 3, p 1) + sigmoid, Flatten, Dense 2 -> 1 + sigmoid".to_string()
            }
        }
    }
}

/// Formats a learning rate for ids and legends, keeping one decimal on whole numbers so
/// that 1.0 reads `1.0`, not `1`.
pub fn format_lr(lr: f64) -> String {
    if lr.fract() == 0.0 {
        format!("{lr:.1}")
    } else {
        lr.to_string()
    }
}

/// Builds a run of `sweep` with swept `value`: the baseline on `dataset` changed by `edit`.
fn variant(
    sweep: &str,
    value: &str,
    dataset: DataSpec,
    seed: u64,
    edit: impl FnOnce(&mut RunSpec),
) -> RunSpec {
    let mut spec = RunSpec::baseline(dataset, seed);
    spec.id = format!("{sweep}/{value}/{}", dataset.name());
    spec.sweep = sweep.to_string();
    spec.value = value.to_string();
    edit(&mut spec);
    spec
}

/// Sets the hidden activation of an MLP spec; other models are left as they are.
fn set_hidden_activation(spec: &mut RunSpec, activation: ActivationSpec) {
    if let ModelSpec::Mlp {
        hidden_activation, ..
    } = &mut spec.model
    {
        *hidden_activation = activation;
    }
}

/// Returns the runs of one sweep on one data set, in table order.
///
/// # Panics
///
/// When `sweep` is not one of [`SWEEPS`].
pub fn sweep_runs(sweep: &str, dataset: DataSpec, seed: u64) -> Vec<RunSpec> {
    match sweep {
        "base" => vec![RunSpec::baseline(dataset, seed)],
        "lr" => [1.0, 0.1, 0.01, 0.001]
            .into_iter()
            .map(|lr: f64| variant("lr", &format_lr(lr), dataset, seed, |s| s.lr = lr))
            .collect(),
        "hidden" => [2, 4, 10, 32]
            .into_iter()
            .map(|units: usize| {
                variant("hidden", &units.to_string(), dataset, seed, |s| {
                    if let ModelSpec::Mlp { hidden, .. } = &mut s.model {
                        *hidden = vec![units, units];
                    }
                })
            })
            .collect(),
        "no-activation" => vec![
            variant("no-activation", "A", dataset, seed, |s| {
                set_hidden_activation(s, ActivationSpec::Identity);
            }),
            variant("no-activation", "B", dataset, seed, |s| {
                s.model = ModelSpec::Mlp {
                    hidden: vec![BASE_HIDDEN, BASE_HIDDEN],
                    hidden_activation: ActivationSpec::Identity,
                    output_activation: ActivationSpec::Identity,
                };
            }),
        ],
        "optimizer" => OptimizerSpec::ALL
            .into_iter()
            .map(|rule| {
                variant("optimizer", rule.name(), dataset, seed, |s| {
                    s.optimizer = rule
                })
            })
            .collect(),
        "activation" => [
            ActivationSpec::Sigmoid,
            ActivationSpec::Relu,
            ActivationSpec::Tanh,
            ActivationSpec::LeakyRelu,
        ]
        .into_iter()
        .map(|activation| {
            variant("activation", activation.name(), dataset, seed, |s| {
                set_hidden_activation(s, activation);
            })
        })
        .collect(),
        "conv" => {
            let mut spec = RunSpec::baseline(dataset, seed);
            spec.id = format!("conv/{}", dataset.name());
            spec.sweep = "conv".to_string();
            spec.value = "conv".to_string();
            spec.model = ModelSpec::Conv;
            // The small conv model gets a short schedule on the linear set, and a longer one
            // with a larger step on XOR.
            (spec.epochs, spec.lr) = match dataset {
                DataSpec::Linear => (100, 0.1),
                DataSpec::Xor => (500, 1.0),
            };
            vec![spec]
        }
        other => panic!(
            "sweep_runs: unknown sweep {other:?}; pass one of {}",
            SWEEPS.join(", ")
        ),
    }
}

/// Returns every run, sweep by sweep in [`SWEEPS`] order, the linear set before XOR within
/// each sweep, all with `seed`.
///
/// # Examples
///
/// ```
/// let runs = experiments::catalogue::catalogue(1);
/// assert!(runs.iter().any(|run| run.id == "lr/0.01/xor"));
/// assert!(runs.iter().all(|run| run.seed == 1));
/// ```
pub fn catalogue(seed: u64) -> Vec<RunSpec> {
    SWEEPS
        .iter()
        .flat_map(|sweep| {
            DataSpec::ALL
                .into_iter()
                .flat_map(move |dataset| sweep_runs(sweep, dataset, seed))
        })
        .collect()
}
