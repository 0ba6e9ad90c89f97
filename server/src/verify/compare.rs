//! One folder's comparison: the source's messages against the destination's, matched by
//! Message-ID + size + INTERNALDATE and counted (two identical source messages need two copies).
//! Nothing here reads a body.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::imap::fetch::MessageMeta;

/// At most this many missing (extra, changed) messages of a folder are kept for the report; the
/// counts and the missing UIDs are always whole.
pub(crate) const GAPS_KEPT: usize = 200;

/// A message found on one side only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Missing: the source's UID. Extra: the destination's.
    pub uid: u32,
    pub message_id: Option<String>,
    pub size: u32,
    pub internal_date: String,
}

/// What one folder holds on each side, and what differs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderCompare {
    pub source_messages: u64,
    pub source_bytes: u64,
    pub destination_messages: u64,
    pub destination_bytes: u64,
    /// Source UIDs with no destination copy, in UID order.
    pub missing_uids: Vec<u32>,
    /// Destination messages that match no source message.
    pub extra: u64,
    /// Source messages whose copy has the same Message-ID but another size or date.
    pub changed: u64,
    /// The first missing, extra and changed (the source's message) messages.
    pub missing_gaps: Vec<Gap>,
    pub extra_gaps: Vec<Gap>,
    pub changed_gaps: Vec<Gap>,
}

/// The identity of a message on either side. The date is compared as an instant: servers may
/// write the same INTERNALDATE in another zone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    message_id: Option<String>,
    size: u32,
    date: Result<i64, String>,
}

fn key(meta: &MessageMeta) -> Key {
    let raw = meta.internal_date.trim();
    let date = chrono::DateTime::parse_from_str(raw, "%d-%b-%Y %H:%M:%S %z")
        .map(|d| d.timestamp())
        .map_err(|_| raw.to_string());
    Key {
        message_id: meta.message_id.clone(),
        size: meta.size,
        date,
    }
}

fn gap(meta: &MessageMeta) -> Gap {
    Gap {
        uid: meta.uid,
        message_id: meta.message_id.clone(),
        size: meta.size,
        internal_date: meta.internal_date.clone(),
    }
}

/// Compares `source` (the messages the batch copies) with `destination` (everything in the
/// destination folder).
pub fn compare(source: &[MessageMeta], destination: &[MessageMeta]) -> FolderCompare {
    let mut left: HashMap<Key, Vec<&MessageMeta>> = HashMap::new();
    for meta in destination {
        left.entry(key(meta)).or_default().push(meta);
    }
    let mut result = FolderCompare {
        source_messages: source.len() as u64,
        source_bytes: source.iter().map(|m| u64::from(m.size)).sum(),
        destination_messages: destination.len() as u64,
        destination_bytes: destination.iter().map(|m| u64::from(m.size)).sum(),
        ..FolderCompare::default()
    };
    let mut unmatched = Vec::new();
    for meta in source {
        if left
            .get_mut(&key(meta))
            .and_then(|copies| copies.pop())
            .is_none()
        {
            unmatched.push(meta);
        }
    }
    // A copy whose size or date differs but whose Message-ID matches arrived changed (repaired
    // on the way, or stored otherwise by the destination): not missing, or Copy missing would
    // add it again and again.
    let mut by_id: HashMap<&str, Vec<&MessageMeta>> = HashMap::new();
    for meta in left.values().flatten() {
        if let Some(id) = meta.message_id.as_deref() {
            by_id.entry(id).or_default().push(meta);
        }
    }
    let mut changed: std::collections::HashSet<u32> = std::collections::HashSet::new();
    for meta in unmatched {
        let twin = meta
            .message_id
            .as_deref()
            .and_then(|id| by_id.get_mut(id))
            .and_then(|copies| copies.pop());
        match twin {
            Some(copy) => {
                changed.insert(copy.uid);
                result.changed += 1;
                if result.changed_gaps.len() < GAPS_KEPT {
                    result.changed_gaps.push(gap(meta));
                }
            }
            None => {
                result.missing_uids.push(meta.uid);
                if result.missing_gaps.len() < GAPS_KEPT {
                    result.missing_gaps.push(gap(meta));
                }
            }
        }
    }
    result.missing_uids.sort_unstable();
    let mut extra: Vec<&MessageMeta> = left
        .into_values()
        .flatten()
        .filter(|m| !changed.contains(&m.uid))
        .collect();
    extra.sort_by_key(|m| m.uid);
    result.extra = extra.len() as u64;
    result.extra_gaps = extra.into_iter().take(GAPS_KEPT).map(gap).collect();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(uid: u32, id: &str, size: u32, date: &str) -> MessageMeta {
        MessageMeta {
            uid,
            size,
            flags: vec![],
            internal_date: date.into(),
            message_id: Some(id.into()),
        }
    }

    const D: &str = "01-Jan-2020 10:00:00 +0000";

    #[test]
    fn a_whole_folder_has_nothing_missing_whatever_the_uids_and_zones() {
        let source = [meta(1, "<a>", 10, D), meta(2, "<b>", 20, D)];
        // The destination wrote the same instant in another zone, under other UIDs.
        let destination = [
            meta(7, "<b>", 20, D),
            meta(8, "<a>", 10, "01-Jan-2020 11:00:00 +0100"),
        ];
        let c = compare(&source, &destination);
        assert!(c.missing_uids.is_empty());
        assert_eq!(c.extra, 0);
        assert_eq!((c.source_bytes, c.destination_bytes), (30, 30));
    }

    #[test]
    fn copies_are_counted_and_differences_named() {
        let source = [
            meta(1, "<a>", 10, D),
            meta(2, "<a>", 10, D),
            meta(3, "<c>", 30, D),
        ];
        // One of the two identical messages arrived; <c> arrived with another size (changed,
        // not missing); <x> is the destination's own.
        let destination = [
            meta(1, "<a>", 10, D),
            meta(2, "<c>", 31, D),
            meta(3, "<x>", 5, D),
        ];
        let c = compare(&source, &destination);
        assert_eq!(c.missing_uids, vec![2]);
        assert_eq!(c.missing_gaps[0].message_id.as_deref(), Some("<a>"));
        assert_eq!(c.changed, 1);
        assert_eq!(c.extra, 1);
        let extra: Vec<u32> = c.extra_gaps.iter().map(|g| g.uid).collect();
        assert_eq!(extra, vec![3]);
    }

    #[test]
    fn an_empty_destination_misses_everything() {
        let source: Vec<MessageMeta> = (1..=GAPS_KEPT as u32 + 5)
            .map(|uid| meta(uid, "<same>", 1, D))
            .collect();
        let c = compare(&source, &[]);
        assert_eq!(c.missing_uids.len(), GAPS_KEPT + 5);
        assert_eq!(
            c.missing_gaps.len(),
            GAPS_KEPT,
            "the report keeps the first ones"
        );
    }
}
