//! The folder tree: LIST on both sides, special-use detection (RFC 6154 attributes first,
//! localized names as fall-back) and mapping a source name to its destination name.

use std::collections::HashMap;

use super::error::ImapError;
use super::reply::{ListEntry, Reply};
use super::response_code::ResponseCode;
use super::session::{ImapSession, quote};
use super::utf7;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpecialUse {
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
    /// Virtual: every message again (Gmail "All Mail"); never copied.
    All,
    /// Virtual: the flagged messages again; never copied.
    Flagged,
}

/// All folders of the signed-in user.
pub async fn list(session: &mut ImapSession) -> Result<Vec<ListEntry>, ImapError> {
    let mut entries = Vec::new();
    let command =
        if session.has_capability("SPECIAL-USE") && session.has_capability("LIST-EXTENDED") {
            r#"LIST "" "*" RETURN (SPECIAL-USE)"#
        } else {
            r#"LIST "" "*""#
        };
    session
        .run(command, |reply| {
            if let Reply::List(entry) = reply {
                entries.push(entry);
            }
            Ok(())
        })
        .await?;
    Ok(entries)
}

/// Creates a folder; one that exists already is fine.
pub async fn create(session: &mut ImapSession, wire_name: &str) -> Result<(), ImapError> {
    let name = quote(wire_name).ok_or_else(|| {
        ImapError::Protocol(format!("folder name {wire_name:?} holds a line break"))
    })?;
    match session.simple(&format!("CREATE {name}")).await {
        Ok(_) => Ok(()),
        Err(ImapError::No {
            code: Some(ResponseCode::AlreadyExists),
            ..
        }) => Ok(()),
        Err(e) => Err(e),
    }
}

pub fn is_selectable(entry: &ListEntry) -> bool {
    !entry
        .attributes
        .iter()
        .any(|a| a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent"))
}

const LOCALIZED: &[(SpecialUse, &[&str])] = &[
    (
        SpecialUse::Sent,
        &[
            "sent",
            "sent items",
            "sent mail",
            "sent messages",
            "gesendet",
            "gesendete objekte",
            "envoyés",
            "éléments envoyés",
            "enviados",
            "elementos enviados",
            "inviata",
            "posta inviata",
            "verzonden",
            "отправленные",
        ],
    ),
    (
        SpecialUse::Drafts,
        &[
            "drafts",
            "draft",
            "entwürfe",
            "brouillons",
            "borradores",
            "bozze",
            "concepten",
            "черновики",
        ],
    ),
    (
        SpecialUse::Trash,
        &[
            "trash",
            "deleted items",
            "deleted messages",
            "bin",
            "papierkorb",
            "gelöschte objekte",
            "corbeille",
            "papelera",
            "cestino",
            "prullenbak",
            "корзина",
        ],
    ),
    (
        SpecialUse::Junk,
        &[
            "junk",
            "spam",
            "junk e-mail",
            "junk email",
            "bulk mail",
            "indésirables",
            "correo no deseado",
            "posta indesiderata",
            "ongewenste e-mail",
            "спам",
        ],
    ),
    (
        SpecialUse::Archive,
        &[
            "archive",
            "archives",
            "archiv",
            "archivo",
            "archivio",
            "archief",
            "архив",
        ],
    ),
];

/// The special use of a folder: its attribute, else its (decoded, last-level) name.
pub fn special_use(entry: &ListEntry) -> Option<SpecialUse> {
    for attribute in &entry.attributes {
        let use_ = match attribute.to_ascii_lowercase().as_str() {
            "\\sent" => SpecialUse::Sent,
            "\\drafts" => SpecialUse::Drafts,
            "\\trash" => SpecialUse::Trash,
            "\\junk" => SpecialUse::Junk,
            "\\archive" => SpecialUse::Archive,
            "\\all" => SpecialUse::All,
            "\\flagged" => SpecialUse::Flagged,
            _ => continue,
        };
        return Some(use_);
    }
    let decoded = utf7::decode(&entry.name).ok()?;
    let leaf = match entry.delimiter.as_deref() {
        Some(d) if !d.is_empty() => decoded.rsplit(d).next().unwrap_or(&decoded).to_string(),
        _ => decoded,
    };
    // Only top-level folders (or children of INBOX) are taken for special folders by name.
    let depth = entry
        .delimiter
        .as_deref()
        .map_or(0, |d| entry.name.matches(d).count());
    let under_inbox = entry.delimiter.as_deref().is_some_and(|d| {
        entry
            .name
            .to_ascii_uppercase()
            .starts_with(&format!("INBOX{d}"))
    });
    if depth > usize::from(under_inbox) {
        return None;
    }
    let leaf = leaf.to_lowercase();
    LOCALIZED
        .iter()
        .find(|(_, names)| names.contains(&leaf.as_str()))
        .map(|(use_, _)| *use_)
}

/// How source names become destination names.
#[derive(Clone, Debug)]
pub struct FolderMapper {
    pub source_delimiter: Option<String>,
    pub destination_delimiter: Option<String>,
    /// The user's root on the source (Exchange's `UserRoot`), stripped from names.
    pub user_root: Option<String>,
    /// Destination folders by special use, so "Sent Items" lands in the destination's "Sent".
    pub destination_special: HashMap<SpecialUse, String>,
}

impl FolderMapper {
    /// The destination wire name for a source folder; `None` when it is not copied (outside the
    /// user root, or a virtual folder).
    pub fn map(&self, entry: &ListEntry) -> Option<String> {
        let special = special_use(entry);
        if matches!(special, Some(SpecialUse::All | SpecialUse::Flagged)) {
            return None;
        }
        if let Some(target) = special.and_then(|s| self.destination_special.get(&s)) {
            return Some(target.clone());
        }
        let mut name = entry.name.as_str();
        if let Some(root) = self.user_root.as_deref().filter(|r| !r.is_empty()) {
            let delim = self.source_delimiter.as_deref().unwrap_or("/");
            let root = root.trim_end_matches(delim);
            if name == root {
                return None;
            }
            name = name.strip_prefix(root)?.strip_prefix(delim)?;
        }
        if name.eq_ignore_ascii_case("INBOX") {
            return Some("INBOX".into());
        }
        let (Some(from), Some(to)) = (
            self.source_delimiter.as_deref(),
            self.destination_delimiter.as_deref(),
        ) else {
            return Some(name.to_string());
        };
        if from == to {
            return Some(name.to_string());
        }
        // A destination delimiter inside a source name would create a level; it becomes '_'.
        Some(
            name.split(from)
                .map(|part| part.replace(to, "_"))
                .collect::<Vec<_>>()
                .join(to),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, delim: &str, attrs: &[&str]) -> ListEntry {
        ListEntry {
            name: name.into(),
            delimiter: Some(delim.into()),
            attributes: attrs.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn mapper(from: &str, to: &str, root: Option<&str>) -> FolderMapper {
        let mut destination_special = HashMap::new();
        destination_special.insert(SpecialUse::Sent, "Sent".to_string());
        FolderMapper {
            source_delimiter: Some(from.into()),
            destination_delimiter: Some(to.into()),
            user_root: root.map(String::from),
            destination_special,
        }
    }

    #[test]
    fn special_use_by_attribute_then_by_name() {
        assert_eq!(
            special_use(&entry("Whatever", "/", &["\\Sent"])),
            Some(SpecialUse::Sent)
        );
        assert_eq!(
            special_use(&entry("Sent Items", "/", &[])),
            Some(SpecialUse::Sent)
        );
        assert_eq!(
            special_use(&entry("INBOX.Gesendet", ".", &[])),
            Some(SpecialUse::Sent)
        );
        assert_eq!(
            special_use(&entry("Entw&APw-rfe", "/", &[])),
            Some(SpecialUse::Drafts)
        );
        assert_eq!(
            special_use(&entry("Projects/Sent", "/", &[])),
            None,
            "nested folders keep their name"
        );
        assert_eq!(
            special_use(&entry("[Gmail]/All Mail", "/", &["\\All"])),
            Some(SpecialUse::All)
        );
    }

    #[test]
    fn maps_names() {
        let m = mapper(".", "/", None);
        assert_eq!(m.map(&entry("INBOX", ".", &[])).as_deref(), Some("INBOX"));
        assert_eq!(
            m.map(&entry("Work.2024.Q1", ".", &[])).as_deref(),
            Some("Work/2024/Q1")
        );
        assert_eq!(m.map(&entry("a/b.c", ".", &[])).as_deref(), Some("a_b/c"));
        assert_eq!(
            m.map(&entry("Sent Items", ".", &[])).as_deref(),
            Some("Sent")
        );
        assert_eq!(m.map(&entry("All", ".", &["\\All"])), None);
        assert_eq!(
            m.map(&entry("Caf&AOk-", ".", &[])).as_deref(),
            Some("Caf&AOk-"),
            "wire names stay exact"
        );
        let rooted = mapper("/", "/", Some("users/jane"));
        assert_eq!(
            rooted.map(&entry("users/jane/Work", "/", &[])).as_deref(),
            Some("Work")
        );
        assert_eq!(rooted.map(&entry("users/bob/Work", "/", &[])), None);
    }
}
