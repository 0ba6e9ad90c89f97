//! `MigrationStatistics.csv`: Exchange's `EmailAddress,Status,ItemsMigrated,ItemsSkipped`, then
//! Mailferry's own columns (what later passes carried, the last successful sync, the last pass's
//! duration). Never a password.

use std::io::Write;

use super::errors_csv::escape_cell;
use app::ErrorKind;
use app::model::batch::MailboxState;

use crate::db::entity::mailbox;

pub const HEADER: [&str; 15] = [
    "EmailAddress",
    "Status",
    "ItemsMigrated",
    "ItemsSkipped",
    "BytesMigrated",
    "FoldersMigrated",
    "FoldersTotal",
    "ErrorKind",
    "ErrorMessage",
    "StartTime",
    "EndTime",
    "FlagsUpdated",
    "DeletionsApplied",
    "LastSuccessfulSync",
    "LastPassSeconds",
];

pub struct StatisticsLine {
    pub email_address: String,
    pub status: MailboxState,
    pub items_migrated: i64,
    pub items_skipped: i64,
    pub bytes_migrated: i64,
    pub folders_done: i32,
    pub folders_total: i32,
    pub error_kind: Option<ErrorKind>,
    pub error_message: Option<String>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    pub flags_updated: i64,
    pub deletions_applied: i64,
    pub last_synced_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<mailbox::Model> for StatisticsLine {
    fn from(m: mailbox::Model) -> Self {
        StatisticsLine {
            email_address: m.email_address,
            status: m.state,
            items_migrated: m.messages_copied,
            items_skipped: m.messages_skipped,
            bytes_migrated: m.bytes_copied,
            folders_done: m.folders_done,
            folders_total: m.folders_total,
            error_kind: m.error_kind,
            error_message: m.error_message,
            started_at: m.started_at,
            ended_at: m.ended_at,
            flags_updated: m.flags_updated,
            deletions_applied: m.deletions_applied,
            last_synced_at: m.last_synced_at,
        }
    }
}

pub struct StatisticsCsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

impl<W: Write> StatisticsCsvWriter<W> {
    pub fn new(out: W) -> Result<Self, csv::Error> {
        let mut inner = csv::Writer::from_writer(out);
        inner.write_record(HEADER)?;
        Ok(StatisticsCsvWriter { inner })
    }

    pub fn write(&mut self, line: &StatisticsLine) -> Result<(), csv::Error> {
        self.inner.write_record([
            escape_cell(&line.email_address).as_ref(),
            line.status.as_str(),
            &line.items_migrated.to_string(),
            &line.items_skipped.to_string(),
            &line.bytes_migrated.to_string(),
            &line.folders_done.to_string(),
            &line.folders_total.to_string(),
            line.error_kind.map_or("", ErrorKind::as_str),
            &escape_cell(line.error_message.as_deref().unwrap_or("")),
            &time(line.started_at),
            &time(line.ended_at),
            &line.flags_updated.to_string(),
            &line.deletions_applied.to_string(),
            &time(line.last_synced_at),
            &line
                .started_at
                .zip(line.ended_at)
                .map(|(a, b)| (b - a).num_seconds().max(0).to_string())
                .unwrap_or_default(),
        ])
    }

    pub fn finish(mut self) -> Result<W, csv::Error> {
        self.inner.flush()?;
        self.inner
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}
