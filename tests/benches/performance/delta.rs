//! The staged migration's delta: each tool copies the corpus from its own source (seeded alike),
//! the users then change it — new mail in three folders, 10 % of the messages with other
//! flags/keywords, 1 % expunged, a new folder — and the tool runs again (timed, verified), then
//! once more with nothing changed (the no-op delta). Mailferry's no-op delta is also measured on
//! a source without CONDSTORE/QRESYNC, where every folder's flags are read.

use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{Dovecot, DovecotOptions, TestSession};

use crate::corpus::{FOLDERS, wire_name};
use crate::measure::{self, Cost, Servers};
use crate::settings::Settings;
use crate::tools::{Migration, Tool};
use crate::verify::Verdict;

/// One tool's delta figures.
pub struct DeltaRun {
    pub tool: Tool,
    /// The source without CONDSTORE and QRESYNC.
    pub plain_source: bool,
    pub delta: Cost,
    pub delta_verdict: Result<Verdict, String>,
    pub noop: Cost,
    pub noop_verdict: Result<Verdict, String>,
}

/// What the users change between the passes, per user.
const NEW_MAIL_FOLDERS: [&str; 3] = ["INBOX", "Sent", "Projekte"];
const NEW_PER_FOLDER: u64 = 5;

/// The UIDs of a folder, from `UID SEARCH ALL`.
async fn uids(session: &mut TestSession, folder: &str) -> Vec<u32> {
    use async_imap::imap_proto::{MailboxDatum, Response};
    session
        .command(&format!("SELECT \"{folder}\""), |_, _| Ok(()))
        .await
        .expect("select");
    let mut found = Vec::new();
    session
        .command("UID SEARCH ALL", |parsed, _| {
            if let Response::MailboxData(MailboxDatum::Search(list)) = parsed {
                found.extend(list.iter().copied());
            }
            Ok(())
        })
        .await
        .expect("search");
    found
}

fn uid_list(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Every tenth message of each folder gets a keyword and \Flagged (or loses \Flagged), every
/// hundredth is expunged.
async fn change_flags_and_expunge(source: &Dovecot, user: &str) {
    let mut session = TestSession::master(source.imap_port(), user)
        .await
        .expect("sign-in");
    for name in FOLDERS {
        let folder = wire_name(name);
        let all = uids(&mut session, &folder).await;
        let flagged: Vec<u32> = all.iter().copied().filter(|u| u % 10 == 3).collect();
        let gone: Vec<u32> = all.iter().copied().filter(|u| u % 100 == 7).collect();
        for (set, store) in [
            (&flagged, "+FLAGS ($Delta \\Flagged)"),
            (&gone, "+FLAGS (\\Deleted)"),
        ] {
            if !set.is_empty() {
                let command = format!("UID STORE {} {store}", uid_list(set));
                session
                    .command(&command, |_, _| Ok(()))
                    .await
                    .expect("store");
            }
        }
        session
            .command("EXPUNGE", |_, _| Ok(()))
            .await
            .expect("expunge");
    }
    session.logout().await.expect("logout");
}

/// The users' changes between the first pass and the delta.
pub async fn users_change(source: &Dovecot, users: &[String]) {
    for (u, user) in users.iter().enumerate() {
        change_flags_and_expunge(source, user).await;
        let new_mail = |f: usize, i: u64| MessageSpec {
            bytes: message(9_000_000 + (u * 100 + f * 10) as u64 + i, 6_000, None),
            flags: vec![],
            internaldate: None,
        };
        let mut folders: Vec<FolderSpec> = NEW_MAIL_FOLDERS
            .iter()
            .enumerate()
            .map(|(f, name)| FolderSpec {
                name: name.to_string(),
                messages: (0..NEW_PER_FOLDER).map(|i| new_mail(f, i)).collect(),
            })
            .collect();
        folders.push(FolderSpec {
            name: "Delta".into(),
            messages: (0..NEW_PER_FOLDER).map(|i| new_mail(9, i)).collect(),
        });
        seed_mailbox(source, user, &MailboxSpec { folders })
            .await
            .expect("new mail");
    }
}

/// A source seeded with the corpus, with or without CONDSTORE/QRESYNC.
pub async fn seeded_source(settings: &Settings, users: &[String], plain: bool) -> Dovecot {
    const PLAIN: &str = "IMAP4rev1 SASL-IR ID ENABLE IDLE SPECIAL-USE LIST-EXTENDED LITERAL+ \
         NAMESPACE UIDPLUS MOVE";
    let mut source = Dovecot::start(DovecotOptions {
        name: "delta-source",
        imap_capability: plain.then_some(PLAIN),
        ..Default::default()
    })
    .expect("source Dovecot starts");
    source
        .add_users(&users.iter().map(|u| (u.as_str(), "pw")).collect::<Vec<_>>())
        .expect("source users");
    crate::seed(&source, users, settings.shape(), 0).await;
    source
}

/// The first copy (not reported), the users' changes, the delta and the no-op delta of one tool.
pub async fn delta_run(
    tool: Tool,
    settings: &Settings,
    users: &[String],
    plain_source: bool,
    kept: &mut Vec<(Dovecot, tempfile::TempDir)>,
) -> DeltaRun {
    let source = seeded_source(settings, users, plain_source).await;
    let (destination, work) = crate::empty_destination("delta-destination", settings, users);
    let migration = Migration {
        tool,
        source: &source,
        destination: &destination,
        users,
        work: work.path(),
    };
    let servers = Servers::of(&source, &destination);
    let logs = |name: &str| crate::log_dir(work.path(), name);
    let first = measure::run(migration.commands(false), &logs("first"), &servers);
    println!("    first copy {:.2} s", first.wall.as_secs_f64());
    users_change(&source, users).await;
    let digests = crate::read_all(&source, users)
        .await
        .expect("reading the source");
    let delta = measure::run(migration.commands(true), &logs("delta"), &servers);
    let delta_verdict = crate::verdict(&destination, users, &digests).await;
    let noop = measure::run(migration.commands(true), &logs("noop"), &servers);
    let noop_verdict = crate::verdict(&destination, users, &digests).await;
    println!(
        "    delta {:.2} s ({}), no-op delta {:.2} s ({})",
        delta.wall.as_secs_f64(),
        crate::report::verdict_text(&delta_verdict),
        noop.wall.as_secs_f64(),
        crate::report::verdict_text(&noop_verdict)
    );
    kept.push((destination, work));
    drop(source);
    DeltaRun {
        tool,
        plain_source,
        delta,
        delta_verdict,
        noop,
        noop_verdict,
    }
}

fn wall(run: Option<&DeltaRun>, noop: bool) -> Option<f64> {
    run.map(|r| if noop { &r.noop } else { &r.delta })
        .map(|c| c.wall.as_secs_f64())
}

/// The section of docs/performance.md: the runs, the ratios and the two targets.
pub fn markdown(settings: &Settings, runs: &[DeltaRun]) -> String {
    use std::fmt::Write as _;
    let messages = settings.users * settings.messages;
    let mut out = format!(
        "\n## Delta (staged migration)\n\nEach tool copied the corpus ({messages} messages, {} \
         users) from a source of its own, seeded alike; the users then changed it: \
         {NEW_PER_FOLDER} new messages in each of {}, a new folder with {NEW_PER_FOLDER}, \
         `$Delta` and `\\Flagged` added to every message whose UID ends in 3 (10 %), every UID \
         ending in 07 expunged (1 %). Then the tool ran again (delta) and once more with nothing \
         changed (no-op delta); the destination was verified message by message, flags included, \
         after each. mbsync runs with `Sync Pull`, `Expunge Near`.\n\n\
         | tool | source | delta | verifier | no-op delta | verifier |\n|---|---|---|---|---|---|\n",
        settings.users,
        NEW_MAIL_FOLDERS.join(", ")
    );
    for r in runs {
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} s | {} | {:.2} s | {} |",
            r.tool.name(),
            if r.plain_source {
                "no CONDSTORE/QRESYNC"
            } else {
                "CONDSTORE + QRESYNC"
            },
            r.delta.wall.as_secs_f64(),
            crate::report::verdict_text(&r.delta_verdict),
            r.noop.wall.as_secs_f64(),
            crate::report::verdict_text(&r.noop_verdict)
        );
    }
    let of = |tool: Tool| runs.iter().find(|r| r.tool == tool && !r.plain_source);
    let mailferry = of(Tool::Mailferry);
    let ratio = |other: Tool| match (wall(mailferry, false), wall(of(other), false)) {
        (Some(m), Some(o)) if o > 0.0 => Some(m / o),
        _ => None,
    };
    let mut targets = String::from("\n| target | measured | |\n|---|---|---|\n");
    if let Some(r) = ratio(Tool::Doveadm) {
        let met = if r <= 1.0 { "met" } else { "missed" };
        let _ = writeln!(targets, "| delta ≤ 1.0× doveadm backup | {r:.2}× | {met} |");
    }
    if let Some(r) = ratio(Tool::Mbsync) {
        let _ = writeln!(targets, "| (delta vs mbsync) | {r:.2}× | |");
    }
    if let Some(noop) = wall(mailferry, true) {
        let per_10k = noop * 10_000.0 / messages.max(1) as f64;
        let met = if per_10k <= 0.2 { "met" } else { "missed" };
        let _ = writeln!(
            targets,
            "| no-op delta ≤ 0.2 s per 10,000 messages (CONDSTORE) | {per_10k:.2} s | {met} |"
        );
    }
    out.push_str(&targets);
    out
}
