//! A source folder's name on the destination: the source's personal namespace prefix and
//! delimiter off (`INBOX.Sent` on Cyrus is `Sent`), the destination's on; a special-use folder
//! onto the destination's own (`Sent Items` into `Sent`); a level that holds the destination's
//! delimiter keeps being one level, with a full-width look-alike in its place (reported).

use std::collections::HashMap;

use crate::imap::folders::{SpecialUse, special_use};
use crate::imap::reply::ListEntry;
use crate::imap::utf7;

/// One side's personal namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Side {
    pub prefix: String,
    pub delimiter: Option<char>,
}

/// How source names become destination names.
#[derive(Clone, Debug)]
pub(crate) struct NameMapper {
    pub source: Side,
    pub destination: Side,
    /// The user's root on the source (Exchange's `UserRoot`), stripped from names.
    pub user_root: Option<String>,
    /// Destination folders by special use, so "Sent Items" lands in the destination's "Sent".
    pub destination_special: HashMap<SpecialUse, String>,
}

/// A destination name, and why it differs from the source's beyond the namespaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub name: String,
    /// A level held the destination's delimiter: what was put in its place.
    pub renamed: Option<String>,
}

/// Gmail's `\Important` view: a search, not a folder of its own (its mail is in All Mail).
fn is_label_view(entry: &ListEntry) -> bool {
    entry
        .attributes
        .iter()
        .any(|a| a.eq_ignore_ascii_case("\\Important"))
}

/// The full-width form of an ASCII delimiter (`/` → `／`, `.` → `．`): reads the same, is not
/// the delimiter, and maps back.
fn look_alike(c: char) -> char {
    match c {
        '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or('_'),
        _ => '_',
    }
}

impl NameMapper {
    /// The destination name of a source folder; `None` when it is not copied (outside the user
    /// root, or a virtual folder).
    pub fn map(&self, entry: &ListEntry) -> Option<Target> {
        let special = special_use(entry);
        if special == Some(SpecialUse::Flagged) || is_label_view(entry) {
            return None;
        }
        if special == Some(SpecialUse::All) {
            // Gmail's "All Mail": what is only there (archived mail) goes into the Archive.
            return Some(match self.destination_special.get(&SpecialUse::Archive) {
                Some(archive) => Target {
                    name: archive.clone(),
                    renamed: None,
                },
                None => self.place("Archive"),
            });
        }
        if let Some(target) = special.and_then(|s| self.destination_special.get(&s)) {
            return Some(Target {
                name: target.clone(),
                renamed: None,
            });
        }
        let mut name = entry.name.as_str();
        let delimiter = self.source.delimiter.map(String::from);
        if let Some(root) = self.user_root.as_deref().filter(|r| !r.is_empty()) {
            let delim = delimiter.as_deref().unwrap_or("/");
            let root = root.trim_end_matches(delim);
            if name == root {
                return None;
            }
            name = name.strip_prefix(root)?.strip_prefix(delim)?;
        }
        if name.eq_ignore_ascii_case("INBOX") {
            return Some(Target {
                name: "INBOX".into(),
                renamed: None,
            });
        }
        let relative = name.strip_prefix(&self.source.prefix).unwrap_or(name);
        Some(self.place(relative))
    }

    /// A name relative to the source's personal namespace, placed in the destination's.
    fn place(&self, relative: &str) -> Target {
        let levels: Vec<&str> = match self.source.delimiter {
            Some(d) => relative.split(d).collect(),
            None => vec![relative],
        };
        let Some(to) = self.destination.delimiter else {
            return Target {
                name: format!("{}{relative}", self.destination.prefix),
                renamed: None,
            };
        };
        let mut renamed = None;
        let placed: Vec<String> = levels
            .iter()
            .map(|level| {
                let decoded = utf7::decode(level).unwrap_or_else(|_| level.to_string());
                if !decoded.contains(to) {
                    return level.to_string();
                }
                let safe = decoded.replace(to, &look_alike(to).to_string());
                renamed = Some(format!("{to:?} in {decoded:?} became {:?}", look_alike(to)));
                utf7::encode(&safe)
            })
            .collect();
        Target {
            name: format!(
                "{}{}",
                self.destination.prefix,
                placed.join(&to.to_string())
            ),
            renamed,
        }
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

    fn side(prefix: &str, delimiter: char) -> Side {
        Side {
            prefix: prefix.into(),
            delimiter: Some(delimiter),
        }
    }

    fn mapper(source: Side, destination: Side) -> NameMapper {
        let mut destination_special = HashMap::new();
        destination_special.insert(SpecialUse::Sent, "Sent".to_string());
        NameMapper {
            source,
            destination,
            user_root: None,
            destination_special,
        }
    }

    fn name(m: &NameMapper, e: ListEntry) -> Option<String> {
        m.map(&e).map(|t| t.name)
    }

    #[test]
    fn namespaces_off_and_on() {
        let cyrus_to_dovecot = mapper(side("INBOX.", '.'), side("", '/'));
        assert_eq!(
            name(&cyrus_to_dovecot, entry("INBOX", ".", &[])).as_deref(),
            Some("INBOX")
        );
        assert_eq!(
            name(&cyrus_to_dovecot, entry("INBOX.Work.2024", ".", &[])).as_deref(),
            Some("Work/2024")
        );
        let dovecot_to_cyrus = mapper(side("", '/'), side("INBOX.", '.'));
        assert_eq!(
            name(&dovecot_to_cyrus, entry("Work/2024", "/", &[])).as_deref(),
            Some("INBOX.Work.2024")
        );
        assert_eq!(
            name(&dovecot_to_cyrus, entry("Sent Items", "/", &[])).as_deref(),
            Some("Sent"),
            "special use wins"
        );
        assert_eq!(
            name(
                &dovecot_to_cyrus,
                entry("[Gmail]/All Mail", "/", &["\\All"])
            )
            .as_deref(),
            Some("INBOX.Archive"),
            "archived mail into the Archive"
        );
        assert_eq!(
            name(
                &dovecot_to_cyrus,
                entry("[Gmail]/Starred", "/", &["\\Flagged"])
            ),
            None
        );
        assert_eq!(
            name(
                &dovecot_to_cyrus,
                entry("[Gmail]/Important", "/", &["\\Important"])
            ),
            None
        );
        assert_eq!(
            name(&cyrus_to_dovecot, entry("INBOX.Caf&AOk-", ".", &[])).as_deref(),
            Some("Caf&AOk-"),
            "wire names stay exact"
        );
    }

    #[test]
    fn a_delimiter_inside_a_level_stays_one_level() {
        let to_dovecot = mapper(side("INBOX.", '.'), side("", '/'));
        let target = to_dovecot.map(&entry("INBOX.a/b.c", ".", &[])).unwrap();
        assert_eq!(utf7::decode(&target.name).unwrap(), "a／b/c");
        assert!(target.renamed.is_some());
        let to_cyrus = mapper(side("", '/'), side("INBOX.", '.'));
        let target = to_cyrus.map(&entry("v1.2/x", "/", &[])).unwrap();
        assert_eq!(utf7::decode(&target.name).unwrap(), "INBOX.v1．2.x");
        assert!(
            to_cyrus
                .map(&entry("plain/x", "/", &[]))
                .unwrap()
                .renamed
                .is_none()
        );
    }

    #[test]
    fn user_root() {
        let mut rooted = mapper(side("", '/'), side("", '/'));
        rooted.user_root = Some("users/jane".into());
        assert_eq!(
            name(&rooted, entry("users/jane/Work", "/", &[])).as_deref(),
            Some("Work")
        );
        assert_eq!(name(&rooted, entry("users/bob/Work", "/", &[])), None);
    }
}
