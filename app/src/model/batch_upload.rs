//! The new-batch form: its text fields checked into a [`BatchUpload`] with the CSV file's bytes.

use std::collections::HashMap;

use super::batch_options::BatchOptions;
use crate::api::AppError;
use crate::ids::EndpointId;

/// A checked new-batch form; the CSV is parsed by the server.
#[derive(Clone, Debug)]
pub struct BatchUpload {
    pub name: String,
    pub source: EndpointId,
    pub destination: EndpointId,
    pub options: BatchOptions,
    pub notify_emails: Vec<String>,
    /// The first pass starts by itself at this time (none: on Start).
    pub start_after: Option<chrono::DateTime<chrono::Utc>>,
    /// The batch completes by itself at this time once Synced (none: on Complete).
    pub complete_after: Option<chrono::DateTime<chrono::Utc>>,
    pub csv: Vec<u8>,
}

/// The form's text fields by input name, trimmed.
struct Fields<'f>(&'f HashMap<String, String>);

impl Fields<'_> {
    fn text(&self, name: &str) -> &str {
        self.0.get(name).map(|v| v.trim()).unwrap_or_default()
    }

    fn endpoint(&self, name: &str, label: &str) -> Result<EndpointId, AppError> {
        self.text(name)
            .parse::<i64>()
            .map(EndpointId)
            .map_err(|_| AppError::invalid(label, "choose an endpoint"))
    }

    fn date(&self, name: &str, label: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
        match self.text(name) {
            "" => Ok(None),
            value => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::invalid(label, "use the form YYYY-MM-DD")),
        }
    }

    /// A time typed in a `datetime-local` input, read as UTC (the form says so).
    fn time(
        &self,
        name: &str,
        label: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
        match self.text(name) {
            "" => Ok(None),
            value => parse_utc(value)
                .map(Some)
                .ok_or_else(|| AppError::invalid(label, "use the form YYYY-MM-DD HH:MM (UTC)")),
        }
    }

    /// Minutes between delta syncs: empty is the default (24 hours), at least 5.
    fn incremental_sync_secs(&self) -> Result<u64, AppError> {
        const LABEL: &str = "Delta sync every";
        let min_minutes = super::batch_options::MIN_INCREMENTAL_SYNC_SECS / 60;
        match self.text("incremental_sync_minutes") {
            "" => Ok(0),
            value => value
                .parse::<u64>()
                .ok()
                .filter(|m| (min_minutes..=60 * 24 * 365).contains(m))
                .map(|m| m * 60)
                .ok_or_else(|| {
                    AppError::invalid(LABEL, format!("enter minutes, at least {min_minutes}"))
                }),
        }
    }

    /// A number up to `max`; empty is 0 (the default).
    fn count(&self, name: &str, label: &str, max: u32) -> Result<u32, AppError> {
        match self.text(name) {
            "" => Ok(0),
            value => value
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| AppError::invalid(label, format!("enter a number from 0 to {max}"))),
        }
    }

    fn max_message_bytes(&self) -> Result<Option<u64>, AppError> {
        match self.text("max_message_mb") {
            "" => Ok(None),
            value => value
                .parse::<u64>()
                .ok()
                .filter(|mb| *mb > 0)
                .map(|mb| Some(mb * 1024 * 1024))
                .ok_or_else(|| AppError::invalid("Largest message", "enter megabytes, e.g. 50")),
        }
    }

    fn notify_emails(&self) -> Result<Vec<String>, AppError> {
        let list: Vec<String> = self
            .text("notify_emails")
            .split([',', ';', '\n', ' '])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(String::from)
            .collect();
        match list.iter().find(|a| !looks_like_address(a)) {
            Some(bad) => Err(AppError::invalid(
                "Status e-mail to",
                format!("{bad} is not an e-mail address"),
            )),
            None => Ok(list),
        }
    }

    fn options(&self) -> Result<BatchOptions, AppError> {
        Ok(BatchOptions {
            include_folders: BatchOptions::patterns(self.text("include_folders")),
            exclude_folders: BatchOptions::patterns(self.text("exclude_folders")),
            since: self.date("since", "Messages since")?,
            before: self.date("before", "Messages before")?,
            max_message_bytes: self.max_message_bytes()?,
            sync_again: self.0.contains_key("sync_again"),
            keep_deleted: self.0.contains_key("keep_deleted"),
            verify_after_pass: self.0.contains_key("verify_after_pass"),
            concurrency: self.count("concurrency", "Mailboxes at once", 256)?,
            folders_at_once: self.count("folders_at_once", "Folders at once", 8)?,
            incremental_sync_secs: self.incremental_sync_secs()?,
        })
    }
}

impl BatchUpload {
    /// Checks the form's text `fields` (by input name).
    pub fn from_fields(fields: &HashMap<String, String>, csv: Vec<u8>) -> Result<Self, AppError> {
        let fields = Fields(fields);
        let options = fields.options()?;
        let notify_emails = fields.notify_emails()?;
        let start_after = fields.time("start_after", "Start after")?;
        let complete_after = fields.time("complete_after", "Complete after")?;
        if let (Some(start), Some(complete)) = (start_after, complete_after)
            && complete < start
        {
            return Err(AppError::invalid(
                "Complete after",
                "choose a time after the start",
            ));
        }
        if csv.is_empty() {
            return Err(AppError::invalid(
                "CSV file",
                "choose the CSV file of the mailboxes",
            ));
        }
        let name = match fields.text("name") {
            "" => format!("Batch {}", chrono::Utc::now().format("%Y-%m-%d %H:%M")),
            name => name.to_string(),
        };
        Ok(BatchUpload {
            name,
            source: fields.endpoint("source", "Source")?,
            destination: fields.endpoint("destination", "Destination")?,
            options,
            notify_emails,
            start_after,
            complete_after,
            csv,
        })
    }
}

/// A time without zone, as a `datetime-local` input or an admin types it, read as UTC.
pub fn parse_utc(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
}

fn looks_like_address(text: &str) -> bool {
    matches!(text.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn checks_the_form() {
        let base = [("source", "1"), ("destination", "2"), ("name", "Staff")];
        let upload = BatchUpload::from_fields(
            &fields(
                &[
                    &base[..],
                    &[
                        ("max_message_mb", "2"),
                        ("sync_again", "on"),
                        ("folders_at_once", "3"),
                        ("incremental_sync_minutes", "30"),
                        ("start_after", "2027-01-04T22:00"),
                    ],
                ]
                .concat(),
            ),
            b"x".to_vec(),
        )
        .unwrap();
        assert_eq!(upload.options.max_message_bytes, Some(2 * 1024 * 1024));
        assert_eq!(upload.options.folders_at_once, 3);
        assert!(upload.options.sync_again);
        assert_eq!(upload.options.incremental_sync_secs, 1800);
        assert_eq!(
            upload.start_after.map(|t| t.to_rfc3339()),
            Some("2027-01-04T22:00:00+00:00".into())
        );
        assert_eq!(upload.complete_after, None);
        let field_of = |pairs: &[(&str, &str)], csv: &[u8]| match BatchUpload::from_fields(
            &fields(pairs),
            csv.to_vec(),
        ) {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        };
        assert_eq!(field_of(&base, b""), "CSV file");
        assert_eq!(field_of(&[("destination", "2")], b"x"), "Source");
        assert_eq!(
            field_of(&[&base[..], &[("since", "1.1.2020")]].concat(), b"x"),
            "Messages since"
        );
        assert_eq!(
            field_of(
                &[&base[..], &[("notify_emails", "ops@example.org nobody")]].concat(),
                b"x"
            ),
            "Status e-mail to"
        );
        assert_eq!(
            field_of(&[&base[..], &[("folders_at_once", "many")]].concat(), b"x"),
            "Folders at once"
        );
        assert_eq!(
            field_of(
                &[&base[..], &[("incremental_sync_minutes", "2")]].concat(),
                b"x"
            ),
            "Delta sync every"
        );
        assert_eq!(
            field_of(
                &[
                    &base[..],
                    &[
                        ("start_after", "2027-01-04T22:00"),
                        ("complete_after", "2027-01-04T21:00")
                    ]
                ]
                .concat(),
                b"x"
            ),
            "Complete after"
        );
    }
}
