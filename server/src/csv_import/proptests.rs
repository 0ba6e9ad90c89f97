//! Property tests of the CSV import: any bytes are answered without a panic, every problem names
//! a row (and a column where one applies), and any valid file round-trips exactly. Runs 2,000
//! cases per property in CI; a longer run: `PROPTEST_CASES=200000 cargo test -p mailferry
//! csv_import::proptests`.

use proptest::prelude::*;

use super::parse::{CsvRow, is_valid_email, parse_csv};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A plausible address: local part and a dotted domain.
fn address() -> impl Strategy<Value = String> {
    ("[a-z0-9._%+-]{1,20}", "[a-z0-9-]{1,12}", "[a-z]{2,6}")
        .prop_map(|(local, host, tld)| format!("{local}@{host}.{tld}"))
        .prop_filter("valid", |a| is_valid_email(a))
}

/// Passwords with anything printable a spreadsheet could hold: commas, quotes, spaces
/// (also at the ends), non-ASCII.
fn password() -> impl Strategy<Value = String> {
    "[ -~äöüß€漢字]{1,30}".prop_filter("not blank", |p| !p.trim().is_empty())
}

fn rows() -> impl Strategy<Value = Vec<(String, String, String, Option<String>)>> {
    prop::collection::vec(
        (
            address(),
            "[A-Za-z0-9._@*-]{1,20}",
            password(),
            prop::option::of("[A-Za-z0-9/._-]{1,20}"),
        ),
        1..40,
    )
    .prop_map(|mut rows| {
        // Addresses are unique within a file (case-insensitively).
        let mut seen = std::collections::HashSet::new();
        rows.retain(|r| seen.insert(r.0.to_lowercase()));
        rows
    })
}

fn write(rows: &[(String, String, String, Option<String>)], with_root: bool) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["EmailAddress", "UserName", "Password"];
    if with_root {
        header.push("UserRoot");
    }
    writer.write_record(&header).unwrap();
    for (email, user, password, root) in rows {
        let mut record = vec![email.as_str(), user.as_str(), password.as_str()];
        if with_root {
            record.push(root.as_deref().unwrap_or(""));
        }
        writer.write_record(&record).unwrap();
    }
    writer.into_inner().unwrap()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_get_an_answer_never_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        match parse_csv(&bytes) {
            Ok(rows) => {
                for (i, row) in rows.iter().enumerate() {
                    prop_assert!(row.row_index as usize > i);
                    prop_assert!(is_valid_email(&row.email_address));
                    prop_assert!(!row.user_name.is_empty() && !row.password.is_empty());
                }
            }
            Err(problems) => {
                prop_assert!(!problems.is_empty());
                for p in problems {
                    prop_assert!(p.row >= 1 && !p.message.is_empty());
                }
            }
        }
    }

    #[test]
    fn text_that_looks_like_csv_gets_an_answer_never_a_panic(
        text in "(EmailAddress|UserName|Password|UserRoot|[a-z@.,\\\"\\r\\n ]{0,12}){0,40}"
    ) {
        let _ = parse_csv(text.as_bytes());
    }

    #[test]
    fn valid_files_round_trip_exactly(rows in rows(), with_root in any::<bool>()) {
        let parsed = parse_csv(&write(&rows, with_root)).unwrap();
        let expected: Vec<CsvRow> = rows
            .iter()
            .enumerate()
            .map(|(i, (email, user, password, root))| CsvRow {
                row_index: i as u32 + 1,
                email_address: email.clone(),
                user_name: user.clone(),
                password: password.clone(),
                user_root: if with_root { root.clone() } else { None },
            })
            .collect();
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn a_broken_address_is_named_by_row_and_column(
        rows in rows(),
        pick in any::<prop::sample::Index>(),
        broken in "[a-z ]{0,10}|[a-z]{1,5}@|@[a-z]{1,5}\\.de|[a-z]{1,5}@[a-z]{1,5}",
    ) {
        let mut rows = rows;
        let at = pick.index(rows.len());
        rows[at].0 = broken.clone();
        let problems = parse_csv(&write(&rows, false)).unwrap_err();
        // The spreadsheet row: the header is row 1.
        let row = at as u32 + 2;
        prop_assert!(
            problems.iter().any(|p| p.row == row && p.column.as_deref() == Some("EmailAddress")),
            "{:?}", problems
        );
        prop_assert!(problems.iter().all(|p| p.row == row), "{:?}", problems);
    }
}
