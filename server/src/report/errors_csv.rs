//! `MigrationErrors.csv`: Exchange's columns `RowIndex,EmailAddress,ErrorMessage`, then
//! `ErrorKind,SuggestedSolution,Folder,Time`. Cells are escaped against formula injection.

use std::io::Write;

use app::ErrorKind;

pub const HEADER: [&str; 7] = [
    "RowIndex",
    "EmailAddress",
    "ErrorMessage",
    "ErrorKind",
    "SuggestedSolution",
    "Folder",
    "Time",
];

/// One error line.
#[derive(Clone, Debug)]
pub struct ErrorLine {
    pub row_index: u32,
    pub email_address: String,
    pub message: String,
    pub kind: ErrorKind,
    pub folder: Option<String>,
    pub time: chrono::DateTime<chrono::Utc>,
}

/// Characters that make a spreadsheet run a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A spreadsheet would run a cell starting with = + - @ (or a tab/CR) as a formula: prefix `'`.
pub fn escape_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_START) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// What [`escape_cell`] wrote, back (a CSV Mailferry wrote and the admin uploads again).
pub fn unescape_cell(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => text,
    }
}

pub struct ErrorsCsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> ErrorsCsvWriter<W> {
    pub fn new(out: W) -> Result<Self, csv::Error> {
        let mut inner = csv::Writer::from_writer(out);
        inner.write_record(HEADER)?;
        Ok(ErrorsCsvWriter { inner })
    }

    pub fn write(&mut self, line: &ErrorLine) -> Result<(), csv::Error> {
        let message = format!("{} {}", line.kind.message(), line.message);
        self.inner.write_record([
            line.row_index.to_string().as_str(),
            &escape_cell(&line.email_address),
            &escape_cell(message.trim()),
            line.kind.as_str(),
            &escape_cell(line.kind.solution()),
            &escape_cell(line.folder.as_deref().unwrap_or("")),
            &line.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ])
    }

    pub fn finish(mut self) -> Result<W, csv::Error> {
        self.inner.flush()?;
        self.inner
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        for text in ["=SUM(A1)", "+1", "-x", "@a", "plain", "'quoted", ""] {
            assert_eq!(unescape_cell(&escape_cell(text)), text);
        }
        assert_eq!(escape_cell("=1"), "'=1");
        assert_eq!(
            unescape_cell("'plain"),
            "'plain",
            "only what escaping adds is taken off"
        );
    }

    #[test]
    fn writes_exchange_columns_first_and_escapes_formulas() {
        let mut writer = ErrorsCsvWriter::new(Vec::new()).unwrap();
        writer
            .write(&ErrorLine {
                row_index: 3,
                email_address: "=cmd|' /C calc'!A0@example.com".into(),
                message: "detail".into(),
                kind: ErrorKind::SourceSignInFailed,
                folder: Some("-Sent".into()),
                time: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            })
            .unwrap();
        let text = String::from_utf8(writer.finish().unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("RowIndex,EmailAddress,ErrorMessage,ErrorKind,SuggestedSolution,Folder,Time")
        );
        let row = lines.next().unwrap();
        assert!(row.starts_with("3,'=cmd"), "{row}");
        assert!(row.contains(",source_sign_in_failed,"), "{row}");
        assert!(row.contains(",'-Sent,"), "{row}");
    }
}
