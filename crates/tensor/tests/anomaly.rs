//! Anomaly mode names the first op whose output is not finite, with its
//! input shapes and the caller's line; unused parameters are reported.

use std::panic::{self, AssertUnwindSafe};

use tensor::{shape, AnomalyMode, ParamId, Tape, Tensor};

#[test]
fn record_names_first_non_finite_op() {
    let tape = Tape::<f64>::new();
    tape.set_anomaly_mode(AnomalyMode::Record);
    let x = tape.var(Tensor::new(vec![1.0, -2.0, 3.0], &[3]));

    let (logs, line) = (x.ln(), line!());
    let loss = (logs * 2.0).exp().sum();

    // The NaN from ln(-2) reaches the loss, but the record keeps the op that
    // produced it first.
    assert!(loss.item().is_nan());
    let anomaly = tape.anomaly().expect("ln of a negative number is recorded");
    assert_eq!(anomaly.op, "ln");
    assert_eq!(anomaly.input_shapes, vec![shape(&[3])]);
    assert_eq!(anomaly.output_shape, shape(&[3]));
    assert_eq!(anomaly.location.file(), file!());
    assert_eq!(anomaly.location.line(), line);
    let message = anomaly.to_string();
    assert!(message.contains("op `ln`"), "message: {message}");
    assert!(
        message.contains("inputs of shape [3]"),
        "message: {message}"
    );
    assert!(
        message.contains(&format!("{}:{line}:", file!())),
        "message: {message}"
    );
}

#[test]
fn record_names_binary_op_and_both_shapes() {
    let tape = Tape::<f64>::new();
    tape.set_anomaly_mode(AnomalyMode::Record);
    let a = tape.var(Tensor::new(vec![1.0, 0.0], &[2, 1]));
    let b = tape.var(Tensor::new(vec![0.0, 1.0, 2.0], &[3]));

    let (_ratio, line) = (a / b, line!());

    let anomaly = tape.anomaly().expect("division by zero is recorded");
    assert_eq!(anomaly.op, "div");
    assert_eq!(anomaly.input_shapes, vec![shape(&[2, 1]), shape(&[3])]);
    assert_eq!(anomaly.output_shape, shape(&[2, 3]));
    assert_eq!(anomaly.location.line(), line);
}

#[test]
fn panic_mode_reports_op_and_line() {
    let tape = Tape::<f64>::new();
    tape.set_anomaly_mode(AnomalyMode::Panic);
    let x = tape.var(Tensor::new(vec![-1.0], &[1]));

    let (result, line) = (panic::catch_unwind(AssertUnwindSafe(|| x.ln())), line!());

    let payload = result.expect_err("anomaly mode Panic stops at ln(-1)");
    let message = payload
        .downcast_ref::<String>()
        .expect("the panic carries a formatted message");
    assert!(
        message.starts_with("anomaly mode: op `ln` produced a non-finite value"),
        "message: {message}"
    );
    assert!(
        message.contains(&format!("{}:{line}:", file!())),
        "message: {message}"
    );
}

#[test]
fn off_and_finite_record_nothing() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![-1.0], &[1]));
    let _ = x.ln();
    assert_eq!(tape.anomaly(), None, "mode Off records nothing");

    let mut tape = Tape::<f64>::new();
    tape.set_anomaly_mode(AnomalyMode::Record);
    let x = tape.var(Tensor::new(vec![2.0], &[1]));
    let _ = x.ln().softmax(0).log_sigmoid();
    assert_eq!(tape.anomaly(), None, "finite outputs record nothing");

    let x = tape.var(Tensor::new(vec![0.0], &[1]));
    let _ = x.recip();
    assert_eq!(tape.anomaly().map(|a| a.op), Some("recip"));
    tape.clear();
    assert_eq!(tape.anomaly(), None, "clear resets the record");
}

#[test]
fn params_without_grad_lists_unused() {
    let tape = Tape::<f64>::new();
    let used = ParamId::new();
    let unused = ParamId::new();
    let w = tape.param(used, &Tensor::ones(&[2]));
    let _v = tape.param(unused, &Tensor::ones(&[2]));

    let grads = (w * w).sum().backward();

    assert_eq!(grads.params_without_grad(), vec![unused]);
    assert!(grads.param(used).is_some());
    assert!(grads.param(unused).is_none());
}
