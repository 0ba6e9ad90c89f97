//! One folder's copy as the pipeline and the destination transactions both see it: what it is
//! given, what it has done, and how it ends early.

use sea_orm::DatabaseConnection;

use super::halt::Halt;
use super::mailbox::MessageProblem;
use super::options::BatchOptions;
use super::progress::ProgressSink;

/// A failure that stops the folder (and the caller decides about the mailbox).
#[derive(Debug)]
pub struct FolderFailure {
    pub halt: Halt,
    /// What was committed before the failure (it stays copied).
    pub progress: FolderOutcome,
}

#[derive(Debug, Default)]
pub struct FolderOutcome {
    pub unchanged: bool,
    pub messages_total: u64,
    pub copied: u64,
    pub bytes: u64,
    /// Found in the destination already (dedup), counted as done.
    pub already_present: u64,
    /// Left out by the batch's date range.
    pub filtered: u64,
    /// In an `\All` folder, left out because another copied folder holds them.
    pub elsewhere: u64,
    /// Destination messages whose flags were brought in line with the source's changes.
    pub flags_updated: u64,
    /// Destination copies deleted because the source expunged the message.
    pub deleted: u64,
    /// Why the folder is not complete although no message failed (the source listed fewer
    /// messages than it holds).
    pub incomplete: Option<String>,
    pub problems: Vec<MessageProblem>,
    /// Messages copied with a change (repaired, keywords left out).
    pub notices: Vec<MessageProblem>,
}

pub struct FolderJob<'a> {
    pub db: &'a DatabaseConnection,
    pub account_id: i64,
    pub source_folder: &'a str,
    pub destination_folder: &'a str,
    /// The decoded source name, as the admin reads it.
    pub shown: &'a str,
    /// For an `\All` folder: the mailbox's other copied folders, whose messages it leaves out.
    pub elsewhere: &'a [String],
    pub options: &'a BatchOptions,
    pub progress: &'a dyn ProgressSink,
}
