//! Reproduces the runs of a "backpropagation from scratch" assignment: data sets, data
//! files, and figures, the catalogue of runs ([`catalogue`]), the training loop
//! ([`runner`], [`suite`]), and the generated report ([`report`]) that the `experiments`
//! binary writes.

pub mod catalogue;
pub mod cli;
pub mod console;
pub mod csv;
pub mod data;
pub mod figures;
pub mod findings;
pub mod fixtures;
pub mod model;
pub mod plot;
pub mod report;
pub mod runner;
pub mod suite;
