//! Heap allocations per training step after warm-up: the f64 fixture
//! networks (the baseline and the conv net), and an MLP large enough for
//! the packed matrix products.
//!
//! A counting global allocator tallies the allocations of the current
//! thread only, so tests running in parallel do not disturb each other.
//! The tape keeps its buffers across `clear`, and dropped gradients hand
//! theirs back, so a steady-state step allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;

use nn::{mse, Activation, Adam, Dense, Init, Module, Momentum, Optimizer, Sequential, Sgd};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{Tape, Tensor};

/// The system allocator, counting allocations made by each thread.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every method forwards to the system allocator unchanged; the
// thread-local counter is a const-initialised `Cell`, which never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded from the caller.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: forwarded from the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded from the caller.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn count_one() {
    // `try_with` fails only while the thread is being torn down.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

fn fixture(name: &str) -> BTreeMap<String, Tensor<f64>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    experiments::fixtures::load(&path).expect("fixture file should parse")
}

/// Trains `model` on `inputs` and `targets` for `warm_up` steps, then `steps`
/// more, and returns the allocations per step of the latter. Each step
/// clears the tape, records the forward pass and the MSE loss,
/// back-propagates, updates the model and drops the gradients, as a training
/// loop does.
fn allocations_per_step(
    mut model: Sequential<f64>,
    (inputs, targets): (&Tensor<f64>, &Tensor<f64>),
    optimizer: &mut dyn Optimizer<f64>,
    warm_up: usize,
    steps: usize,
) -> f64 {
    let mut tape = Tape::new();
    let mut step = |tape: &mut Tape<f64>| {
        tape.clear();
        let x = tape.constant_from_slice(inputs.data(), inputs.dims());
        let y = tape.constant_from_slice(targets.data(), targets.dims());
        let loss = mse(model.forward(x), y);
        let grads = loss.backward();
        optimizer.step(&mut model, &grads);
        loss.item()
    };
    for _ in 0..warm_up {
        step(&mut tape);
    }
    let before = allocations();
    let mut last_loss = 0.0;
    for _ in 0..steps {
        last_loss = step(&mut tape);
    }
    let after = allocations();
    assert!(last_loss.is_finite(), "training diverged: loss {last_loss}");
    (after - before) as f64 / steps as f64
}

/// Allocations per step of the baseline with `hidden` activations on a
/// fixture's data.
fn baseline_allocations(
    fixture_name: &str,
    hidden: Activation,
    optimizer: &mut dyn Optimizer<f64>,
) -> f64 {
    let arrays = fixture(fixture_name);
    let model = experiments::fixtures::baseline(&arrays, hidden);
    allocations_per_step(model, (&arrays["X"], &arrays["Y"]), optimizer, 3, 50)
}

#[test]
fn counter_sees_allocations() {
    let before = allocations();
    let boxed = std::hint::black_box(Box::new(7_u64));
    assert_eq!(*boxed, 7);
    assert_eq!(allocations() - before, 1);
}

#[test]
fn xor_sgd_step_allocates_nothing() {
    let per_step = baseline_allocations("xor.txt", Activation::Sigmoid, &mut Sgd::new(0.1));
    assert_eq!(per_step, 0.0, "allocations per XOR training step");
}

#[test]
fn linear_sgd_step_allocates_nothing() {
    let per_step = baseline_allocations("linear.txt", Activation::Sigmoid, &mut Sgd::new(0.1));
    assert_eq!(per_step, 0.0, "allocations per linear-set training step");
}

#[test]
fn xor_momentum_step_allocates_nothing() {
    let mut momentum = Momentum::new(0.1, 0.9);
    let per_step = baseline_allocations("xor.txt", Activation::Sigmoid, &mut momentum);
    assert_eq!(per_step, 0.0, "allocations per XOR momentum step");
}

#[test]
fn xor_relu_adam_step_allocates_nothing() {
    let mut adam = Adam::new(0.01);
    let per_step = baseline_allocations("xor.txt", Activation::Relu, &mut adam);
    assert_eq!(per_step, 0.0, "allocations per XOR ReLU step with Adam");
}

#[test]
fn conv_step_allocates_nothing() {
    let arrays = fixture("conv.txt");
    let model = experiments::fixtures::conv(&arrays);
    let samples = arrays["X"].dims()[0];
    let inputs = arrays["X"].clone().reshaped(&[samples, 1, 2]);
    let mut sgd = Sgd::new(0.1);
    let per_step = allocations_per_step(model, (&inputs, &arrays["Y"]), &mut sgd, 3, 50);
    assert_eq!(per_step, 0.0, "allocations per conv-net training step");
}

#[test]
fn packed_product_step_allocates_nothing() {
    // 64 x 100 x 64 and the other products here exceed the size from which
    // products are packed. The AVX-512 path keeps its packing buffer
    // between products; matrixmultiply, used without AVX-512F, takes a new
    // one for each product.
    let packed_path_reuses_buffers =
        cfg!(target_arch = "x86_64") && std::arch::is_x86_feature_detected!("avx512f");
    if !packed_path_reuses_buffers {
        eprintln!("skipped: products here go to matrixmultiply, which allocates");
        return;
    }
    let mut rng = StdRng::seed_from_u64(3);
    let model = Sequential::new()
        .add(Dense::new(100, 64, Init::Xavier, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(64, 32, Init::Xavier, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(32, 10, Init::Xavier, &mut rng));
    let inputs = Tensor::from_fn(&[64, 100], |_| rng.random::<f64>());
    let targets = Tensor::from_fn(&[64, 10], |_| rng.random::<f64>());
    let per_step = allocations_per_step(model, (&inputs, &targets), &mut Sgd::new(0.1), 3, 20);
    assert_eq!(per_step, 0.0, "allocations per 100-64-32-10 training step");
}
