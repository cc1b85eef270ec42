//! Checks that splitting large matrix products across threads (the
//! `threads` feature) changes no bit. The program runs itself twice, with
//! `MATMUL_NUM_THREADS` set to 1 and to 2. Each run prints the bits of a
//! forward and backward pass through products large enough to be split,
//! and the two printouts must match.

mod common;

use std::process::{Command, ExitCode};

use common::uniform;
use tensor::{Float, Tape};

/// Set in the two child runs, which print their bits instead of spawning.
const CHILD: &str = "TENSOR_THREADS_TEST_CHILD";

/// Returns the bits of the loss and of both weight gradients of a
/// 256-784-256 sigmoid layer pair, whose forward and backward products are
/// far above the size where `matrixmultiply` starts a second thread.
fn pass_bits<T: Float>() -> Vec<u64> {
    let tape = Tape::<T>::new();
    let x = tape.constant(uniform(&[256, 784], 0.0, 1.0, 1).cast());
    let w1 = tape.var(uniform(&[784, 256], -0.1, 0.1, 2).cast());
    let w2 = tape.var(uniform(&[256, 256], -0.1, 0.1, 3).cast());
    let loss = x.matmul(w1).sigmoid().matmul(w2).sigmoid().sum();
    let grads = loss.backward();

    let mut bits = vec![loss.item().to_f64().to_bits()];
    for grad in [grads.wrt(w1), grads.wrt(w2)] {
        bits.extend(grad.data().iter().map(|value| value.to_f64().to_bits()));
    }
    bits
}

/// Prints one line of bits per float type.
fn print_bits() {
    for line in [pass_bits::<f32>(), pass_bits::<f64>()] {
        let words: Vec<String> = line.iter().map(|bits| format!("{bits:x}")).collect();
        println!("{}", words.join(" "));
    }
}

/// Runs this program as a child with `threads` product threads and
/// returns what it printed.
fn child_output(threads: &str) -> String {
    let program = std::env::current_exe().expect("failed to find the test binary's path");
    let output = Command::new(program)
        .env(CHILD, "1")
        .env("MATMUL_NUM_THREADS", threads)
        .output()
        .expect("failed to start the test binary as a child");
    assert!(
        output.status.success(),
        "child with {threads} threads failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the child printed text that is not UTF-8")
}

fn main() -> ExitCode {
    if std::env::var_os(CHILD).is_some() {
        print_bits();
        return ExitCode::SUCCESS;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus < 2 {
        // The engine's pool uses no more threads than there are CPUs, so
        // both children would run on one thread and prove nothing.
        println!("threads: skipped, {cpus} CPU available; run on at least two");
        return ExitCode::SUCCESS;
    }
    let single = child_output("1");
    let split = child_output("2");
    for output in [&single, &split] {
        assert_eq!(
            output.lines().count(),
            2,
            "expected one line per float type"
        );
    }
    for (name, (a, b)) in ["f32", "f64"].iter().zip(single.lines().zip(split.lines())) {
        if a != b {
            eprintln!("threads: {name} bits differ between one and two product threads");
            return ExitCode::FAILURE;
        }
    }
    println!("threads: one and two product threads give the same bits in f32 and f64");
    ExitCode::SUCCESS
}
