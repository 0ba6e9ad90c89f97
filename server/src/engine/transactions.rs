//! How the messages of a folder are grouped into destination transactions: fewer, bigger
//! transactions (MULTIAPPEND) cost the destination far less than one APPEND per message.

use crate::imap::fetch::MessageMeta;

/// Most messages in one destination transaction.
pub const MAX_MESSAGES: usize = 100;
/// Most bytes in one destination transaction (and one pipeline slot): 100 ordinary messages fit,
/// and several mailboxes' pipelines fit the process's memory budget at once.
pub const MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Groups messages into destination transactions: up to [`MAX_MESSAGES`] and [`MAX_BYTES`] with
/// MULTIAPPEND, one message each without; a big message goes alone.
pub fn plan_transactions<'m>(
    todo: &[&'m MessageMeta],
    multiappend: bool,
) -> Vec<Vec<&'m MessageMeta>> {
    let mut batches = Vec::new();
    let mut current: Vec<&MessageMeta> = Vec::new();
    let mut bytes = 0u64;
    for &meta in todo {
        let size = u64::from(meta.size);
        let full = current.len() >= if multiappend { MAX_MESSAGES } else { 1 }
            || (bytes + size > MAX_BYTES && !current.is_empty());
        if full {
            batches.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(meta);
        bytes += size;
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(uid: u32, size: u32) -> MessageMeta {
        MessageMeta {
            uid,
            size,
            flags: vec![],
            internal_date: "01-Jan-2020 00:00:00 +0000".into(),
            message_id: None,
        }
    }

    #[test]
    fn transactions_respect_count_and_bytes() {
        let metas: Vec<MessageMeta> = (1..=250).map(|u| meta(u, 1000)).collect();
        let refs: Vec<&MessageMeta> = metas.iter().collect();
        let batches = plan_transactions(&refs, true);
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        let single = plan_transactions(&refs[..3], false);
        assert_eq!(single.len(), 3);
        let big = [meta(1, 1000), meta(2, 20 * 1024 * 1024), meta(3, 1000)];
        let refs: Vec<&MessageMeta> = big.iter().collect();
        assert_eq!(
            plan_transactions(&refs, true)
                .iter()
                .map(Vec::len)
                .collect::<Vec<_>>(),
            vec![1, 1, 1]
        );
    }
}
