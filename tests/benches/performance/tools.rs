//! The three tools as the benchmark runs them, each against the same source and an empty
//! destination: Mailferry's CLI (SQLite state), Dovecot's own `doveadm backup` through imapc,
//! and mbsync (isync), one process per user.

use std::path::{Path, PathBuf};
use std::process::Command;

use mailferry_tests::binaries::require_binary;
use mailferry_tests::mailferry_server::mailferry_binary;
use mailferry_tests::{Dovecot, MASTER_PASSWORD, MASTER_USER};

use crate::common::migrate_args;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Mailferry,
    Doveadm,
    Mbsync,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Mailferry => "Mailferry",
            Tool::Doveadm => "doveadm backup",
            Tool::Mbsync => "mbsync",
        }
    }

    /// The tool's program (Mailferry must be built; the others are Debian's).
    pub fn program(self) -> Result<PathBuf, String> {
        match self {
            Tool::Mailferry => mailferry_binary(),
            Tool::Doveadm => require_binary(&["/usr/bin/doveadm"], "dovecot-core"),
            Tool::Mbsync => require_binary(&["/usr/bin/mbsync"], "isync"),
        }
        .map_err(|e| e.to_string())
    }

    pub fn version(self) -> String {
        let program = match self {
            // doveadm's version is its Dovecot's.
            Tool::Doveadm => {
                require_binary(&["/usr/sbin/dovecot"], "dovecot-core").map_err(|e| e.to_string())
            }
            _ => self.program(),
        };
        let Ok(program) = program else {
            return String::new();
        };
        Command::new(program)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    }
}

/// One tool's migration of `users` from `source` to `destination`, with its state in `work`
/// (kept between the first copy and the no-op rerun).
pub struct Migration<'a> {
    pub tool: Tool,
    pub source: &'a Dovecot,
    pub destination: &'a Dovecot,
    pub users: &'a [String],
    pub work: &'a Path,
}

impl Migration<'_> {
    /// The processes to start for a first copy (`rerun` false) or a rerun over the same state.
    pub fn commands(&self, rerun: bool) -> Vec<Command> {
        match self.tool {
            Tool::Mailferry => vec![self.mailferry(rerun)],
            Tool::Doveadm => self.users.iter().map(|u| self.doveadm(u)).collect(),
            Tool::Mbsync => self
                .users
                .iter()
                .enumerate()
                .map(|(i, u)| self.mbsync(i, u))
                .collect(),
        }
    }

    fn mailferry(&self, rerun: bool) -> Command {
        let csv: String = std::iter::once("EmailAddress,UserName,Password\n".to_string())
            .chain(self.users.iter().map(|u| format!("{u},{u},pw\n")))
            .collect();
        let binary = Tool::Mailferry.program().expect("mailferry built");
        // MF_BENCH_PERF=FILE profiles the first copy, the whole machine (Dovecot included), with
        // `perf record -a -g` (its figures are then perf's, not Mailferry's).
        let mut command = match std::env::var_os("MF_BENCH_PERF").filter(|_| !rerun) {
            Some(file) => {
                let mut perf = Command::new("perf");
                perf.args(["record", "-a", "-g", "-o"])
                    .arg(file)
                    .arg("--")
                    .arg(binary);
                perf
            }
            None => Command::new(binary),
        };
        migrate_args(
            &mut command,
            self.work,
            (self.source.imap_port(), self.destination.imap_port()),
            &csv,
        )
        .args(["--concurrency", &self.users.len().to_string()])
        .env("RUST_LOG", "warn");
        if rerun {
            command.arg("--sync-again");
        }
        command
    }

    /// `doveadm backup -R` pulls the user's mail through imapc (as the master user) straight
    /// into the destination's storage, with the settings Dovecot's migration guide recommends.
    fn doveadm(&self, user: &str) -> Command {
        let mut command = Command::new(Tool::Doveadm.program().expect("doveadm found"));
        command.arg("-c").arg(self.destination.config_path());
        for setting in [
            "imapc_host=127.0.0.1".to_string(),
            format!("imapc_port={}", self.source.imap_port()),
            format!("imapc_user={user}"),
            format!("imapc_master_user={MASTER_USER}"),
            format!("imapc_password={MASTER_PASSWORD}"),
            "imapc_features=rfc822.size fetch-headers".to_string(),
            "mail_prefetch_count=20".to_string(),
        ] {
            command.arg("-o").arg(setting);
        }
        command.args(["backup", "-R", "-u", user, "imapc:"]);
        command
    }

    /// One mbsync channel per user: far = source, near = destination, pull only (new messages,
    /// flags, deletions, which `Expunge Near` carries out), arrival dates kept, sync state in
    /// `work`.
    fn mbsync(&self, index: usize, user: &str) -> Command {
        let state = self.work.join(format!("mbsync-state-{index}"));
        std::fs::create_dir_all(&state).expect("state dir");
        let account = |name: &str, port: u16| {
            format!(
                "IMAPAccount {name}\nHost 127.0.0.1\nPort {port}\nUser {user}*{MASTER_USER}\n\
                 Pass {MASTER_PASSWORD}\nSSLType None\nAuthMechs LOGIN\n\n\
                 IMAPStore {name}\nAccount {name}\n\n"
            )
        };
        let config = format!(
            "{}{}Channel migrate\nFar :source:\nNear :destination:\nPatterns *\nCreate Near\n\
             Sync Pull\nExpunge Near\nCopyArrivalDate yes\nSyncState {}/\n",
            account("source", self.source.imap_port()),
            account("destination", self.destination.imap_port()),
            state.display()
        );
        let path = self.work.join(format!("mbsyncrc-{index}"));
        std::fs::write(&path, config).expect("mbsyncrc written");
        let mut command = Command::new(Tool::Mbsync.program().expect("mbsync found"));
        command.arg("-c").arg(&path).arg("-q").arg("migrate");
        command
    }
}
