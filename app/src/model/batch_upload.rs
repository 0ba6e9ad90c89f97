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
    pub csv: Vec<u8>,
}

impl BatchUpload {
    /// Checks the form's text `fields` (by input name).
    pub fn from_fields(fields: &HashMap<String, String>, csv: Vec<u8>) -> Result<Self, AppError> {
        let text = |name: &str| fields.get(name).map(|v| v.trim()).unwrap_or_default();
        let endpoint = |name: &str, label: &str| {
            text(name)
                .parse::<i64>()
                .map(EndpointId)
                .map_err(|_| AppError::invalid(label, "choose an endpoint"))
        };
        let date = |name: &str, label: &str| match text(name) {
            "" => Ok(None),
            value => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::invalid(label, "use the form YYYY-MM-DD")),
        };
        let max_message_bytes = match text("max_message_mb") {
            "" => None,
            value => Some(
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|mb| *mb > 0)
                    .ok_or_else(|| {
                        AppError::invalid("Largest message", "enter megabytes, e.g. 50")
                    })?
                    * 1024
                    * 1024,
            ),
        };
        let concurrency = match text("concurrency") {
            "" => 0,
            value => value
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 256)
                .ok_or_else(|| {
                    AppError::invalid("Mailboxes at once", "enter a number from 0 to 256")
                })?,
        };
        let folders_at_once = match text("folders_at_once") {
            "" => 0,
            value => value
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 8)
                .ok_or_else(|| {
                    AppError::invalid("Folders at once", "enter a number from 0 to 8")
                })?,
        };
        let notify_emails: Vec<String> = text("notify_emails")
            .split([',', ';', '\n', ' '])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(String::from)
            .collect();
        if let Some(bad) = notify_emails.iter().find(|a| !looks_like_address(a)) {
            return Err(AppError::invalid(
                "Status e-mail to",
                format!("{bad} is not an e-mail address"),
            ));
        }
        if csv.is_empty() {
            return Err(AppError::invalid(
                "CSV file",
                "choose the CSV file of the mailboxes",
            ));
        }
        let options = BatchOptions {
            include_folders: BatchOptions::patterns(text("include_folders")),
            exclude_folders: BatchOptions::patterns(text("exclude_folders")),
            since: date("since", "Messages since")?,
            before: date("before", "Messages before")?,
            max_message_bytes,
            sync_again: fields.contains_key("sync_again"),
            concurrency,
            folders_at_once,
        };
        let name = match text("name") {
            "" => format!("Batch {}", chrono::Utc::now().format("%Y-%m-%d %H:%M")),
            name => name.to_string(),
        };
        Ok(BatchUpload {
            name,
            source: endpoint("source", "Source")?,
            destination: endpoint("destination", "Destination")?,
            options,
            notify_emails,
            csv,
        })
    }
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
    }
}
