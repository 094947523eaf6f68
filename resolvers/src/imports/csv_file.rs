//! Reading an uploaded customer CSV (seed 000 "Create a compatible CSV
//! file"): UTF-8 with or without BOM, CRLF or LF, quoted fields with commas,
//! quotes and newlines; header names matched case-insensitively and in any
//! order. A file that is not UTF-8 is refused with the line of the first bad
//! byte: it is never imported with mangled text.

use std::collections::HashMap;

use crate::exports::HEADER;

/// Columns a file must have.
pub const REQUIRED: [&str; 2] = ["first_name", "email"];

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

/// The file's text without a BOM, or why it is not text.
pub fn decode(bytes: &[u8]) -> Result<&str, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(FileError::Binary);
    }
    std::str::from_utf8(bytes).map_err(|err| {
        let good = &bytes[..err.valid_up_to()];
        FileError::NotUtf8 {
            line: 1 + good.iter().filter(|b| **b == b'\n').count(),
        }
    })
}

/// Where each known column is in the file, and the columns Roster does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Index in the file of each column of `HEADER`, if present.
    pub index: HashMap<&'static str, usize>,
    /// Names of columns that are not part of the format (reported, ignored).
    pub unknown: Vec<String>,
}

impl Columns {
    pub fn from_header(header: &csv::StringRecord) -> Result<Columns, FileError> {
        let mut index = HashMap::new();
        let mut unknown = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let wanted = name.trim().trim_start_matches('\u{feff}');
            if wanted.is_empty() {
                continue;
            }
            match HEADER.iter().find(|h| h.eq_ignore_ascii_case(wanted)) {
                Some(known) => {
                    if index.insert(*known, i).is_some() {
                        return Err(FileError::DuplicateColumn(known.to_string()));
                    }
                }
                None => unknown.push(wanted.to_owned()),
            }
        }
        let missing: Vec<String> = REQUIRED
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

/// A CSV reader over decoded text that tolerates rows of the wrong length
/// (they are reported per row, not fatal).
pub fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(header: &str) -> Result<Columns, FileError> {
        let mut r = reader(header);
        Columns::from_header(r.headers().unwrap())
    }

    #[test]
    fn decoding() {
        assert_eq!(decode(b"").unwrap_err(), FileError::Empty);
        assert_eq!(decode(b"\xEF\xBB\xBFa,b\n").unwrap(), "a,b\n");
        assert_eq!(
            decode(b"a,b\nc,d\n\xFFe\n").unwrap_err(),
            FileError::NotUtf8 { line: 3 }
        );
        assert_eq!(
            decode(b"PK\x03\x04\x00\x00binary").unwrap_err(),
            FileError::Binary
        );
        assert_eq!(
            decode("Zoë,Müller\r\n".as_bytes()).unwrap(),
            "Zoë,Müller\r\n"
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
        let mut r = reader(text);
        let cols = Columns::from_header(&r.headers().unwrap().clone()).unwrap();
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
