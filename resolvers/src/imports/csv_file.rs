//! Reading an uploaded customer CSV (seed 000 "Create a compatible CSV
//! file"): UTF-8 with or without BOM, CRLF or LF, quoted fields with commas,
//! quotes and newlines; header names matched case-insensitively and in any
//! order. A file that is not UTF-8 is refused with the line of the first bad
//! byte: it is never imported with mangled text.

use std::{
    collections::HashMap,
    io::{Chain, Cursor, Read},
};

/// The columns of one kind of import file.
#[derive(Debug, PartialEq, Eq)]
pub struct Format {
    /// Every column the format knows, as spelled in the sample file.
    pub header: &'static [&'static str],
    /// Further columns the format reads when a file has them (not in the
    /// sample file or the export).
    pub optional: &'static [&'static str],
    /// Columns a file must have.
    pub required: &'static [&'static str],
}

/// Customers: the seed-000 header (the export's, so exports re-import).
pub const CUSTOMERS: Format = Format {
    header: &crate::exports::HEADER,
    // Settable by the customer mutations too: a file may carry them.
    optional: &["time_zone", "locale"],
    required: &["first_name", "email"],
};

/// Staff users (seed 002's fields).
pub const USERS: Format = Format {
    header: &["first_name", "last_name", "email", "extension"],
    optional: &[],
    required: &["first_name", "last_name", "email"],
};

/// Why a whole file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has a header but no rows")]
    NoRows,
    #[error("line {line}: the file is not UTF-8 text (save it as \"CSV UTF-8\")")]
    NotUtf8 { line: usize },
    #[error("the file looks binary, not like CSV text")]
    Binary,
    #[error("missing required column(s): {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("column \"{0}\" appears twice")]
    DuplicateColumn(String),
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error("the file has more than {0} rows")]
    TooManyRows(usize),
}

/// A CSV reader over a file whose first bytes were examined.
pub type CsvReader<R> = csv::Reader<Chain<Cursor<Vec<u8>>, R>>;

/// Bytes examined for signs of a binary file.
const SNIFF: usize = 8 * 1024;

/// A CSV reader over `read`, after refusing empty and binary files and
/// skipping a UTF-8 BOM. Rows of the wrong length are read (and reported
/// per row); text that is not UTF-8 fails when its row is read.
pub fn open<R: Read>(mut read: R) -> Result<CsvReader<R>, FileError> {
    let mut head = Vec::with_capacity(SNIFF);
    (&mut read)
        .take(SNIFF as u64)
        .read_to_end(&mut head)
        .map_err(|e| FileError::Malformed {
            line: 0,
            message: e.to_string(),
        })?;
    if head.is_empty() {
        return Err(FileError::Empty);
    }
    if head.contains(&0) {
        return Err(FileError::Binary);
    }
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut cursor = Cursor::new(head);
    cursor.set_position(bom);
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(cursor.chain(read)))
}

/// A reading error as a file-level problem.
pub fn file_error(err: &csv::Error) -> FileError {
    let line = err.position().map(|p| p.line() as usize).unwrap_or(1);
    match err.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => FileError::NotUtf8 {
            line: pos.as_ref().map(|p| p.line() as usize).unwrap_or(line),
        },
        _ => FileError::Malformed {
            line,
            message: err.to_string(),
        },
    }
}

/// Reads a whole file once: refuses what cannot be imported, and returns
/// the unknown columns and the number of (non-empty) data rows.
pub fn check(read: impl Read, format: &'static Format) -> Result<(Vec<String>, i64), FileError> {
    let mut reader = open(read)?;
    let header = reader.headers().map_err(|e| file_error(&e))?.clone();
    let columns = Columns::from_header(&header, format)?;
    let mut rows = 0i64;
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| file_error(&e))?
    {
        if record.iter().any(|c| !c.trim().is_empty()) {
            rows += 1;
            if rows as usize > super::MAX_ROWS {
                return Err(FileError::TooManyRows(super::MAX_ROWS));
            }
        }
    }
    if rows == 0 {
        return Err(FileError::NoRows);
    }
    Ok((columns.unknown, rows))
}

/// Where each known column is in the file, and the columns Roster does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Index in the file of each column of the format, if present.
    pub index: HashMap<&'static str, usize>,
    /// Names of columns that are not part of the format (reported, ignored).
    pub unknown: Vec<String>,
}

impl Columns {
    pub fn from_header(
        header: &csv::StringRecord,
        format: &'static Format,
    ) -> Result<Columns, FileError> {
        let mut index = HashMap::new();
        let mut unknown = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let wanted = name.trim().trim_start_matches('\u{feff}');
            if wanted.is_empty() {
                continue;
            }
            match format
                .header
                .iter()
                .chain(format.optional)
                .find(|h| h.eq_ignore_ascii_case(wanted))
            {
                Some(known) => {
                    if index.insert(*known, i).is_some() {
                        return Err(FileError::DuplicateColumn(known.to_string()));
                    }
                }
                None => unknown.push(wanted.to_owned()),
            }
        }
        let missing: Vec<String> = format
            .required
            .iter()
            .filter(|r| !index.contains_key(*r))
            .map(|r| r.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(FileError::MissingColumns(missing));
        }
        Ok(Columns { index, unknown })
    }

    /// The value of `column` in `record`, with spreadsheet-formula
    /// neutralisation (a leading `'` before = + - @) undone.
    pub fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        let value = self.index.get(column).and_then(|i| record.get(*i))?;
        Some(match value.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
            _ => value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(header: &str) -> Result<Columns, FileError> {
        let mut r = open(header.as_bytes())?;
        Columns::from_header(&r.headers().unwrap().clone(), &CUSTOMERS)
    }

    #[test]
    fn file_checks() {
        assert_eq!(check(&b""[..], &CUSTOMERS).unwrap_err(), FileError::Empty);
        assert_eq!(
            check(&b"first_name,email\r\n"[..], &CUSTOMERS).unwrap_err(),
            FileError::NoRows
        );
        assert_eq!(
            check(
                &b"\xEF\xBB\xBFfirst_name,email\nA,a@x.test\n\n"[..],
                &CUSTOMERS
            )
            .unwrap(),
            (vec![], 1)
        );
        assert_eq!(
            check(
                &b"first_name,email\nA,a@x.test\nB,b@x.test\nJos\xe9,j@x.test\n"[..],
                &CUSTOMERS
            )
            .unwrap_err(),
            FileError::NotUtf8 { line: 4 }
        );
        assert_eq!(
            check(&b"PK\x03\x04\x00\x00binary"[..], &CUSTOMERS).unwrap_err(),
            FileError::Binary
        );
        assert_eq!(
            check(
                "first_name,email\r\nZoë,z@x.test\r\n".as_bytes(),
                &CUSTOMERS
            )
            .unwrap()
            .1,
            1
        );
    }

    #[test]
    fn headers_in_any_order_and_case() {
        let cols = columns("EMAIL, First_Name ,company,Shoe Size\n").unwrap();
        assert_eq!(cols.index["email"], 0);
        assert_eq!(cols.index["first_name"], 1);
        assert_eq!(cols.index["Company"], 2);
        assert_eq!(cols.unknown, vec!["Shoe Size"]);
        assert_eq!(
            columns("last_name,email\n").unwrap_err(),
            FileError::MissingColumns(vec!["first_name".into()])
        );
        assert_eq!(
            columns("email,first_name,EMAIL\n").unwrap_err(),
            FileError::DuplicateColumn("email".into())
        );
    }

    #[test]
    fn quoted_fields_crlf_and_neutralised_cells() {
        let text = "first_name,email,notes,office_phone\r\n\"Smith, John\",j@x.test,\"He said \"\"hi\"\",\nthen left\",'+49 30 1\r\n";
        let mut r = open(text.as_bytes()).unwrap();
        let cols = Columns::from_header(&r.headers().unwrap().clone(), &CUSTOMERS).unwrap();
        let record = r.records().next().unwrap().unwrap();
        assert_eq!(cols.get(&record, "first_name"), Some("Smith, John"));
        assert_eq!(
            cols.get(&record, "notes"),
            Some("He said \"hi\",\nthen left")
        );
        assert_eq!(cols.get(&record, "office_phone"), Some("+49 30 1"));
        assert_eq!(cols.get(&record, "fax"), None);
    }
}
