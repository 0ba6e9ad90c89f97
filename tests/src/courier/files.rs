//! A Courier instance's files: `authdaemonrc`, the user database, the Maildirs (owned by
//! `nobody`), the namespace script and the environment `imapd` reads its settings from.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::system_accounts::account;

/// Settings of `imapd` (Debian's defaults, except: `IMAP_EMPTYTRASH` is left unset — an empty
/// value would purge Trash after a day — and `IMAP_USELOCKS=0`, which makes parallel APPENDs to
/// one folder fast; UIDs stay unique).
pub(super) fn imapd_environment(root: &Path, keywords: bool) -> Vec<(&'static str, String)> {
    vec![
        ("IMAP_CAPABILITY", "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE".into()),
        ("IMAP_KEYWORDS", if keywords { "1" } else { "0" }.into()),
        ("IMAP_ACL", "1".into()),
        ("IMAP_PROXY", "0".into()),
        ("IMAP_IDLE_TIMEOUT", "60".into()),
        ("IMAP_MAILBOX_SANITY_CHECK", "1".into()),
        ("IMAP_USELOCKS", "0".into()),
        ("IMAP_BROKENUIDV", "1".into()),
        ("IMAP_SHAREDINDEXFILE", root.join("etc/shared/index").display().to_string()),
        ("IMAP_TRASHFOLDERNAME", "Trash".into()),
        ("IMAP_MOVE_EXPUNGE_TO_TRASH", "0".into()),
        ("SENDMAIL", "/bin/false".into()),
        ("HEADERFROM", "X-IMAP-Sender".into()),
        ("TZ", "UTC".into()),
        // STARTTLS with the test CA's certificate (key and certificate in one file).
        ("IMAP_STARTTLS", "YES".into()),
        ("COURIERTLS", "/usr/bin/couriertls".into()),
        ("TLS_CERTFILE", tls_pem(root).display().to_string()),
        ("TLS_PROTOCOL", "TLS1_2+".into()),
        ("TLS_VERIFYPEER", "NONE".into()),
    ]
}

fn tls_pem(root: &Path) -> std::path::PathBuf {
    root.join("tls/imapd.pem")
}

/// The server's key and certificate for STARTTLS, signed by a fresh test CA. STARTTLS runs
/// `couriertls` as the compiled-in user `courier`, which must read the file (and nobody else).
pub(super) fn write_tls(root: &Path) -> anyhow::Result<crate::TestCa> {
    let ca = crate::TestCa::generate(&root.join("tls"))?;
    let pem = [
        std::fs::read_to_string(&ca.key_path)?,
        std::fs::read_to_string(&ca.cert_path)?,
    ];
    let path = tls_pem(root);
    std::fs::write(&path, pem.concat())?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let courier = account("courier", "courier")?;
    std::os::unix::fs::chown(
        &path,
        Some(courier.uid.as_raw()),
        Some(courier.gid.as_raw()),
    )?;
    Ok(ca)
}

const NS_SCRIPT: &str = "#!/bin/sh\n\
# ns.sh DIR PROGRAM ARGS...: DIR's Courier paths over the compiled-in ones, then PROGRAM.\n\
d=$1; shift\n\
mount --bind \"$d/etc\" /etc/courier || exit 1\n\
mount --bind \"$d/authdaemon\" /run/courier/authdaemon || exit 1\n\
exec \"$@\"\n";

pub(super) fn write(root: &Path) -> anyhow::Result<()> {
    for folder in ["etc/shared", "authdaemon", "home", "run", "log"] {
        std::fs::create_dir_all(root.join(folder))?;
    }
    // The mount points in the root namespace (Debian's tmpfiles.d makes them at boot).
    std::fs::create_dir_all("/etc/courier")?;
    std::fs::create_dir_all("/run/courier/authdaemon")?;
    for path in [root, &root.join("home")] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    }
    std::fs::write(
        root.join("etc/authdaemonrc"),
        "authmodulelist=\"authuserdb\"\nauthmodulelistorig=\"authuserdb\"\ndaemons=3\n\
         authdaemonvar=/run/courier/authdaemon\nDEBUG_LOGIN=0\nDEFAULTOPTIONS=\"\"\nLOGGEROPTS=\"\"\n",
    )?;
    std::fs::write(root.join("etc/userdb"), "")?;
    std::fs::set_permissions(
        root.join("etc/userdb"),
        std::fs::Permissions::from_mode(0o600),
    )?;
    std::fs::write(root.join("etc/shared/index"), "")?;
    let script = root.join("run/ns.sh");
    std::fs::write(&script, NS_SCRIPT)?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    makeuserdb(root)
}

fn run(command: &mut Command, what: &str) -> anyhow::Result<String> {
    let output = command
        .output()
        .with_context(|| format!("running {what}"))?;
    anyhow::ensure!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn makeuserdb(root: &Path) -> anyhow::Result<()> {
    run(
        Command::new("makeuserdb")
            .arg("-f")
            .arg(root.join("etc/userdb")),
        "makeuserdb",
    )
    .map(|_| ())
}

fn maildir(root: &Path, user: &str) -> std::path::PathBuf {
    root.join("home").join(user).join("Maildir")
}

/// Adds a user to the database (SHA-512 crypt) with a new Maildir owned by `nobody`.
pub(super) fn add_user(root: &Path, user: &str, password: &str) -> anyhow::Result<()> {
    let owner = account("nobody", "nogroup")?;
    let home = root.join("home").join(user);
    std::fs::create_dir_all(&home)?;
    let mail = maildir(root, user);
    if !mail.exists() {
        run(Command::new("maildirmake").arg(&mail), "maildirmake")?;
    }
    let hash = run(
        Command::new("openssl").args(["passwd", "-6", password]),
        "openssl passwd",
    )?;
    let (uid, gid) = (owner.uid.as_raw(), owner.gid.as_raw());
    let line = format!(
        "{user}\tuid={uid}|gid={gid}|home={}|mail={}|systempw={hash}\n",
        home.display(),
        mail.display()
    );
    let userdb = root.join("etc/userdb");
    let mut text = std::fs::read_to_string(&userdb)?;
    text.push_str(&line);
    std::fs::write(&userdb, text)?;
    makeuserdb(root)?;
    chown_tree(&home, uid, gid)
}

/// A Maildir++ quota (`maildirsize`); `None` removes it.
pub(super) fn set_quota(root: &Path, user: &str, bytes: Option<u64>) -> anyhow::Result<()> {
    let mail = maildir(root, user);
    let _ = std::fs::remove_file(mail.join("maildirsize"));
    if let Some(bytes) = bytes {
        run(
            Command::new("maildirmake")
                .arg("-q")
                .arg(format!("{bytes}S"))
                .arg(&mail),
            "maildirmake -q",
        )?;
        let owner = account("nobody", "nogroup")?;
        chown_tree(&mail, owner.uid.as_raw(), owner.gid.as_raw())?;
    }
    Ok(())
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> anyhow::Result<()> {
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        std::os::unix::fs::chown(&p, Some(uid), Some(gid))?;
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p)?.flatten().map(|e| e.path()));
        }
    }
    Ok(())
}
