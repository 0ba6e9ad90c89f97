//! Which source folders a mailbox copies, and where each lands: the source and destination
//! folder lists (LIST) through the batch's include/exclude patterns and the folder mapper.

use std::collections::HashSet;

use super::options::BatchOptions;
use crate::imap::folders::{FolderMapper, is_selectable, special_use};
use crate::imap::reply::ListEntry;
use crate::imap::utf7;

/// A source folder to copy and its destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlannedFolder {
    /// The source's wire name (the folder's identity in the state).
    pub source: String,
    /// The destination's wire name.
    pub target: String,
    /// The decoded source name, as the admin reads it.
    pub shown: String,
    /// Whether the destination folder must be created first.
    pub create: bool,
}

/// The attributes that say what a folder is for (not `\HasChildren` and the like).
fn has_special_attribute(entry: &ListEntry) -> bool {
    entry.attributes.iter().any(|a| {
        a.starts_with('\\')
            && !a.eq_ignore_ascii_case("\\HasChildren")
            && !a.eq_ignore_ascii_case("\\HasNoChildren")
    })
}

/// The folders to copy, in the source's LIST order.
pub(crate) fn plan(
    source_folders: Vec<ListEntry>,
    destination_folders: &[ListEntry],
    user_root: Option<String>,
    options: &BatchOptions,
) -> Vec<PlannedFolder> {
    let mapper = FolderMapper {
        source_delimiter: source_folders.iter().find_map(|f| f.delimiter.clone()),
        destination_delimiter: destination_folders.iter().find_map(|f| f.delimiter.clone()),
        user_root,
        destination_special: destination_folders
            .iter()
            .filter(|f| has_special_attribute(f))
            .filter_map(|f| special_use(f).map(|u| (u, f.name.clone())))
            .collect(),
    };
    let existing: HashSet<&str> = destination_folders
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    let delimiter = mapper
        .source_delimiter
        .as_deref()
        .and_then(|d| d.chars().next())
        .unwrap_or('/');
    source_folders
        .into_iter()
        .filter(is_selectable)
        .filter_map(|entry| {
            let shown = utf7::decode(&entry.name).unwrap_or_else(|_| entry.name.clone());
            if !options.wants_folder(&shown, delimiter) {
                return None;
            }
            let target = mapper.map(&entry)?;
            Some(PlannedFolder {
                create: !existing.contains(target.as_str()),
                source: entry.name,
                target,
                shown,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, attrs: &[&str]) -> ListEntry {
        ListEntry {
            name: name.into(),
            delimiter: Some("/".into()),
            attributes: attrs.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn plans_selectable_wanted_folders_and_what_to_create() {
        let source = vec![
            entry("INBOX", &[]),
            entry("Sent Items", &["\\Sent"]),
            entry("Archive", &["\\Noselect", "\\HasChildren"]),
            entry("Archive/2020", &[]),
            entry("Trash", &[]),
        ];
        let destination = vec![entry("INBOX", &[]), entry("Sent", &["\\Sent"])];
        let options = BatchOptions {
            exclude_folders: vec!["Trash".into()],
            ..BatchOptions::default()
        };
        let got = plan(source, &destination, None, &options);
        let summary: Vec<(&str, &str, bool)> = got
            .iter()
            .map(|p| (p.source.as_str(), p.target.as_str(), p.create))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("INBOX", "INBOX", false),
                ("Sent Items", "Sent", false),
                ("Archive/2020", "Archive/2020", true),
            ]
        );
    }
}
