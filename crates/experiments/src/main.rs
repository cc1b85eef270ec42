//! The `experiments` binary: runs the catalogue (or a selection of it), prints the training
//! logs and one line per run, and writes the figures, REPORT.md and results.json.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use experiments::catalogue::catalogue;
use experiments::cli::{data_name, retarget, select, Args};
use experiments::console::{write_run_line, write_stats_line, write_training_log};
use experiments::figures::{wants_boundary, write_figures, FIGURE_DIR};
use experiments::report::{
    write_report, write_results_json, RunContext, REPORT_FILE, RESULTS_FILE,
};
use experiments::suite::{default_threads, run_suite, SuiteOptions};

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole context chain on one line, without a backtrace.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command line's request; every error names the value at fault.
fn run(args: Args) -> Result<()> {
    let specs = catalogue(args.seed);
    if args.list {
        let mut stdout = io::stdout().lock();
        for spec in &specs {
            writeln!(stdout, "{}", spec.id)?;
        }
        return Ok(());
    }

    let mut specs = select(&specs, &args.only)?;
    let data = match &args.data {
        Some(path) => {
            let dataset = experiments::csv::load_csv(path)
                .with_context(|| format!("cannot use --data {}", path.display()))?;
            specs = retarget(&specs, &data_name(path));
            Some(dataset)
        }
        None => None,
    };
    prepare_output(&args.out)?;

    let options = SuiteOptions {
        seeds: args.seed_count() as usize,
        base_seeds: args.base_seed_count() as usize,
        data,
        threads: args
            .threads
            .map_or_else(default_threads, |threads| threads as usize),
    };
    let started = Instant::now();
    let records = run_with_progress(&args, &specs, &options)?;
    let context = RunContext {
        command: command_line(),
        seed: args.seed,
        seeds: options.seeds,
        base_seeds: options.base_seeds,
        data_file: args.data.as_ref().map(|path| path.display().to_string()),
        total_seconds: started.elapsed().as_secs_f64(),
    };

    let mut stdout = io::stdout().lock();
    if !args.quiet && records.iter().any(|record| record.results.len() > 1) {
        writeln!(stdout)?;
        for record in &records {
            write_stats_line(&mut stdout, record)?;
        }
    }
    let figures = write_figures(&args.out, &records).context("cannot draw the figures")?;
    if !args.quiet {
        writeln!(stdout)?;
        for path in figures.paths() {
            writeln!(stdout, "wrote {}", args.out.join(path).display())?;
        }
    }
    write_results_json(&args.out, &context, &records)
        .with_context(|| format!("cannot write {}", args.out.join(RESULTS_FILE).display()))?;
    writeln!(stdout, "wrote {}", args.out.join(RESULTS_FILE).display())?;
    write_report(&args.out, &context, &records, &figures)
        .with_context(|| format!("cannot write {}", args.out.join(REPORT_FILE).display()))?;
    writeln!(stdout, "wrote {}", args.out.join(REPORT_FILE).display())?;
    Ok(())
}

/// Trains every spec, printing the training log of each base run and one line per other
/// run above a progress bar on stderr.
fn run_with_progress(
    args: &Args,
    specs: &[experiments::catalogue::RunSpec],
    options: &SuiteOptions,
) -> Result<Vec<experiments::suite::RunRecord>> {
    let total: usize = specs.iter().map(|spec| options.seeds_for(spec)).sum();
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} runs, {elapsed} {msg}")
            .context("the progress bar template is invalid")?,
    );
    let mut print_error = None;
    let mut on_result = |spec: &experiments::catalogue::RunSpec,
                         result: &experiments::runner::RunResult| {
        bar.inc(1);
        bar.set_message(format!("last: {}", spec.id));
        if args.quiet || print_error.is_some() {
            return;
        }
        let printed = bar.suspend(|| -> io::Result<()> {
            let mut stdout = io::stdout().lock();
            let first_seed = result.seed == args.seed;
            if spec.sweep == "base" && first_seed {
                writeln!(stdout, "== {} (seed {}) ==", spec.id, result.seed)?;
                write_training_log(&mut stdout, result, args.print_every)?;
                writeln!(stdout)?;
            }
            write_run_line(&mut stdout, result)
        });
        if let Err(error) = printed {
            print_error = Some(error);
        }
    };
    let records = run_suite(specs, options, &wants_boundary, &mut on_result)
        .map_err(anyhow::Error::msg)
        .context("cannot run the selected runs")?;
    bar.finish_and_clear();
    if let Some(error) = print_error {
        return Err(error).context("cannot print to stdout");
    }
    Ok(records)
}

/// Creates the output folder and its figure folder and checks that a file can be written
/// there, so that a bad `--out` fails before any training.
fn prepare_output(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out.join(FIGURE_DIR)).with_context(|| {
        format!(
            "cannot create the output folder {} and its {FIGURE_DIR} folder; pass a writable \
             folder with --out",
            out.display()
        )
    })?;
    let probe = out.join(".write-check");
    if let Err(error) = std::fs::write(&probe, b"") {
        bail!(
            "the output folder {} is not writable ({error}); pass a writable folder with --out",
            out.display()
        );
    }
    std::fs::remove_file(&probe)
        .with_context(|| format!("cannot remove the check file {}", probe.display()))?;
    Ok(())
}

/// Returns the command line as a `cargo run` invocation, for the report's header.
fn command_line() -> String {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if arguments.is_empty() {
        "cargo run --release -p experiments".to_string()
    } else {
        format!(
            "cargo run --release -p experiments -- {}",
            arguments.join(" ")
        )
    }
}
