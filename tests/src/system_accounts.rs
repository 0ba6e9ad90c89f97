//! Looking up the existing unprivileged system accounts that the servers run as.

use anyhow::Context;
use nix::unistd::{Gid, Group, Uid, User};

/// A system account's ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Account {
    pub uid: Uid,
    pub gid: Gid,
}

/// Looks up user `user` and group `group` (both must exist already).
pub(crate) fn account(user: &str, group: &str) -> anyhow::Result<Account> {
    let uid = User::from_name(user)
        .with_context(|| format!("looking up system user {user}"))?
        .with_context(|| format!("system user {user} does not exist"))?
        .uid;
    let gid = Group::from_name(group)
        .with_context(|| format!("looking up system group {group}"))?
        .with_context(|| format!("system group {group} does not exist"))?
        .gid;
    Ok(Account { uid, gid })
}
