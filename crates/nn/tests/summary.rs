//! Model summaries: output shapes, parameter counts, the table, and errors
//! that name the layer.

use nn::{Activation, Dense, Init, Module, Param, Sequential};
use rand::SeedableRng;
use tensor::Var;

/// The 2-10-10-1 sigmoid network.
fn baseline() -> Sequential<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    Sequential::new()
        .add(Dense::new(2, 10, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(10, 10, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(10, 1, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid)
}

#[test]
fn summary_baseline_counts() {
    let summary = baseline().summary(&[21, 2]).unwrap();
    // Dense(2 -> 10): 2 * 10 + 10; Dense(10 -> 10): 10 * 10 + 10;
    // Dense(10 -> 1): 10 + 1; activations have none.
    let counts: Vec<usize> = summary.layers().iter().map(|l| l.parameters).collect();
    assert_eq!(counts, [30, 0, 110, 0, 11, 0]);
    assert_eq!(summary.total_parameters(), 151);
    assert_eq!(summary.total_parameters(), baseline().num_parameters());
}

#[test]
fn summary_baseline_shapes() {
    let summary = baseline().summary(&[21, 2]).unwrap();
    let shapes: Vec<Vec<usize>> = summary
        .layers()
        .iter()
        .map(|l| l.output_shape.to_vec())
        .collect();
    assert_eq!(
        shapes,
        [
            vec![21, 10],
            vec![21, 10],
            vec![21, 10],
            vec![21, 10],
            vec![21, 1],
            vec![21, 1]
        ]
    );
    assert_eq!(summary.input_shape(), [21, 2]);
    assert_eq!(summary.output_shape(), [21, 1]);
    assert_eq!(baseline().output_shape(&[21, 2]).unwrap().to_vec(), [21, 1]);
}

#[test]
fn summary_dense_takes_batched_rows() {
    let summary = baseline().summary(&[4, 3, 2]).unwrap();
    assert_eq!(summary.output_shape(), [4, 3, 1]);
}

#[test]
fn summary_table_lists_every_layer() {
    let table = baseline().summary(&[21, 2]).unwrap().to_string();
    let expected = "\
#  layer            output shape  parameters
   input            [21, 2]
0  Dense(2 -> 10)   [21, 10]              30
1  Sigmoid          [21, 10]               0
2  Dense(10 -> 10)  [21, 10]             110
3  Sigmoid          [21, 10]               0
4  Dense(10 -> 1)   [21, 1]               11
5  Sigmoid          [21, 1]                0
--------------------------------------------
   total                                 151
";
    assert_eq!(table, expected, "table:\n{table}");
}

#[test]
fn summary_first_layer_mismatch_names_layer() {
    let err = baseline().summary(&[21, 3]).unwrap_err();
    let message = err.to_string();
    assert_eq!(err.op(), "Dense");
    assert!(message.contains("layer 0, Dense(2 -> 10)"), "{message}");
    assert!(message.contains("[21, 3]"), "{message}");
    assert!(message.contains("[2, 10]"), "{message}");
}

#[test]
fn summary_later_layer_mismatch_names_layer() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let model = Sequential::<f32>::new()
        .add(Dense::new(2, 10, Init::Xavier, &mut rng))
        .add(Activation::Relu)
        .add(Dense::new(5, 1, Init::Xavier, &mut rng));
    let message = model.summary(&[8, 2]).unwrap_err().to_string();
    assert!(message.contains("layer 2, Dense(5 -> 1)"), "{message}");
    assert!(message.contains("[8, 10]"), "{message}");
}

#[test]
fn summary_rejects_rank_one_input() {
    let message = baseline().summary(&[2]).unwrap_err().to_string();
    assert!(message.contains("layer 0"), "{message}");
}

/// A module that keeps the default `output_shape`.
struct Opaque;

impl Module<f64> for Opaque {
    fn forward<'t>(&self, input: Var<'t, f64>) -> Var<'t, f64> {
        input.square()
    }

    fn visit_params<'a>(&'a self, _f: &mut dyn FnMut(&'a Param<f64>)) {}

    fn visit_params_mut(&mut self, _f: &mut dyn FnMut(&mut Param<f64>)) {}

    fn describe(&self) -> String {
        "Opaque".to_string()
    }
}

#[test]
fn summary_without_output_shape_errors() {
    let model = baseline().add(Opaque);
    let message = model.summary(&[21, 2]).unwrap_err().to_string();
    assert!(
        message.contains("Opaque does not implement Module::output_shape"),
        "{message}"
    );
    assert!(message.contains("layer 6"), "{message}");
}

#[test]
fn nested_sequential_names_are_unique() {
    use nn::{Activation, Dense, Init, Sequential};
    use rand::SeedableRng;

    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let inner = Sequential::<f64>::new()
        .add(Dense::new(3, 3, Init::StandardNormal, &mut rng))
        .add(Activation::Tanh);
    let model = Sequential::<f64>::new()
        .add(Dense::new(2, 3, Init::StandardNormal, &mut rng))
        .add(inner);
    let names: Vec<String> = model
        .named_parameters()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, ["0.weight", "0.bias", "1.0.weight", "1.0.bias"]);
}
