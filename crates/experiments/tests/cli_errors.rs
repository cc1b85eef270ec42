//! The binary rejects bad input before any training, with a message naming the value.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_experiments"))
        .args(args)
        .output()
        .expect("the binary starts")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn unknown_id_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = run(&[
        "--only",
        "base/linear",
        "lr/7/xor",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("`lr/7/xor`"), "{message}");
    assert!(message.contains("--list"), "{message}");
    assert!(
        !out.exists(),
        "nothing is written before the ids are checked"
    );
}

#[test]
fn unwritable_output_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // A folder inside a regular file cannot be created, even by root.
    let file = dir.path().join("taken");
    std::fs::write(&file, "not a folder").unwrap();
    let out = file.join("results");
    let started = std::time::Instant::now();
    let output = run(&["--only", "base", "--out", out.to_str().unwrap()]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains(out.to_str().unwrap()), "{message}");
    assert!(message.contains("--out"), "{message}");
    assert!(
        output.stdout.is_empty(),
        "no run started: {:?}",
        output.stdout
    );
    assert!(started.elapsed().as_secs() < 5, "it failed before training");
}

#[test]
fn malformed_data_fails_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("points.csv");
    std::fs::write(&data, "x0,x1,label\n0.1,0.2,1\n0.3,abc,0\n").unwrap();
    let out = dir.path().join("out");
    let output = run(&[
        "--only",
        "base",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("points.csv"), "{message}");
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("column 2"), "{message}");
    assert!(
        !out.exists(),
        "nothing is written before the file is checked"
    );
}

#[test]
fn list_prints_every_id() {
    let output = run(&["--list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    let ids: Vec<&str> = text.lines().collect();
    assert_eq!(ids.len(), 44);
    assert!(ids.contains(&"no-activation/B/xor"));
    assert!(ids.contains(&"conv/linear"));
}

#[test]
fn data_file_trains_selected_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("blobs.csv");
    std::fs::write(&data, "0.1,0.9,1\n0.2,0.8,1\n0.9,0.1,0\n0.8,0.3,0\n").unwrap();
    let out = dir.path().join("out");
    let output = run(&[
        "--only",
        "conv",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("`conv/blobs`"), "{report}");
    assert!(out.join("figures/conv-blobs-comparison.png").is_file());
}
