//! Every op's gradient against central finite differences in `f64`, from
//! one table, and the checker's own failure on a wrong derivative.
//!
//! Inputs stay away from the points where an op is not differentiable: abs
//! and relu at 0, tied maxima, clamp bounds. `grad_unary.rs` and
//! `grad_reduce.rs` check those points by hand.

mod common;

use std::collections::BTreeSet;

use common::uniform;
use tensor::{
    gradcheck, AffineActivation, CustomOp, GradcheckError, Tape, Tensor, TensorError, Var,
};

type Graph = Box<dyn for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>>;

/// One row: a graph of ops and the inputs it is checked at.
struct Case {
    name: String,
    inputs: Vec<Tensor<f64>>,
    graph: Graph,
}

fn case(
    name: impl Into<String>,
    inputs: Vec<Tensor<f64>>,
    graph: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64> + 'static,
) -> Case {
    Case {
        name: name.into(),
        inputs,
        graph: Box::new(graph),
    }
}

/// Values in `[-2, 2)`.
fn any(dims: &[usize], seed: u64) -> Tensor<f64> {
    uniform(dims, -2.0, 2.0, seed)
}

/// Values in `[0.5, 2)`, inside the domain of ln, sqrt and powf.
fn positive(dims: &[usize], seed: u64) -> Tensor<f64> {
    uniform(dims, 0.5, 2.0, seed)
}

/// Values of magnitude in `[0.2, 2)` with alternating signs, away from the
/// kink of abs, relu and leaky_relu at 0.
fn signed(dims: &[usize], seed: u64) -> Tensor<f64> {
    let magnitudes = uniform(dims, 0.2, 2.0, seed);
    Tensor::from_fn(dims, |i| {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        sign * magnitudes.data()[i]
    })
}

/// `x^3` with its correct derivative `3x^2`, as a user-defined op.
struct Cube;

impl CustomOp<f64> for Cube {
    fn name(&self) -> &'static str {
        "cube"
    }

    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError> {
        Ok(inputs[0].map(|x| x * x * x))
    }

    fn backward(
        &self,
        inputs: &[&Tensor<f64>],
        _output: &Tensor<f64>,
        grad_output: &Tensor<f64>,
    ) -> Vec<Option<Tensor<f64>>> {
        let x = inputs[0];
        let grad = Tensor::from_fn(x.dims(), |i| {
            3.0 * x.data()[i] * x.data()[i] * grad_output.data()[i]
        });
        vec![Some(grad)]
    }
}

fn unary_cases() -> Vec<Case> {
    let d = [2, 3];
    vec![
        case("neg", vec![any(&d, 1)], |v| -v[0]),
        case("exp", vec![any(&d, 2)], |v| v[0].exp()),
        case("ln", vec![positive(&d, 3)], |v| v[0].ln()),
        case("sqrt", vec![positive(&d, 4)], |v| v[0].sqrt()),
        case("abs", vec![signed(&d, 5)], |v| v[0].abs()),
        case("square", vec![any(&d, 6)], |v| v[0].square()),
        case("recip", vec![signed(&d, 7)], |v| v[0].recip()),
        case("powf", vec![positive(&d, 8)], |v| v[0].powf(1.5)),
        case("powf negative exponent", vec![positive(&d, 9)], |v| {
            v[0].powf(-2.5)
        }),
        case("tanh", vec![any(&d, 10)], |v| v[0].tanh()),
        case("sigmoid", vec![any(&d, 11)], |v| v[0].sigmoid()),
        case("relu", vec![signed(&d, 12)], |v| v[0].relu()),
        case("leaky_relu", vec![signed(&d, 13)], |v| v[0].leaky_relu(0.1)),
        case("softplus", vec![any(&d, 14)], |v| v[0].softplus()),
        case("log_sigmoid", vec![any(&d, 15)], |v| v[0].log_sigmoid()),
        // Bounds chosen between the sampled values, so no element sits on one.
        case(
            "clamp",
            vec![Tensor::new(vec![-1.7, -0.6, 0.1, 0.5, 1.2, -1.1], &d)],
            |v| v[0].clamp(-0.9, 0.7),
        ),
        case("add_scalar", vec![any(&d, 16)], |v| v[0].add_scalar(0.5)),
        case("mul_scalar", vec![any(&d, 17)], |v| v[0].mul_scalar(-1.5)),
        case("operator var + scalar", vec![any(&d, 18)], |v| v[0] + 2.0),
        case("operator var - scalar", vec![any(&d, 19)], |v| v[0] - 2.0),
        case("operator var * scalar", vec![any(&d, 20)], |v| v[0] * 3.0),
        case("operator var / scalar", vec![any(&d, 21)], |v| v[0] / 4.0),
        case("operator scalar - var", vec![any(&d, 22)], |v| 1.0 - v[0]),
        case("operator scalar / var", vec![signed(&d, 23)], |v| {
            2.0 / v[0]
        }),
    ]
}

fn binary_cases() -> Vec<Case> {
    // The same op at equal shapes and at the two broadcast patterns.
    let shape_pairs: [(&str, [&[usize]; 2]); 5] = [
        ("equal shapes", [&[2, 3], &[2, 3]]),
        ("(4, 3) matrix with (3,) bias", [&[4, 3], &[3]]),
        ("(3, 1) with (1, 4)", [&[3, 1], &[1, 4]]),
        ("(4,) with (2, 3, 4)", [&[4], &[2, 3, 4]]),
        ("(2, 3, 4) with scalar", [&[2, 3, 4], &[]]),
    ];
    let mut cases = Vec::new();
    for (label, [lhs, rhs]) in shape_pairs {
        let seed = cases.len() as u64 * 7 + 100;
        cases.push(case(
            format!("add {label}"),
            vec![any(lhs, seed), any(rhs, seed + 1)],
            |v| v[0] + v[1],
        ));
        cases.push(case(
            format!("sub {label}"),
            vec![any(lhs, seed + 2), any(rhs, seed + 3)],
            |v| v[0] - v[1],
        ));
        cases.push(case(
            format!("mul {label}"),
            vec![any(lhs, seed + 4), any(rhs, seed + 5)],
            |v| v[0] * v[1],
        ));
        cases.push(case(
            format!("div {label}"),
            vec![any(lhs, seed + 6), signed(rhs, seed + 7)],
            |v| v[0] / v[1],
        ));
        // Continuous random values tie with probability 0.
        cases.push(case(
            format!("maximum {label}"),
            vec![any(lhs, seed + 8), any(rhs, seed + 9)],
            |v| v[0].maximum(v[1]),
        ));
        cases.push(case(
            format!("minimum {label}"),
            vec![any(lhs, seed + 10), any(rhs, seed + 11)],
            |v| v[0].minimum(v[1]),
        ));
    }
    cases
}

fn reduce_cases() -> Vec<Case> {
    let d = [2, 3, 4];
    let mut cases = vec![
        case("sum", vec![any(&d, 200)], |v| v[0].sum()),
        case("mean", vec![any(&d, 201)], |v| v[0].mean()),
        case("max", vec![any(&d, 202)], |v| v[0].max()),
        case("var population", vec![any(&d, 203)], |v| v[0].var(0)),
        case("var sample", vec![any(&d, 204)], |v| v[0].var(1)),
    ];
    let axis_sets: [&[isize]; 6] = [&[0], &[1], &[2], &[-1], &[0, 2], &[0, 1, 2]];
    for axes in axis_sets {
        for keepdim in [false, true] {
            let seed = 300 + cases.len() as u64;
            let label = format!("over {axes:?} keepdim {keepdim}");
            cases.push(case(
                format!("sum_axes {label}"),
                vec![any(&d, seed)],
                move |v| v[0].sum_axes(axes, keepdim),
            ));
            cases.push(case(
                format!("mean_axes {label}"),
                vec![any(&d, seed + 1)],
                move |v| v[0].mean_axes(axes, keepdim),
            ));
            cases.push(case(
                format!("max_axes {label}"),
                vec![any(&d, seed + 2)],
                move |v| v[0].max_axes(axes, keepdim),
            ));
            for correction in [0, 1] {
                cases.push(case(
                    format!("var_axes correction {correction} {label}"),
                    vec![any(&d, seed + 3 + correction as u64)],
                    move |v| v[0].var_axes(axes, keepdim, correction),
                ));
            }
        }
    }
    cases
}

fn matmul_cases() -> Vec<Case> {
    vec![
        case(
            "matmul [3, 4] x [4, 2]",
            vec![any(&[3, 4], 400), any(&[4, 2], 401)],
            |v| v[0].matmul(v[1]),
        ),
        case(
            "matmul [2, 3, 4] x [2, 4, 5]",
            vec![any(&[2, 3, 4], 402), any(&[2, 4, 5], 403)],
            |v| v[0].matmul(v[1]),
        ),
        case(
            "matmul [2, 3, 4] x shared [4, 5]",
            vec![any(&[2, 3, 4], 404), any(&[4, 5], 405)],
            |v| v[0].matmul(v[1]),
        ),
        case(
            "affine [3, 4] x [4, 2] + [2]",
            vec![any(&[3, 4], 406), any(&[4, 2], 407), any(&[2], 408)],
            |v| v[0].affine(v[1], v[2]),
        ),
        case(
            "affine [2, 3, 4] x [4, 5] + [5]",
            vec![any(&[2, 3, 4], 409), any(&[4, 5], 410), any(&[5], 411)],
            |v| v[0].affine(v[1], v[2]),
        ),
        case(
            "affine_sigmoid [3, 4] x [4, 2] + [2]",
            vec![any(&[3, 4], 414), any(&[4, 2], 415), any(&[2], 416)],
            |v| v[0].affine_activation(v[1], v[2], AffineActivation::Sigmoid),
        ),
        case(
            "affine_tanh [2, 3, 4] x [4, 5] + [5]",
            vec![any(&[2, 3, 4], 417), any(&[4, 5], 418), any(&[5], 419)],
            |v| v[0].affine_activation(v[1], v[2], AffineActivation::Tanh),
        ),
        case(
            "affine_relu [3, 4] x [4, 2] + [2]",
            vec![any(&[3, 4], 420), any(&[4, 2], 421), any(&[2], 422)],
            |v| v[0].affine_activation(v[1], v[2], AffineActivation::Relu),
        ),
        case(
            "mse_loss [3, 2]",
            vec![any(&[3, 2], 412), any(&[3, 2], 413)],
            |v| v[0].mse_loss(v[1]),
        ),
    ]
}

fn shape_cases() -> Vec<Case> {
    vec![
        case("reshape", vec![any(&[2, 3, 4], 500)], |v| {
            v[0].reshape(&[6, 4])
        }),
        case("broadcast_to (3, 1)", vec![any(&[3, 1], 501)], |v| {
            v[0].broadcast_to(&[2, 3, 4])
        }),
        case("broadcast_to (4,)", vec![any(&[4], 502)], |v| {
            v[0].broadcast_to(&[2, 3, 4])
        }),
        case("transpose", vec![any(&[3, 4], 503)], |v| v[0].transpose()),
        case("transpose_axes", vec![any(&[2, 3, 4], 504)], |v| {
            v[0].transpose_axes(0, -1)
        }),
        case("permute", vec![any(&[2, 3, 4], 505)], |v| {
            v[0].permute(&[2, 0, 1])
        }),
        case(
            "concat axis 0",
            vec![any(&[2, 3], 506), any(&[1, 3], 507)],
            |v| Var::concat(&[v[0], v[1]], 0),
        ),
        case(
            "concat axis -1 of three",
            vec![any(&[2, 1], 508), any(&[2, 3], 509), any(&[2, 2], 510)],
            |v| Var::concat(&[v[0], v[1], v[2]], -1),
        ),
        case(
            "stack axis 0",
            vec![any(&[2, 3], 511), any(&[2, 3], 512)],
            |v| Var::stack(&[v[0], v[1]], 0),
        ),
        case(
            "stack axis -1",
            vec![any(&[2, 3], 513), any(&[2, 3], 514), any(&[2, 3], 515)],
            |v| Var::stack(&[v[0], v[1], v[2]], -1),
        ),
        case("slice middle axis", vec![any(&[2, 5, 3], 516)], |v| {
            v[0].slice(1, 1..4)
        }),
        case("slice last axis", vec![any(&[2, 5, 3], 517)], |v| {
            v[0].slice(-1, 0..1)
        }),
        case("index_select with repeats", vec![any(&[4, 3], 518)], |v| {
            v[0].index_select(0, &[2, 0, 2, 3])
        }),
        case("index_select last axis", vec![any(&[2, 4], 519)], |v| {
            v[0].index_select(-1, &[1, 1, 3])
        }),
    ]
}

fn softmax_cases() -> Vec<Case> {
    vec![
        case("softmax last axis", vec![any(&[2, 3, 4], 600)], |v| {
            v[0].softmax(-1)
        }),
        case("softmax axis 0", vec![any(&[2, 3, 4], 601)], |v| {
            v[0].softmax(0)
        }),
        case("log_softmax middle axis", vec![any(&[2, 3, 4], 602)], |v| {
            v[0].log_softmax(1)
        }),
        case("log_softmax large inputs", vec![any(&[3, 4], 603)], |v| {
            v[0].mul_scalar(20.0).log_softmax(-1)
        }),
    ]
}

fn composite_cases() -> Vec<Case> {
    vec![
        case("custom op", vec![any(&[2, 3], 700)], |v| {
            Var::apply(Cube, &[v[0]])
        }),
        // `x` feeds two ops, so its gradient is the sum of both paths.
        case("var used twice", vec![any(&[2, 3], 704)], |v| {
            (v[0].sigmoid() * v[0]).sum()
        }),
        // `x` feeds three ops, so its gradient is the sum of three paths.
        case("var reused three times", vec![any(&[2, 3], 701)], |v| {
            let x = v[0];
            x * x.tanh() + x.square()
        }),
        case(
            "weight reused in two matmuls",
            vec![any(&[3, 4], 702), any(&[4, 4], 703)],
            |v| v[0].matmul(v[1]).tanh().matmul(v[1].transpose()),
        ),
        case(
            "dense layer with log_softmax loss",
            vec![any(&[5, 3], 704), any(&[3, 4], 705), any(&[4], 706)],
            |v| {
                let logits = v[0].matmul(v[1]) + v[2];
                -logits.log_softmax(-1).index_select(1, &[0]).mean()
            },
        ),
        case(
            "normalisation by mean and variance",
            vec![any(&[3, 5], 707)],
            |v| {
                let x = v[0];
                let centred = x - x.mean_axes(&[-1], true);
                centred / x.var_axes(&[-1], true, 0).add_scalar(1e-3).sqrt()
            },
        ),
    ]
}

/// Collects the op names that a case records, read from the printed tape.
fn recorded_ops(case: &Case) -> BTreeSet<String> {
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = case.inputs.iter().map(|x| tape.var(x.clone())).collect();
    (case.graph)(&vars);
    tape.to_string()
        .lines()
        .filter_map(|line| {
            let kind = line.split(" = ").nth(1)?.split(' ').next()?;
            let name = kind.split('(').next()?;
            kind.contains('(').then(|| name.to_string())
        })
        .collect()
}

#[test]
fn every_op_matches_finite_differences() {
    let cases: Vec<Case> = [
        unary_cases(),
        binary_cases(),
        reduce_cases(),
        matmul_cases(),
        shape_cases(),
        softmax_cases(),
        composite_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();

    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    for case in &cases {
        covered.extend(recorded_ops(case));
        match gradcheck(&*case.graph, &case.inputs) {
            Ok(report) => {
                let elements: usize = case.inputs.iter().map(Tensor::len).sum();
                assert_eq!(report.elements, elements, "{}: elements checked", case.name);
            }
            Err(err) => failures.push(format!("{}: {err}", case.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    let every_op = [
        "neg",
        "exp",
        "ln",
        "sqrt",
        "abs",
        "square",
        "recip",
        "powf",
        "tanh",
        "sigmoid",
        "relu",
        "leaky_relu",
        "softplus",
        "log_sigmoid",
        "clamp",
        "add_scalar",
        "mul_scalar",
        "add",
        "sub",
        "mul",
        "div",
        "maximum",
        "minimum",
        "sum",
        "mean",
        "max",
        "var",
        "matmul",
        "affine",
        "affine_sigmoid",
        "affine_tanh",
        "affine_relu",
        "mse_loss",
        "reshape",
        "broadcast_to",
        "permute",
        "concat",
        "stack",
        "slice",
        "index_select",
        "softmax",
        "log_softmax",
        "cube",
    ];
    let missing: Vec<&str> = every_op
        .iter()
        .copied()
        .filter(|op| !covered.contains(*op))
        .collect();
    assert!(missing.is_empty(), "no gradcheck row records {missing:?}");
}

/// `x^2` whose backward returns `2x + x^3 / 1000`: wrong by an amount that
/// grows with `|x|`, so the worst element is the largest input.
struct WrongSquare;

impl CustomOp<f64> for WrongSquare {
    fn name(&self) -> &'static str {
        "wrong_square"
    }

    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError> {
        Ok(inputs[0].map(|x| x * x))
    }

    fn backward(
        &self,
        inputs: &[&Tensor<f64>],
        _output: &Tensor<f64>,
        grad_output: &Tensor<f64>,
    ) -> Vec<Option<Tensor<f64>>> {
        let x = inputs[0];
        let grad = Tensor::from_fn(x.dims(), |i| {
            let x = x.data()[i];
            (2.0 * x + x * x * x / 1000.0) * grad_output.data()[i]
        });
        vec![Some(grad)]
    }
}

#[test]
fn gradcheck_rejects_wrong_derivative() {
    let x = Tensor::new(vec![0.5, -1.0, 2.0, 0.1], &[2, 2]);

    let err = gradcheck(|v| Var::apply(WrongSquare, &[v[0]]).sum(), &[x]).unwrap_err();

    // The errors are |x|^3 / 1000: 1.25e-4, 1e-3, 8e-3 and 1e-6. The last is
    // within the default tolerance, the largest is at x = 2.0, index [1, 0].
    let GradcheckError::Mismatch {
        input,
        ref index,
        analytic,
        numeric,
        failures,
    } = err
    else {
        panic!("expected a mismatch, got {err:?}");
    };
    assert_eq!(input, 0);
    assert_eq!(index, &[1, 0]);
    assert_eq!(failures, 3);
    // gradcheck scales the output by a fixed upstream weight `w`, so the
    // analytic value is 4.008 w and the numeric one 4 w.
    let ratio = analytic / numeric;
    assert!(
        (ratio - 1.002).abs() < 1e-6,
        "analytic {analytic}, numeric {numeric}"
    );
    let message = err.to_string();
    assert!(
        message.contains("worst is input 0 at index [1, 0]"),
        "message: {message}"
    );
}

#[test]
fn gradcheck_names_wrong_input() {
    let a = Tensor::new(vec![1.0, 2.0], &[2]);
    let b = Tensor::new(vec![0.5, 3.0], &[2]);

    // The correct op on the first input, the wrong one on the second.
    let err = gradcheck(
        |v| (v[0].square() + Var::apply(WrongSquare, &[v[1]])).sum(),
        &[a, b],
    )
    .unwrap_err();

    let GradcheckError::Mismatch { input, index, .. } = err else {
        panic!("expected a mismatch, got {err:?}");
    };
    assert_eq!(input, 1);
    assert_eq!(index, vec![1]);
}
