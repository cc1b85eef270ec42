//! Shape errors: the panic names the op and both shapes and points at the
//! caller's line in this file, and each `try_` form returns a
//! [`TensorError`] whose message is the same text.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use tensor::{Tape, Tensor, TensorError, Var};

thread_local! {
    /// Set while `catch` runs a closure on this thread.
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    /// The file and line of the last panic caught on this thread.
    static PANIC_SITE: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
}

/// A caught panic: its message and where it was reported.
struct Caught {
    message: String,
    file: String,
    line: u32,
}

/// Installs, once per process, a panic hook that stores the panic's
/// location for threads inside `catch` and defers to the default hook
/// everywhere else, so a failing assertion still prints.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(Cell::get) {
                let site = info
                    .location()
                    .map(|location| (location.file().to_string(), location.line()));
                PANIC_SITE.with(|slot| *slot.borrow_mut() = site);
            } else {
                default(info);
            }
        }));
    });
}

/// Runs `f`, which must panic, and returns the panic's message and location.
#[track_caller]
fn catch<R>(f: impl FnOnce() -> R) -> Caught {
    install_hook();
    CAPTURING.with(|flag| flag.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|flag| flag.set(false));
    let Err(payload) = result else {
        panic!("expected the op to panic, but it returned");
    };
    let message = match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    };
    let (file, line) = PANIC_SITE
        .with(|slot| slot.borrow_mut().take())
        .expect("the panic hook recorded no location");
    Caught {
        message,
        file,
        line,
    }
}

/// Evaluates an op that must panic and pairs the result with the line of
/// this invocation, which the panic must point at.
macro_rules! panic_of {
    ($op:expr) => {
        (catch(|| $op), line!())
    };
}

/// Asserts that the panic points at `line` of this file and that its
/// message starts with `prefix` and contains every fragment.
#[track_caller]
fn assert_panic(caught: (Caught, u32), prefix: &str, fragments: &[&str]) {
    let (caught, line) = caught;
    assert_eq!(caught.file, file!(), "panic location file");
    assert_eq!(caught.line, line, "panic location line");
    assert!(
        caught.message.starts_with(prefix),
        "message {:?} does not start with {prefix:?}",
        caught.message
    );
    for fragment in fragments {
        assert!(
            caught.message.contains(fragment),
            "message {:?} does not contain {fragment:?}",
            caught.message
        );
    }
}

#[test]
fn matmul_panic_names_shapes_and_caller() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::zeros(&[3, 2]));
    let b = tape.var(Tensor::zeros(&[3, 1]));
    let batch = tape.var(Tensor::zeros(&[2, 3, 4]));
    let other_batch = tape.var(Tensor::zeros(&[3, 4, 5]));
    let vector = tape.var(Tensor::zeros(&[4]));

    assert_panic(
        panic_of!(a.matmul(b)),
        "matmul: shapes [3, 2] and [3, 1] are not aligned: 2 != 3",
        &[],
    );
    assert_panic(
        panic_of!(batch.matmul(other_batch)),
        "matmul: shapes [2, 3, 4] and [3, 4, 5] have different batch sizes: 2 != 3",
        &[],
    );
    assert_panic(
        panic_of!(vector.matmul(a)),
        "matmul: shapes [4] and [3, 2] cannot be multiplied",
        &["[b, m, k] x [k, n]"],
    );
}

#[test]
fn binary_operator_panics_name_shapes_and_caller() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::zeros(&[2, 3]));
    let b = tape.var(Tensor::zeros(&[4]));

    let cannot = "cannot be broadcast";
    assert_panic(panic_of!(a + b), "add: shapes [2, 3] and [4] ", &[cannot]);
    assert_panic(panic_of!(a - b), "sub: shapes [2, 3] and [4] ", &[cannot]);
    assert_panic(panic_of!(a * b), "mul: shapes [2, 3] and [4] ", &[cannot]);
    assert_panic(panic_of!(a / b), "div: shapes [2, 3] and [4] ", &[cannot]);
    assert_panic(
        panic_of!(a.maximum(b)),
        "maximum: shapes [2, 3] and [4] ",
        &[cannot],
    );
    assert_panic(
        panic_of!(a.minimum(b)),
        "minimum: shapes [2, 3] and [4] ",
        &[cannot],
    );
}

#[test]
fn shape_op_panics_name_shapes_and_caller() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros(&[2, 3]));
    let y = tape.var(Tensor::zeros(&[3, 3]));
    let z = tape.var(Tensor::zeros(&[2, 3, 4]));

    assert_panic(
        panic_of!(x.reshape(&[4, 2])),
        "reshape: cannot reshape 6 elements to [4, 2]",
        &["(shape [2, 3])"],
    );
    assert_panic(
        panic_of!(x.broadcast_to(&[2, 4])),
        "broadcast_to: shapes [2, 3] and [2, 4] cannot be broadcast",
        &[],
    );
    assert_panic(
        panic_of!(Var::concat(&[x, y], 1)),
        "concat: shapes [2, 3] and [3, 3] differ outside the concat axis 1",
        &["axis 0 has sizes 2 and 3"],
    );
    assert_panic(
        panic_of!(Var::concat(&[x, z], 0)),
        "concat: shapes [2, 3] and [2, 3, 4] have different ranks",
        &[],
    );
    assert_panic(
        panic_of!(Var::stack(&[x, y], 0)),
        "stack: shapes [2, 3] and [3, 3] differ",
        &[],
    );
    assert_panic(
        panic_of!(x.slice(1, 2..5)),
        "slice: range 2..5 does not fit axis 1 of size 3",
        &["(shape [2, 3])"],
    );
    assert_panic(
        panic_of!(x.index_select(0, &[1, 2])),
        "index_select: index 2 at position 1 is out of range for axis 0 of size 2",
        &["(shape [2, 3])"],
    );
    assert_panic(
        panic_of!(z.permute(&[0, 1, 1])),
        "permute: axes [0, 1, 1] are not a permutation of the 3 axes",
        &["(shape [2, 3, 4])"],
    );
    assert_panic(
        panic_of!(z.transpose()),
        "transpose: the var is not 2-D",
        &["(shape [2, 3, 4])"],
    );
    assert_panic(
        panic_of!(z.transpose_axes(0, 3)),
        "transpose_axes: axis 3 is out of range for shape [2, 3, 4]",
        &[],
    );
}

#[test]
fn axis_op_panics_name_shapes_and_caller() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros(&[2, 3]));
    let empty = tape.var(Tensor::zeros(&[2, 0]));
    let single = tape.var(Tensor::zeros(&[1]));

    assert_panic(
        panic_of!(x.softmax(2)),
        "softmax: axis 2 is out of range for shape [2, 3]",
        &["use an axis in -2..2"],
    );
    assert_panic(
        panic_of!(x.log_softmax(-3)),
        "log_softmax: axis -3 is out of range for shape [2, 3]",
        &[],
    );
    assert_panic(
        panic_of!(x.max_axes(&[2], false)),
        "max: axis 2 is out of range for shape [2, 3]",
        &[],
    );
    assert_panic(
        panic_of!(x.sum_axes(&[1, -1], false)),
        "sum: axis 1 is listed twice",
        &["(shape [2, 3])"],
    );
    assert_panic(
        panic_of!(empty.max_axes(&[1], false)),
        "max: the reduced axes have no elements",
        &["(shape [2, 0])"],
    );
    assert_panic(
        panic_of!(single.var(1)),
        "var: correction 1 needs more than 1 elements per output",
        &["(shape [1])"],
    );
}

/// Asserts that `result` is an error of `op` whose message is `panic_message`.
#[track_caller]
fn assert_same_error<V>(result: Result<V, TensorError>, op: &str, panic_message: &str) {
    let Err(err) = result else {
        panic!("expected {op} to return an error");
    };
    assert_eq!(err.op(), op);
    assert_eq!(err.to_string(), panic_message);
}

#[test]
fn try_forms_return_the_panic_message() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::zeros(&[3, 2]));
    let b = tape.var(Tensor::zeros(&[3, 1]));

    let matmul = catch(|| a.matmul(b)).message;
    assert_same_error(a.try_matmul(b), "matmul", &matmul);
    let reshape = catch(|| a.reshape(&[5])).message;
    assert_same_error(a.try_reshape(&[5]), "reshape", &reshape);
    let broadcast = catch(|| a.broadcast_to(&[3, 3])).message;
    assert_same_error(a.try_broadcast_to(&[3, 3]), "broadcast_to", &broadcast);
    let concat = catch(|| Var::concat(&[a, b], 0)).message;
    assert_same_error(Var::try_concat(&[a, b], 0), "concat", &concat);
    let stack = catch(|| Var::stack(&[a, b], 0)).message;
    assert_same_error(Var::try_stack(&[a, b], 0), "stack", &stack);
    let slice = catch(|| a.slice(0, 1..4)).message;
    assert_same_error(a.try_slice(0, 1..4), "slice", &slice);
    let index_select = catch(|| a.index_select(1, &[2])).message;
    assert_same_error(a.try_index_select(1, &[2]), "index_select", &index_select);
    let permute = catch(|| a.permute(&[0])).message;
    assert_same_error(a.try_permute(&[0]), "permute", &permute);
}

#[test]
fn try_binary_forms_return_the_panic_message() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::zeros(&[2, 3]));
    let b = tape.var(Tensor::zeros(&[2]));

    assert_same_error(a.try_add(b), "add", &catch(|| a + b).message);
    assert_same_error(a.try_sub(b), "sub", &catch(|| a - b).message);
    assert_same_error(a.try_mul(b), "mul", &catch(|| a * b).message);
    assert_same_error(a.try_div(b), "div", &catch(|| a / b).message);
    assert_same_error(a.try_maximum(b), "maximum", &catch(|| a.maximum(b)).message);
    assert_same_error(a.try_minimum(b), "minimum", &catch(|| a.minimum(b)).message);
    let err = a.try_add(b).unwrap_err();
    assert!(matches!(
        err,
        TensorError::ShapeMismatch { ref lhs, ref rhs, .. }
            if lhs.as_slice() == [2, 3] && rhs.as_slice() == [2]
    ));
}

#[test]
fn concat_of_nothing_is_an_error() {
    let err = Var::<f64>::try_concat(&[], 0).unwrap_err();

    assert_eq!(
        err.to_string(),
        "concat: no vars given; pass at least one (shape [])"
    );
}

#[test]
fn failed_op_leaves_tape_usable() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::ones(&[2, 2]));
    let b = tape.var(Tensor::ones(&[3]));
    let nodes = tape.len();

    let _ = catch(|| a.matmul(b));
    assert!(a.try_add(b).is_err());

    assert_eq!(tape.len(), nodes, "a failed op must record nothing");
    let grads = (a * a).sum().backward();
    assert_eq!(grads.wrt(a).data(), &[2.0; 4]);
}
