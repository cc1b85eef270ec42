//! Reproduces the runs of a "backpropagation from scratch" assignment: data sets, data
//! files, and figures.

pub mod csv;
pub mod data;
pub mod fixtures;
pub mod plot;
