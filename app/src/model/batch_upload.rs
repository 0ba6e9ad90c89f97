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
            concurrency: self.count("concurrency", "Mailboxes at once", 256)?,
            folders_at_once: self.count("folders_at_once", "Folders at once", 8)?,
        })
    }
}

impl BatchUpload {
    /// Checks the form's text `fields` (by input name).
    pub fn from_fields(fields: &HashMap<String, String>, csv: Vec<u8>) -> Result<Self, AppError> {
        let fields = Fields(fields);
        let options = fields.options()?;
        let notify_emails = fields.notify_emails()?;
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
