//! Which source folders a mailbox copies, and where each lands: the source and destination
//! folder lists (LIST) and namespaces, the batch's include/exclude patterns (matched against
//! names within the personal namespace) and the name mapper. Folders of other users' and shared
//! namespaces are not the user's own and are left out.

use std::collections::HashSet;

use super::folder_names::{NameMapper, Side};
use super::options::BatchOptions;
use crate::imap::folders::{SpecialUse, is_selectable, special_use};
use crate::imap::namespace::{Belongs, Namespaces};
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
    /// A level held the destination's delimiter: what was put in its place.
    pub renamed: Option<String>,
    /// Gmail's "All Mail" (`\All`): copied last, only what no other folder holds.
    pub all_mail: bool,
}

/// The attributes that say what a folder is for (not `\HasChildren` and the like).
fn has_special_attribute(entry: &ListEntry) -> bool {
    entry.attributes.iter().any(|a| {
        a.starts_with('\\')
            && !a.eq_ignore_ascii_case("\\HasChildren")
            && !a.eq_ignore_ascii_case("\\HasNoChildren")
    })
}

/// One side's personal namespace, its delimiter from NAMESPACE or else from LIST.
fn side(namespaces: &Namespaces, folders: &[ListEntry]) -> Side {
    Side {
        prefix: namespaces.personal_prefix().to_string(),
        delimiter: namespaces
            .personal
            .as_ref()
            .and_then(|n| n.delimiter)
            .or_else(|| {
                folders
                    .iter()
                    .find_map(|f| f.delimiter.as_deref()?.chars().next())
            }),
    }
}

/// Both sides of the plan: their folders and namespaces.
pub(crate) struct Sides<'a> {
    pub source_folders: Vec<ListEntry>,
    pub source_namespaces: &'a Namespaces,
    pub destination_folders: &'a [ListEntry],
    pub destination_namespaces: &'a Namespaces,
    /// Folders the source's provider keeps as views or records (its profile), never copied.
    pub source_skipped: &'static [&'static str],
}

/// The folders to copy, in the source's LIST order.
pub(crate) fn plan(
    sides: Sides<'_>,
    user_root: Option<String>,
    options: &BatchOptions,
) -> Vec<PlannedFolder> {
    let source = side(sides.source_namespaces, &sides.source_folders);
    let mapper = NameMapper {
        destination: side(sides.destination_namespaces, sides.destination_folders),
        user_root: user_root.clone(),
        destination_special: sides
            .destination_folders
            .iter()
            .filter(|f| has_special_attribute(f))
            .filter_map(|f| special_use(f).map(|u| (u, f.name.clone())))
            .collect(),
        source: source.clone(),
    };
    let existing: HashSet<&str> = sides
        .destination_folders
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    let delimiter = source.delimiter.unwrap_or('/');
    sides
        .source_folders
        .into_iter()
        .filter(is_selectable)
        // With a user root the admin names the folders; otherwise only the user's own.
        .filter(|f| user_root.is_some() || sides.source_namespaces.of(&f.name) == Belongs::Personal)
        .filter_map(|entry| {
            let shown = utf7::decode(&entry.name).unwrap_or_else(|_| entry.name.clone());
            let relative = entry
                .name
                .strip_prefix(&source.prefix)
                .unwrap_or(&entry.name);
            let relative = utf7::decode(relative).unwrap_or_else(|_| relative.to_string());
            let skipped = sides.source_skipped.iter();
            if !options.wants_folder(&relative, delimiter)
                || skipped.clone().any(|s| relative.eq_ignore_ascii_case(s))
            {
                return None;
            }
            let target = mapper.map(&entry)?;
            Some(PlannedFolder {
                all_mail: special_use(&entry) == Some(SpecialUse::All),
                create: !existing.contains(target.name.as_str()),
                source: entry.name,
                target: target.name,
                shown,
                renamed: target.renamed,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::namespace::parse;

    fn entry(name: &str, delimiter: &str, attrs: &[&str]) -> ListEntry {
        ListEntry {
            name: name.into(),
            delimiter: Some(delimiter.into()),
            attributes: attrs.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn summary(plan: &[PlannedFolder]) -> Vec<(&str, &str, bool)> {
        plan.iter()
            .map(|p| (p.source.as_str(), p.target.as_str(), p.create))
            .collect()
    }

    #[test]
    fn plans_selectable_wanted_folders_and_what_to_create() {
        let source = vec![
            entry("INBOX", "/", &[]),
            entry("Sent Items", "/", &["\\Sent"]),
            entry("Archive", "/", &["\\Noselect", "\\HasChildren"]),
            entry("Archive/2020", "/", &[]),
            entry("Trash", "/", &[]),
        ];
        let destination = vec![entry("INBOX", "/", &[]), entry("Sent", "/", &["\\Sent"])];
        let options = BatchOptions {
            exclude_folders: vec!["Trash".into()],
            ..BatchOptions::default()
        };
        let dovecot = parse(r#"(("" "/")) NIL NIL"#).unwrap();
        let sides = Sides {
            source_folders: source,
            source_namespaces: &dovecot,
            destination_folders: &destination,
            destination_namespaces: &dovecot,
            source_skipped: &[],
        };
        assert_eq!(
            summary(&plan(sides, None, &options)),
            vec![
                ("INBOX", "INBOX", false),
                ("Sent Items", "Sent", false),
                ("Archive/2020", "Archive/2020", true),
            ]
        );
    }

    #[test]
    fn cyrus_to_dovecot_leaves_other_namespaces_out() {
        let cyrus = parse(r#"(("INBOX." ".")) (("user." ".")) (("" "."))"#).unwrap();
        let dovecot = parse(r#"(("" "/")) NIL NIL"#).unwrap();
        let source = vec![
            entry("INBOX", ".", &[]),
            entry("INBOX.Sent", ".", &[]),
            entry("INBOX.Trash", ".", &[]),
            entry("INBOX.a.b", ".", &[]),
            entry("user.bob.Shared", ".", &[]),
            entry("Public", ".", &[]),
        ];
        let destination = vec![entry("INBOX", "/", &[])];
        let options = BatchOptions {
            exclude_folders: vec!["Trash".into()],
            ..BatchOptions::default()
        };
        let sides = Sides {
            source_folders: source,
            source_namespaces: &cyrus,
            destination_folders: &destination,
            destination_namespaces: &dovecot,
            source_skipped: &[],
        };
        assert_eq!(
            summary(&plan(sides, None, &options)),
            vec![
                ("INBOX", "INBOX", false),
                ("INBOX.Sent", "Sent", true),
                ("INBOX.a.b", "a/b", true),
            ]
        );
    }
}
