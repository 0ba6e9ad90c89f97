//! The folder tree: LIST on both sides, special-use detection (RFC 6154 attributes first,
//! localized names as fall-back) and mapping a source name to its destination name.

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

/// Most folders one LIST may answer: a server that loops (`a`, `a/a`, `a/a/a`…) fails the
/// mailbox instead of taking the memory.
const MAX_FOLDERS: usize = 20_000;
/// Longest folder name taken (bytes on the wire).
const MAX_NAME: usize = 1_000;

/// All folders of the signed-in user; each name once.
pub async fn list(session: &mut ImapSession) -> Result<Vec<ListEntry>, ImapError> {
    let mut entries: Vec<ListEntry> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Lines, not distinct names: a server repeating the same names is a loop too.
    let mut answered = 0usize;
    let command =
        if session.has_capability("SPECIAL-USE") && session.has_capability("LIST-EXTENDED") {
            r#"LIST "" "*" RETURN (SPECIAL-USE)"#
        } else {
            r#"LIST "" "*""#
        };
    session
        .run(command, |reply| {
            if let Reply::List(entry) = reply {
                if entry.name.len() > MAX_NAME {
                    return Err(ImapError::Protocol(format!(
                        "LIST: a folder name of {} bytes (at most {MAX_NAME} are taken)",
                        entry.name.len()
                    )));
                }
                answered += 1;
                if answered > MAX_FOLDERS {
                    return Err(ImapError::Protocol(format!(
                        "LIST: more than {MAX_FOLDERS} folders (a server listing a loop?)"
                    )));
                }
                if seen.insert(entry.name.clone()) {
                    entries.push(entry);
                }
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
        // Cyrus answers without the code.
        Err(ImapError::No { text, .. }) if text.to_ascii_lowercase().contains("already exists") => {
            Ok(())
        }
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
}
