//! Options a batch runs with: chosen in the new-batch form, stored as JSON on the batch, obeyed
//! by the engine.

use serde::{Deserialize, Serialize};

/// Stored as JSON on the batch (a typed JSON column on the server).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::FromJsonQueryResult))]
#[serde(default)]
pub struct BatchOptions {
    /// Folder patterns (`*` any text, `%` any text within one level) to copy; empty = all.
    pub include_folders: Vec<String>,
    /// Folder patterns to skip.
    pub exclude_folders: Vec<String>,
    /// Only messages with INTERNALDATE on or after this day (YYYY-MM-DD).
    pub since: Option<chrono::NaiveDate>,
    /// Only messages with INTERNALDATE before this day.
    pub before: Option<chrono::NaiveDate>,
    /// Bigger messages are skipped and reported as "message too large".
    pub max_message_bytes: Option<u64>,
    /// Copy what is new in mailboxes completed by an earlier batch.
    pub sync_again: bool,
    /// Mailboxes copied at once by this batch (0 = the server's default).
    pub concurrency: u32,
    /// Folders of one mailbox copied at once, each over its own pair of connections (0 = the
    /// default, [`DEFAULT_FOLDERS_AT_ONCE`]).
    pub folders_at_once: u32,
    /// Messages expunged on the source stay on the destination (by default a later pass deletes
    /// the copies Mailferry made; never what it did not put there).
    pub keep_deleted: bool,
    /// Seconds between the delta syncs of a Synced batch (0 = the default, 24 hours).
    pub incremental_sync_secs: u64,
    /// After each pass, compare every synced mailbox with its source (Verify).
    pub verify_after_pass: bool,
}

/// Exchange's default interval between delta syncs.
pub const DEFAULT_INCREMENTAL_SYNC_SECS: u64 = 24 * 3600;
/// The shortest interval an admin may choose (deltas more often only load both servers).
pub const MIN_INCREMENTAL_SYNC_SECS: u64 = 5 * 60;

/// Folders of one mailbox copied at once unless a batch says otherwise: a big mailbox keeps
/// both servers busy, and two sessions per user stay within every provider's connection limit.
pub const DEFAULT_FOLDERS_AT_ONCE: u32 = 2;

/// IMAP-style folder pattern match on decoded names: `*` matches anything, `%` anything but the
/// delimiter.
pub fn folder_matches(pattern: &str, name: &str, delimiter: char) -> bool {
    fn go(p: &[char], n: &[char], d: char) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..], d)),
            Some(('%', rest)) => (0..=n.len())
                .take_while(|&i| i == 0 || n[i - 1] != d)
                .any(|i| go(rest, &n[i..], d)),
            Some((c, rest)) => {
                n.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(rest, &n[1..], d)
            }
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n, delimiter)
}

impl BatchOptions {
    /// Seconds between delta syncs (the minimum is checked where they are typed in).
    pub fn incremental_sync_interval(&self) -> u64 {
        match self.incremental_sync_secs {
            0 => DEFAULT_INCREMENTAL_SYNC_SECS,
            n => n,
        }
    }

    /// How many folders of one mailbox are copied at once (at least one).
    pub fn folder_lanes(&self) -> usize {
        match self.folders_at_once {
            0 => DEFAULT_FOLDERS_AT_ONCE as usize,
            n => n as usize,
        }
    }

    pub fn wants_folder(&self, decoded_name: &str, delimiter: char) -> bool {
        let included = self.include_folders.is_empty()
            || self
                .include_folders
                .iter()
                .any(|p| folder_matches(p, decoded_name, delimiter));
        included
            && !self
                .exclude_folders
                .iter()
                .any(|p| folder_matches(p, decoded_name, delimiter))
    }

    /// Splits a comma- or newline-separated list of folder patterns as typed in a form.
    pub fn patterns(text: &str) -> Vec<String> {
        text.split([',', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(folder_matches("*", "a/b/c", '/'));
        assert!(folder_matches("Archive*", "Archive/2020", '/'));
        assert!(!folder_matches("Archive%", "Archive/2020", '/'));
        assert!(folder_matches("Archive/%", "Archive/2020", '/'));
        assert!(folder_matches("junk", "Junk", '/'));
        let options = BatchOptions {
            exclude_folders: vec!["Trash*".into()],
            ..Default::default()
        };
        assert!(options.wants_folder("INBOX", '/'));
        assert!(!options.wants_folder("Trash/Old", '/'));
        assert_eq!(options.folder_lanes(), DEFAULT_FOLDERS_AT_ONCE as usize);
        let serial = BatchOptions {
            folders_at_once: 1,
            ..Default::default()
        };
        assert_eq!(serial.folder_lanes(), 1);
        assert_eq!(
            BatchOptions::patterns(" Trash*, Junk\nSpam ,"),
            vec!["Trash*", "Junk", "Spam"]
        );
    }
}
