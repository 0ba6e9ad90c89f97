//! One mailbox's migration as the job that runs it and the lanes that copy its folders both see
//! it: what it is given, what it reports, and how an attempt ends early.

use app::ErrorKind;

use super::classify::Stage;
use super::halt::Halt;
use super::options::BatchOptions;
use super::retry::RetryPolicy;
use crate::imap::ImapSession;
use crate::imap::connect::{ServerAddress, connect};
use crate::oauth::SignIn;
use crate::oauth::sign_in::SignInError;

/// Everything needed to migrate one mailbox.
#[derive(Clone, Debug)]
pub struct MailboxSpec {
    /// The destination mailbox (Exchange's EmailAddress).
    pub email: String,
    pub source: ServerAddress,
    pub source_credentials: SignIn,
    pub destination: ServerAddress,
    pub destination_credentials: SignIn,
    pub user_root: Option<String>,
    pub options: BatchOptions,
    pub retry: RetryPolicy,
}

/// A message that was not copied, for the error report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageProblem {
    pub kind: ErrorKind,
    pub uid: u32,
    pub size: u32,
    pub subject: Option<String>,
    pub detail: String,
}

/// A message problem with the (decoded) folder it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderProblem {
    pub folder: String,
    pub problem: MessageProblem,
}

#[derive(Debug, Default)]
pub struct MailboxReport {
    pub folders_total: u32,
    pub folders_done: u32,
    pub messages_total: u64,
    pub copied: u64,
    pub bytes: u64,
    pub already_present: u64,
    /// Destination messages whose flags followed the source's changes.
    pub flags_updated: u64,
    /// Destination copies deleted because the source expunged them.
    pub deleted: u64,
    pub unchanged_folders: u32,
    /// Message-level problems, each once however many attempts met it.
    pub problems: Vec<FolderProblem>,
    /// Messages copied with a change (repaired, keywords left out), each once.
    pub notices: Vec<FolderProblem>,
    /// What happened to whole folders: not created or opened, not complete, renamed.
    pub folder_problems: Vec<FolderNote>,
}

/// Something about a whole folder, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderNote {
    /// The decoded source name.
    pub folder: String,
    pub kind: ErrorKind,
    pub detail: String,
}

impl FolderNote {
    /// The folder is missing on the destination or not complete there.
    pub fn is_missing(&self) -> bool {
        self.kind.scope() != app::ErrorScope::Notice
    }
}

impl MailboxReport {
    /// Adds a problem unless an attempt before found the same (folder, message, kind).
    pub fn add_problem(&mut self, folder: &str, problem: MessageProblem) {
        add_once(&mut self.problems, folder, problem);
    }

    /// Adds a notice unless an attempt before made the same.
    pub fn add_notice(&mut self, folder: &str, notice: MessageProblem) {
        add_once(&mut self.notices, folder, notice);
    }

    /// The folders that are missing or not complete on the destination.
    pub fn missing_folders(&self) -> impl Iterator<Item = &FolderNote> {
        self.folder_problems.iter().filter(|n| n.is_missing())
    }

    /// Adds what one lane did.
    pub(crate) fn absorb(&mut self, part: MailboxReport) {
        self.folders_done += part.folders_done;
        self.messages_total += part.messages_total;
        self.copied += part.copied;
        self.bytes += part.bytes;
        self.already_present += part.already_present;
        self.flags_updated += part.flags_updated;
        self.deleted += part.deleted;
        self.unchanged_folders += part.unchanged_folders;
        for p in part.problems {
            self.add_problem(&p.folder, p.problem);
        }
        for n in part.notices {
            self.add_notice(&n.folder, n.problem);
        }
        self.folder_problems.extend(part.folder_problems);
    }
}

fn add_once(list: &mut Vec<FolderProblem>, folder: &str, problem: MessageProblem) {
    let known = list.iter().any(|p| {
        p.folder == folder && p.problem.uid == problem.uid && p.problem.kind == problem.kind
    });
    if !known {
        list.push(FolderProblem {
            folder: folder.to_string(),
            problem,
        });
    }
}

/// How a mailbox ended early. Its report holds what was committed and found before.
#[derive(Debug)]
pub struct MailboxFailure {
    /// True when an administrator stopped the batch (not an error of the mailbox).
    pub stopped: bool,
    pub kind: ErrorKind,
    pub detail: String,
    pub folder: Option<String>,
    pub report: MailboxReport,
}

/// An attempt that ended early: why, in which folder, and whether the servers had been reached.
#[derive(Debug)]
pub(crate) struct Interrupted {
    pub halt: Halt,
    pub folder: Option<String>,
    pub reached: bool,
}

impl Interrupted {
    /// The batch was stopped (or a sibling lane failed): end between transactions.
    pub(crate) fn requested() -> Interrupted {
        Interrupted {
            halt: Halt::Requested,
            folder: None,
            reached: true,
        }
    }
}

/// One folder to copy: its source name, the destination folder (already there) and the name
/// shown to the admin.
pub(crate) struct FolderWork {
    pub source: String,
    pub target: String,
    pub shown: String,
    /// For an `\All` folder: the other folders, whose messages it leaves out.
    pub elsewhere: Vec<String>,
}

/// Connects and signs in on both sides.
pub(crate) async fn open_pair(spec: &MailboxSpec) -> Result<(ImapSession, ImapSession), Halt> {
    let mut src = connect(&spec.source, "source")
        .await
        .map_err(Halt::at(Stage::SourceConnect))?;
    spec.source_credentials
        .sign_in(&mut src)
        .await
        .map_err(signed_out(Stage::SourceSignIn))?;
    // A server that offers QRESYNC but refuses to enable it is read the CONDSTORE way.
    if let Err(e) = src.enable_qresync().await {
        tracing::debug!(error = %e, "ENABLE QRESYNC refused");
    }
    let mut dst = connect(&spec.destination, "destination")
        .await
        .map_err(Halt::at(Stage::DestinationConnect))?;
    spec.destination_credentials
        .sign_in(&mut dst)
        .await
        .map_err(signed_out(Stage::DestinationSignIn))?;
    Ok((src, dst))
}

fn signed_out(stage: Stage) -> impl Fn(SignInError) -> Halt {
    move |error| match error {
        SignInError::Imap(error) => Halt::Imap { stage, error },
        SignInError::Token(error) => Halt::Token { error },
    }
}
