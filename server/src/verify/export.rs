//! MigrationVerification.csv: per mailbox its last verification, per folder the counts on both
//! sides, and the first missing, extra and changed messages (cells a spreadsheet would run as formulas
//! escaped, as in the other reports).

use std::io::Write;

use sea_orm::{DatabaseConnection, DbErr};

use super::store::{self, StoredGaps};
use crate::db::entity::{mailbox, verification, verification_folder};
use crate::report::errors_csv::escape_cell;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("writing the CSV: {0}")]
    Csv(#[from] csv::Error),
}

const HEADER: [&str; 17] = [
    "EmailAddress",
    "Folder",
    "Line",
    "Outcome",
    "SourceMessages",
    "DestinationMessages",
    "SourceBytes",
    "DestinationBytes",
    "Missing",
    "Extra",
    "Changed",
    "UID",
    "MessageId",
    "Size",
    "InternalDate",
    "VerifiedAt",
    "Detail",
];

fn cell(text: &str) -> String {
    escape_cell(text).into_owned()
}

/// The mailbox's line: its outcome and totals (and why, for a verification that failed).
fn mailbox_line(row: &mailbox::Model, v: &verification::Model) -> Vec<String> {
    vec![
        cell(&row.email_address),
        String::new(),
        "mailbox".into(),
        v.outcome.as_str().into(),
        v.source_messages.to_string(),
        v.destination_messages.to_string(),
        String::new(),
        String::new(),
        v.missing.to_string(),
        v.extra.to_string(),
        v.changed.to_string(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        v.verified_at.to_rfc3339(),
        cell(v.detail.as_deref().unwrap_or("")),
    ]
}

fn folder_lines(row: &mailbox::Model, f: &verification_folder::Model) -> Vec<Vec<String>> {
    let outcome = if f.missing > 0 { "Missing" } else { "Whole" };
    let mut lines = vec![vec![
        cell(&row.email_address),
        cell(&f.folder),
        "folder".into(),
        outcome.into(),
        f.source_messages.to_string(),
        f.destination_messages.to_string(),
        f.source_bytes.to_string(),
        f.destination_bytes.to_string(),
        f.missing.to_string(),
        f.extra.to_string(),
        f.changed.to_string(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    ]];
    let gaps: StoredGaps = serde_json::from_str(&f.gaps).unwrap_or_default();
    let sides = [
        ("missing", gaps.missing),
        ("extra", gaps.extra),
        ("changed", gaps.changed),
    ];
    for (line, list) in sides {
        for gap in list {
            let mut out = vec![String::new(); HEADER.len()];
            out[0] = cell(&row.email_address);
            out[1] = cell(&f.folder);
            out[2] = line.into();
            out[11] = gap.uid.to_string();
            out[12] = cell(gap.message_id.as_deref().unwrap_or(""));
            out[13] = gap.size.to_string();
            out[14] = cell(&gap.internal_date);
            lines.push(out);
        }
    }
    lines
}

/// The batch's verifications as CSV, mailbox by mailbox in row order.
pub async fn write_verification_csv<W: Write>(
    db: &DatabaseConnection,
    batch_id: i64,
    out: W,
) -> Result<W, ExportError> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADER)?;
    for row in mailbox::of_batch(db, batch_id).await? {
        let Some((summary, folders)) = store::of_mailbox(db, row.id).await? else {
            continue;
        };
        writer.write_record(mailbox_line(&row, &summary))?;
        for folder in &folders {
            for line in folder_lines(&row, folder) {
                writer.write_record(line)?;
            }
        }
    }
    writer.flush().map_err(csv::Error::from)?;
    writer
        .into_inner()
        .map_err(|e| ExportError::Csv(csv::Error::from(e.into_error())))
}
