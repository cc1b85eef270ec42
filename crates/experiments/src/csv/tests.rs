//! Tests of the data-file parser: accepted layouts and one test per error variant.

use super::*;

fn parse_error(text: &str) -> CsvError {
    parse_csv("points.csv", text).expect_err("the text is invalid")
}

#[test]
fn parse_with_header_comments_blanks() {
    let text = "# made by hand\nx0, x1, label\n\n 0.25 , 0.75 , 1 \n# middle\n0.9,0.1,0.0\n";
    let data = parse_csv("hand", text).unwrap();
    assert_eq!(data.name, "hand");
    assert_eq!(data.points, vec![[0.25, 0.75], [0.9, 0.1]]);
    assert_eq!(data.labels, vec![1.0, 0.0]);
}

#[test]
fn parse_without_header() {
    let data = parse_csv("plain", "1e-1,2.5E-1,1\n-0.5,0,0\n").unwrap();
    assert_eq!(data.points, vec![[0.1, 0.25], [-0.5, 0.0]]);
    assert_eq!(data.labels, vec![1.0, 0.0]);
}

#[test]
fn parse_crlf_and_bom() {
    let data = parse_csv("windows", "\u{feff}x0,x1,label\r\n0.5,0.5,1\r\n").unwrap();
    assert_eq!(data.points, vec![[0.5, 0.5]]);
    assert_eq!(data.labels, vec![1.0]);
}

#[test]
fn load_names_dataset_after_stem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("moons.csv");
    std::fs::write(&path, "x0,x1,label\n0.1,0.2,1\n").unwrap();
    let data = load_csv(&path).unwrap();
    assert_eq!(data.name, "moons");
    assert_eq!(data.len(), 1);
}

#[test]
fn load_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.csv");
    let error = load_csv(&path).expect_err("the file does not exist");
    assert!(matches!(error, CsvError::Io { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("failed to read"), "{message}");
    assert!(message.contains("check that the path exists"), "{message}");
}

#[test]
fn load_error_names_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "0.1,0.2,7\n").unwrap();
    let message = load_csv(&path).unwrap_err().to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
}

#[test]
fn empty_text_no_data() {
    for text in ["", "\n\n", "# only a comment\n", "x0,x1,label\n"] {
        let error = parse_error(text);
        assert!(
            matches!(error, CsvError::NoData { .. }),
            "{text:?}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("'points.csv'"), "{message}");
        assert!(message.contains("no data rows"), "{message}");
        assert!(message.contains("x0,x1,label"), "{message}");
    }
}

#[test]
fn missing_column() {
    let error = parse_error("x0,x1,label\n0.1,0.2,1\n0.3,0.4\n");
    assert!(
        matches!(
            error,
            CsvError::MissingColumn {
                line: 3,
                found: 2,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("'points.csv' line 3"), "{message}");
    assert!(message.contains("has 2 of the 3 fields"), "{message}");
    assert!(
        message.contains("add the missing label at column 3"),
        "{message}"
    );
}

#[test]
fn extra_column() {
    let error = parse_error("0.1,0.2,1,9\n");
    assert!(
        matches!(
            error,
            CsvError::ExtraColumn {
                line: 1,
                found: 4,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("'points.csv' line 1"), "{message}");
    assert!(message.contains("has 4 fields"), "{message}");
    assert!(
        message.contains("remove the fields from column 4"),
        "{message}"
    );
}

#[test]
fn trailing_comma_extra_column() {
    let error = parse_error("0.1,0.2,1,\n");
    assert!(
        matches!(error, CsvError::ExtraColumn { found: 4, .. }),
        "{error:?}"
    );
}

#[test]
fn non_numeric_field() {
    let error = parse_error("x0,x1,label\n0.1,0.2,1\n\n0.3,abc,0\n");
    assert!(
        matches!(
            error,
            CsvError::NotANumber {
                line: 4,
                column: 2,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("'points.csv' line 4, column 2"),
        "{message}"
    );
    assert!(message.contains("\"abc\""), "{message}");
    assert!(message.contains("not a number"), "{message}");
}

#[test]
fn empty_field_not_a_number() {
    let error = parse_error("0.1,,1\n");
    assert!(
        matches!(error, CsvError::NotANumber { line: 1, column: 2, ref field, .. } if field.is_empty()),
        "{error:?}"
    );
    assert!(error.to_string().contains("contains \"\""), "{error}");
}

#[test]
fn header_only_on_first_data_line() {
    let error = parse_error("0.1,0.2,1\nx0,x1,label\n");
    assert!(
        matches!(
            error,
            CsvError::NotANumber {
                line: 2,
                column: 1,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn non_finite_field() {
    let cases = [
        ("NaN,0.2,1\n", 1, "NaN"),
        ("0.1,inf,0\n", 2, "inf"),
        ("0.1,1e400,0\n", 2, "1e400"),
    ];
    for (text, expected_column, expected_field) in cases {
        let error = parse_error(text);
        match &error {
            CsvError::NonFinite {
                line,
                column,
                field,
                ..
            } => {
                assert_eq!(*line, 1, "{text:?}");
                assert_eq!(*column, expected_column, "{text:?}");
                assert_eq!(field, expected_field, "{text:?}");
            }
            other => panic!("{text:?} gave {other:?}, expected NonFinite"),
        }
        let message = error.to_string();
        assert!(
            message.contains(&format!("column {expected_column}")),
            "{message}"
        );
        assert!(
            message.contains(&format!("\"{expected_field}\"")),
            "{message}"
        );
        assert!(message.contains("not a finite number"), "{message}");
    }
}

#[test]
fn invalid_label() {
    for label in ["2", "0.5", "-1", "yes", "nan"] {
        let error = parse_error(&format!("0.1,0.2,1\n0.3,0.4,{label}\n"));
        assert!(
            matches!(error, CsvError::InvalidLabel { line: 2, ref field, .. } if field == label),
            "{label}: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("'points.csv' line 2, column 3"),
            "{message}"
        );
        assert!(message.contains(&format!("\"{label}\"")), "{message}");
        assert!(message.contains("must be 0 or 1"), "{message}");
    }
}

#[test]
fn label_forms_accepted() {
    let data = parse_csv("labels", "0,0,0\n0,0,1\n0,0,0.0\n0,0,1.0\n0,0,-0\n").unwrap();
    assert_eq!(data.labels, vec![0.0, 1.0, 0.0, 1.0, 0.0]);
    assert!(data.labels[4].is_sign_positive(), "-0 was stored as -0.0");
}

#[test]
fn missing_two_columns() {
    let error = parse_error("0.1\n");
    assert!(
        matches!(
            error,
            CsvError::MissingColumn {
                line: 1,
                found: 1,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("has 1 of the 3 fields"), "{message}");
    assert!(
        message.contains("add the missing x1,label at columns 2 to 3"),
        "{message}"
    );
}
