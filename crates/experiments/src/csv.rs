//! Loading a user's data set from a text file of `x0,x1,label` rows.
//!
//! The format is comma-separated with three fields a row: two finite coordinates and a
//! label that is `0` or `1`. The first data line may instead be a header whose fields are
//! all non-numeric (such as `x0,x1,label`), and it is then skipped. Blank lines and lines
//! starting with `#` are skipped anywhere. Fields are trimmed of surrounding whitespace.
//!
//! ```text
//! # two points
//! x0,x1,label
//! 0.25, 0.75, 1
//! 0.9,  0.1,  0
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use crate::data::Dataset;

/// Names of the fields of a data row, in column order.
const FIELD_NAMES: [&str; 3] = ["x0", "x1", "label"];
/// The number of fields in each data row.
const FIELDS_PER_ROW: usize = FIELD_NAMES.len();

/// An error from reading or parsing a data file.
///
/// `Display` is one sentence that names the file, the 1-based line and column where they
/// apply, and how to fix the file.
#[derive(Debug)]
pub enum CsvError {
    /// The file could not be read.
    Io {
        /// Path that was opened.
        path: PathBuf,
        /// Error from the operating system, also shown in the message.
        error: std::io::Error,
    },
    /// The file has no data rows (it is empty or contains only a header, comments and blank
    /// lines).
    NoData {
        /// File name used in the message.
        file: String,
    },
    /// A row has fewer than three fields.
    MissingColumn {
        /// File name used in the message.
        file: String,
        /// 1-based line number.
        line: usize,
        /// Number of fields found on the line.
        found: usize,
    },
    /// A row has more than three fields.
    ExtraColumn {
        /// File name used in the message.
        file: String,
        /// 1-based line number.
        line: usize,
        /// Number of fields found on the line.
        found: usize,
    },
    /// A coordinate field does not parse as a number.
    NotANumber {
        /// File name used in the message.
        file: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column number.
        column: usize,
        /// The trimmed field text.
        field: String,
    },
    /// A coordinate field parses to NaN or an infinity.
    NonFinite {
        /// File name used in the message.
        file: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column number.
        column: usize,
        /// The trimmed field text.
        field: String,
    },
    /// The label field is not `0` or `1`.
    InvalidLabel {
        /// File name used in the message.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The trimmed field text.
        field: String,
    },
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvError::Io { path, error } => write!(
                f,
                "failed to read data file '{}' ({error}), so check that the path exists and \
                 the file is readable UTF-8 text",
                path.display()
            ),
            CsvError::NoData { file } => write!(
                f,
                "data file '{file}' contains no data rows, so add rows of the form \
                 `x0,x1,label` such as `0.25,0.75,1`"
            ),
            CsvError::MissingColumn { file, line, found } => {
                let missing = &FIELD_NAMES[(*found).min(FIELDS_PER_ROW)..];
                let first_missing = found + 1;
                if missing.len() == 1 {
                    write!(
                        f,
                        "data file '{file}' line {line} has {found} of the {FIELDS_PER_ROW} \
                         fields x0,x1,label, so add the missing {} at column {first_missing}",
                        missing[0]
                    )
                } else {
                    write!(
                        f,
                        "data file '{file}' line {line} has {found} of the {FIELDS_PER_ROW} \
                         fields x0,x1,label, so add the missing {} at columns {first_missing} \
                         to {FIELDS_PER_ROW}",
                        missing.join(",")
                    )
                }
            }
            CsvError::ExtraColumn { file, line, found } => write!(
                f,
                "data file '{file}' line {line} has {found} fields but rows need \
                 {FIELDS_PER_ROW} (x0,x1,label), so remove the fields from column {} on",
                FIELDS_PER_ROW + 1
            ),
            CsvError::NotANumber {
                file,
                line,
                column,
                field,
            } => write!(
                f,
                "data file '{file}' line {line}, column {column} contains \"{field}\", which \
                 is not a number, so write a decimal number such as 0.25 there"
            ),
            CsvError::NonFinite {
                file,
                line,
                column,
                field,
            } => write!(
                f,
                "data file '{file}' line {line}, column {column} contains \"{field}\", which \
                 is not a finite number, so replace it with a finite coordinate"
            ),
            CsvError::InvalidLabel { file, line, field } => write!(
                f,
                "data file '{file}' line {line}, column {FIELDS_PER_ROW} contains the label \
                 \"{field}\", but labels must be 0 or 1, so relabel the row as 0 or 1"
            ),
        }
    }
}

// The I/O error text is already part of the message, so `source` returns `None` to keep
// error chains from printing it twice. The error stays reachable through the `error` field.
impl std::error::Error for CsvError {}

/// Reads a data file of `x0,x1,label` rows (see the module docs for the format).
///
/// The data set is named after the file stem, so `runs/moons.csv` gives `"moons"`.
///
/// # Errors
///
/// Returns [`CsvError::Io`] when the file cannot be read or is not UTF-8, and the errors
/// of [`parse_csv`] when its contents are invalid. Messages name the path as given.
pub fn load_csv(path: &Path) -> Result<Dataset, CsvError> {
    let text = std::fs::read_to_string(path).map_err(|error| CsvError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let mut dataset = parse_rows(&path.display().to_string(), &text)?;
    dataset.name = stem;
    Ok(dataset)
}

/// Parses the text of a data file (see the module docs for the format) into a data set
/// named `name`. Error messages use `name` as the file name.
///
/// # Errors
///
/// Returns [`CsvError::NoData`] when no data row remains after skipping the header,
/// comments and blank lines; [`CsvError::MissingColumn`] or [`CsvError::ExtraColumn`] for a
/// row without exactly three fields; [`CsvError::NotANumber`] or [`CsvError::NonFinite`] for
/// a bad coordinate; and [`CsvError::InvalidLabel`] for a label other than 0 or 1.
///
/// # Examples
///
/// ```
/// let data = experiments::csv::parse_csv("demo", "x0,x1,label\n0.2,0.8,1\n0.9,0.1,0\n").unwrap();
/// assert_eq!(data.points, vec![[0.2, 0.8], [0.9, 0.1]]);
/// assert_eq!(data.labels, vec![1.0, 0.0]);
/// ```
pub fn parse_csv(name: &str, text: &str) -> Result<Dataset, CsvError> {
    parse_rows(name, text)
}

fn parse_rows(file: &str, text: &str) -> Result<Dataset, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut points = Vec::new();
    let mut labels = Vec::new();
    let mut header_allowed = true;

    for (index, raw_line) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = trimmed.split(',').map(str::trim).collect();

        // Only the first non-comment line may be a header, and only when no field is a
        // number, so a data row with one typo still reports that typo.
        if header_allowed {
            header_allowed = false;
            if fields.iter().all(|field| field.parse::<f64>().is_err()) {
                continue;
            }
        }

        if fields.len() < FIELDS_PER_ROW {
            return Err(CsvError::MissingColumn {
                file: file.to_string(),
                line,
                found: fields.len(),
            });
        }
        if fields.len() > FIELDS_PER_ROW {
            return Err(CsvError::ExtraColumn {
                file: file.to_string(),
                line,
                found: fields.len(),
            });
        }

        let x0 = parse_coordinate(file, line, 1, fields[0])?;
        let x1 = parse_coordinate(file, line, 2, fields[1])?;
        let label = parse_label(file, line, fields[2])?;
        points.push([x0, x1]);
        labels.push(label);
    }

    if points.is_empty() {
        return Err(CsvError::NoData {
            file: file.to_string(),
        });
    }
    Ok(Dataset {
        name: file.to_string(),
        points,
        labels,
    })
}

fn parse_coordinate(file: &str, line: usize, column: usize, field: &str) -> Result<f64, CsvError> {
    let value = field.parse::<f64>().map_err(|_| CsvError::NotANumber {
        file: file.to_string(),
        line,
        column,
        field: field.to_string(),
    })?;
    if !value.is_finite() {
        return Err(CsvError::NonFinite {
            file: file.to_string(),
            line,
            column,
            field: field.to_string(),
        });
    }
    Ok(value)
}

fn parse_label(file: &str, line: usize, field: &str) -> Result<f64, CsvError> {
    match field.parse::<f64>() {
        // The pattern `0.0` also matches `-0.0`, and returning the literal stores `0.0`.
        Ok(0.0) => Ok(0.0),
        Ok(1.0) => Ok(1.0),
        _ => Err(CsvError::InvalidLabel {
            file: file.to_string(),
            line,
            field: field.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests;
