//! Parsing and validating the CSV file. Row numbers count the header as row 1, as a spreadsheet
//! shows them.

use std::collections::HashMap;

use crate::report::errors_csv::unescape_cell;

pub const MAX_ROWS: usize = 50_000;
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

#[derive(Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// 1-based data row index (Exchange's RowIndex); the spreadsheet row is `row_index + 1`.
    pub row_index: u32,
    pub email_address: String,
    pub user_name: String,
    pub password: String,
    pub user_root: Option<String>,
}

impl std::fmt::Debug for CsvRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvRow")
            .field("row_index", &self.row_index)
            .field("email_address", &self.email_address)
            .field("user_name", &self.user_name)
            .field("password", &"***")
            .field("user_root", &self.user_root)
            .finish()
    }
}

/// One problem of the file, at a row (spreadsheet numbering, header = 1) and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvProblem {
    pub row: u32,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(column) => write!(f, "row {}, column {}: {}", self.row, column, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

const COLUMNS: [&str; 4] = ["EmailAddress", "UserName", "Password", "UserRoot"];

fn problem(row: u32, column: Option<&str>, message: impl Into<String>) -> CsvProblem {
    CsvProblem {
        row,
        column: column.map(String::from),
        message: message.into(),
    }
}

/// A plausible address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_valid_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && text.len() <= 254
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>(),;:\"[]\\".contains(c))
}

/// The file as UTF-8 text without its byte-order mark, or why it cannot be read.
fn text_of(bytes: &[u8]) -> Result<&[u8], CsvProblem> {
    if bytes.len() > MAX_BYTES {
        return Err(problem(
            1,
            None,
            format!("the file is larger than {} MB", MAX_BYTES / 1024 / 1024),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(problem(
            1,
            None,
            "the file is not UTF-8 text; save it as \"CSV UTF-8\"",
        ));
    }
    Ok(bytes)
}

/// Whether rows must carry the user's source password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Passwords {
    /// Users sign in on the source with the CSV's passwords.
    Required,
    /// The source signs users in without them (OAuth 2 tokens, or an admin on their behalf):
    /// the column may be empty or left out; a password given is still used.
    Optional,
}

/// Where each known column is (any case), or every problem of the header.
fn column_index(
    headers: &csv::StringRecord,
    passwords: Passwords,
) -> Result<HashMap<&'static str, usize>, Vec<CsvProblem>> {
    let mut problems = Vec::new();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, name) in headers.iter().enumerate() {
        match COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(name)) {
            Some(column) if index.contains_key(column) => {
                problems.push(problem(1, Some(column), "this column appears twice"))
            }
            Some(column) => {
                index.insert(column, i);
            }
            None => problems.push(problem(
                1,
                Some(name),
                "unknown column; the columns are EmailAddress, UserName, Password and optionally UserRoot",
            )),
        }
    }
    let required = match passwords {
        Passwords::Required => &COLUMNS[..3],
        Passwords::Optional => &COLUMNS[..2],
    };
    for required in required {
        if !index.contains_key(required) {
            problems.push(problem(
                1,
                Some(required),
                "this column is missing from the header",
            ));
        }
    }
    if problems.is_empty() {
        Ok(index)
    } else {
        Err(problems)
    }
}

/// Reads the data rows, collecting every problem.
struct Rows {
    index: HashMap<&'static str, usize>,
    header_len: usize,
    rows: Vec<CsvRow>,
    problems: Vec<CsvProblem>,
    /// Lower-cased addresses and the spreadsheet row they first appeared on.
    seen: HashMap<String, u32>,
    passwords: Passwords,
}

impl Rows {
    /// One record at `row_index` (1-based data row); `false` when the file is too long.
    fn take(&mut self, row_index: u32, record: Result<csv::StringRecord, csv::Error>) -> bool {
        let line = row_index + 1;
        if self.rows.len() + self.problems.len() >= MAX_ROWS {
            self.problems.push(problem(
                line,
                None,
                format!("the file has more than {MAX_ROWS} rows"),
            ));
            return false;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                self.problems
                    .push(problem(line, None, format!("cannot read this row: {e}")));
                return true;
            }
        };
        if record.iter().all(|field| field.trim().is_empty()) {
            return true;
        }
        if record.len() > self.header_len {
            self.problems.push(problem(
                line,
                None,
                format!(
                    "this row has {} fields, the header has {}",
                    record.len(),
                    self.header_len
                ),
            ));
            return true;
        }
        if let Some(row) = self.check(row_index, &record) {
            self.rows.push(row);
        }
        true
    }

    /// The row, or `None` with its problems recorded.
    fn check(&mut self, row_index: u32, record: &csv::StringRecord) -> Option<CsvRow> {
        let line = row_index + 1;
        let get = |column: &str| {
            self.index
                .get(column)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
        };
        // Headers and the address/name fields are trimmed; a password is taken as written
        // (spaces at its ends are part of it).
        // A cell Mailferry escaped against spreadsheet formulas (FailedRows.csv) comes back
        // as it was.
        let cell = |column: &str| unescape_cell(get(column).trim()).to_string();
        let (email, user, password, root) = (
            cell("EmailAddress"),
            cell("UserName"),
            get("Password").to_string(),
            cell("UserRoot"),
        );
        let before = self.problems.len();
        let password_needed = self.passwords == Passwords::Required;
        for (column, value, needed) in [
            ("EmailAddress", &email, true),
            ("UserName", &user, true),
            ("Password", &password, password_needed),
        ] {
            if needed && value.is_empty() {
                self.problems
                    .push(problem(line, Some(column), "missing value"));
            }
        }
        if !email.is_empty() && !is_valid_email(&email) {
            self.problems.push(problem(
                line,
                Some("EmailAddress"),
                format!("{email:?} is not a valid e-mail address"),
            ));
        }
        if !email.is_empty() {
            match self.seen.get(&email.to_lowercase()) {
                Some(first) => self.problems.push(problem(
                    line,
                    Some("EmailAddress"),
                    format!("duplicate of row {first}"),
                )),
                None => {
                    self.seen.insert(email.to_lowercase(), line);
                }
            }
        }
        (self.problems.len() == before).then(|| CsvRow {
            row_index,
            email_address: email,
            user_name: user,
            password,
            user_root: Some(root).filter(|r| !r.is_empty()),
        })
    }
}

/// Parses the whole file, every row with its password; `Err` lists every problem found
/// (nothing is half-accepted).
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<CsvRow>, Vec<CsvProblem>> {
    parse_csv_with(bytes, Passwords::Required)
}

/// Parses the whole file for a source that needs the users' passwords or not.
pub fn parse_csv_with(bytes: &[u8], passwords: Passwords) -> Result<Vec<CsvRow>, Vec<CsvProblem>> {
    let bytes = text_of(bytes).map_err(|p| vec![p])?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::Headers)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| vec![problem(1, None, format!("cannot read the header: {e}"))])?
        .clone();
    let mut rows = Rows {
        index: column_index(&headers, passwords)?,
        header_len: headers.len(),
        rows: Vec::new(),
        problems: Vec::new(),
        seen: HashMap::new(),
        passwords,
    };
    for (i, record) in reader.records().enumerate() {
        if !rows.take(i as u32 + 1, record) {
            break;
        }
    }
    if rows.rows.is_empty() && rows.problems.is_empty() {
        rows.problems.push(problem(2, None, "the file has no rows"));
    }
    if rows.problems.is_empty() {
        Ok(rows.rows)
    } else {
        Err(rows.problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exchange_format_with_bom_and_any_header_case() {
        let rows = parse_csv(b"\xEF\xBB\xBFemailaddress,USERNAME,Password,UserRoot\r\njane@example.com,jane,pw1,\r\nbob@example.com,bob*admin,p\"w,users/bob\r\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row_index, 1);
        assert_eq!(rows[1].user_name, "bob*admin");
        assert_eq!(rows[1].user_root.as_deref(), Some("users/bob"));
        assert!(
            !format!("{:?}", rows[0]).contains("pw1"),
            "passwords never in Debug"
        );
    }

    #[test]
    fn cells_escaped_by_failed_rows_come_back_as_they_were() {
        let rows =
            parse_csv(b"EmailAddress,UserName,Password,UserRoot\n-a@example.org,'=cmd,pw,'+root\n")
                .unwrap();
        assert_eq!(rows[0].user_name, "=cmd");
        assert_eq!(rows[0].user_root.as_deref(), Some("+root"));
        assert_eq!(rows[0].email_address, "-a@example.org");
    }

    #[test]
    fn reports_row_and_column() {
        let err = parse_csv(b"EmailAddress,UserName,Password\njane@example.com,jane,\nnot-an-address,x,y\njane@example.com,j2,p\n").unwrap_err();
        assert_eq!(
            err,
            vec![
                problem(2, Some("Password"), "missing value"),
                problem(
                    3,
                    Some("EmailAddress"),
                    "\"not-an-address\" is not a valid e-mail address"
                ),
                problem(4, Some("EmailAddress"), "duplicate of row 2"),
            ]
        );
    }

    #[test]
    fn header_problems() {
        let err = parse_csv(b"EmailAddress,UserName,Pass,Extra\n").unwrap_err();
        assert!(err.iter().any(
            |p| p.column.as_deref() == Some("Pass") && p.message.starts_with("unknown column")
        ));
        assert!(
            err.iter()
                .any(|p| p.column.as_deref() == Some("Password") && p.message.contains("missing"))
        );
        // A source that signs users in by itself takes rows without passwords, or no column.
        let rows = parse_csv_with(
            b"EmailAddress,UserName,Password\njane@example.com,jane,\nbob@example.com,bob,pw\n",
            Passwords::Optional,
        )
        .unwrap();
        assert_eq!(
            (rows[0].password.as_str(), rows[1].password.as_str()),
            ("", "pw")
        );
        let rows = parse_csv_with(
            b"EmailAddress,UserName\njane@example.com,jane\n",
            Passwords::Optional,
        )
        .unwrap();
        assert_eq!(rows[0].password, "");
        assert!(parse_csv(b"EmailAddress,UserName\njane@example.com,jane\n").is_err());
        assert!(
            parse_csv(b"EmailAddress,UserName,Password\n").is_err(),
            "no rows"
        );
        assert!(parse_csv(b"\xff\xfe").is_err(), "not UTF-8");
    }
}
