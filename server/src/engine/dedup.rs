//! Which source messages are already in the destination, when the engine cannot tell from its
//! own state (first run into a non-empty folder, a UIDVALIDITY change, an APPEND whose commit was
//! cut by a crash). Key: Message-ID + INTERNALDATE + size, counted, so two identical source
//! messages and one in the destination mean one more to copy.

use std::collections::HashMap;

use crate::imap::fetch::MessageMeta;

/// The identity of a message for deduplication.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DedupKey {
    pub message_id: Option<String>,
    pub internal_date: String,
    pub size: u32,
}

impl DedupKey {
    pub fn of(meta: &MessageMeta) -> DedupKey {
        DedupKey {
            message_id: meta.message_id.clone(),
            internal_date: meta.internal_date.clone(),
            size: meta.size,
        }
    }
}

/// Decides, for each candidate (in source UID order), whether it is already in the destination.
///
/// `destination`: keys of every message in the destination folder. `already_copied`: keys of the
/// source messages the state says were copied (they account for that many destination copies).
/// Returns the candidates to treat as copied.
pub fn present_in_destination<'a>(
    destination: impl IntoIterator<Item = DedupKey>,
    already_copied: impl IntoIterator<Item = &'a DedupKey>,
    candidates: impl IntoIterator<Item = (u32, &'a DedupKey)>,
) -> Vec<u32> {
    let mut surplus: HashMap<DedupKey, i64> = HashMap::new();
    for key in destination {
        *surplus.entry(key).or_default() += 1;
    }
    for key in already_copied {
        if let Some(n) = surplus.get_mut(key) {
            *n -= 1;
        }
    }
    let mut present = Vec::new();
    for (uid, key) in candidates {
        if let Some(n) = surplus.get_mut(key)
            && *n > 0
        {
            *n -= 1;
            present.push(uid);
        }
    }
    present
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, size: u32) -> DedupKey {
        DedupKey {
            message_id: Some(id.into()),
            internal_date: "01-Jan-2020 00:00:00 +0000".into(),
            size,
        }
    }

    #[test]
    fn counts_copies() {
        let a = key("<a>", 10);
        let b = key("<b>", 20);
        // Two identical in the source, one in the destination: one more to copy.
        let got = present_in_destination([a.clone()], [], [(1, &a), (2, &a)]);
        assert_eq!(got, vec![1]);
        // Nothing in the destination: everything to copy.
        assert!(present_in_destination([], [], [(1, &a), (2, &b)]).is_empty());
        // The destination copy belongs to an already-copied source message: the candidate is new.
        assert!(present_in_destination([a.clone()], [&a], [(5, &a)]).is_empty());
        // Same Message-ID, other size: a different message.
        assert!(present_in_destination([key("<a>", 11)], [], [(1, &a)]).is_empty());
    }
}
