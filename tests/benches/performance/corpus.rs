//! The benchmark's seeded corpus: users with 20 folders each (nested, non-ASCII names), mostly
//! 2–20 KB messages, some 100 KB–2 MB attachments and a few 10–20 MB ones, flags with keywords,
//! internal dates over ten years and some reused Message-IDs (the trap of Message-ID dedup).
//! Only the plan is held in memory; bodies are generated while they are appended.

use chrono::{DateTime, FixedOffset, TimeZone as _};

use mailferry_tests::seed::{message, splitmix64};
use mailferry_tests::{Appended, Dovecot, TestSession};

/// Folder names as a user sees them; parents come before their children.
pub const FOLDERS: [&str; 20] = [
    "INBOX",
    "Sent",
    "Drafts",
    "Trash",
    "Junk",
    "Archive",
    "Archive/2019",
    "Archive/2020",
    "Archive/2020/Q1",
    "Kunden",
    "Kunden/Müller GmbH",
    "Kunden/Société Générale",
    "Projekte",
    "Projekte/Überblick",
    "Reisen",
    "Reisen/東京",
    "Reisen/Москва",
    "Newsletters",
    "Rechnungen & Belege",
    "Privat",
];

/// How much of each folder's share of the mail (INBOX and Sent hold most).
const FOLDER_WEIGHTS: [u64; 20] = [30, 12, 1, 3, 3, 4, 5, 5, 3, 4, 4, 3, 2, 3, 2, 2, 2, 6, 4, 2];

/// What one corpus looks like.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub messages_per_user: usize,
    pub seed: u64,
    /// Big attachments (10–20 MB) per 2,500 messages.
    pub big_per_2500: usize,
    /// Force a message of exactly this size every `n` messages (the 20 MB case), if any.
    pub huge_every: Option<(usize, usize)>,
}

/// One planned message.
#[derive(Clone, Debug)]
pub struct Planned {
    pub folder: usize,
    pub seed: u64,
    pub size: usize,
    pub flags: Vec<String>,
    pub internaldate: DateTime<FixedOffset>,
    pub message_id: String,
}

fn unit(state: &mut u64) -> f64 {
    (splitmix64(state) >> 11) as f64 / (1u64 << 53) as f64
}

/// The messages of one user, in append order.
pub fn plan(shape: Shape, user_index: usize) -> Vec<Planned> {
    let mut state = shape.seed ^ (user_index as u64).wrapping_mul(0xA24B_AED4_963E_E407);
    let n = shape.messages_per_user;
    let big = (shape.big_per_2500 * n).div_ceil(2500);
    let weight_total: u64 = FOLDER_WEIGHTS.iter().sum();
    let start = FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2015, 1, 1, 0, 0, 0)
        .unwrap();
    let zones = [-5 * 3600, 0, 3600, 7200, 9 * 3600, 5 * 3600 + 1800];
    let mut planned: Vec<Planned> = Vec::with_capacity(n);
    for i in 0..n {
        let r = unit(&mut state);
        // Big ones spread evenly; 8 % attachments; the rest small text mail.
        let size = if let Some((_, huge)) = shape.huge_every.filter(|(e, _)| i % e == e - 1) {
            huge
        } else if big > 0 && i % (n / big).max(1) == n / big / 2 {
            (10_000_000.0 + unit(&mut state) * 10_000_000.0) as usize
        } else if r < 0.08 {
            // Log-uniform 100 KB – 2 MB.
            (100_000.0 * 20f64.powf(unit(&mut state))) as usize
        } else {
            2_000 + (unit(&mut state) * 18_000.0) as usize
        };
        let mut pick = splitmix64(&mut state) % weight_total;
        let folder = FOLDER_WEIGHTS
            .iter()
            .position(|&w| {
                if pick < w {
                    true
                } else {
                    pick -= w;
                    false
                }
            })
            .unwrap_or(0);
        let mut flags = Vec::new();
        let f = unit(&mut state);
        if f < 0.7 {
            flags.push("\\Seen".to_string());
        }
        if f > 0.9 {
            flags.push("\\Answered".to_string());
        }
        if unit(&mut state) < 0.05 {
            flags.push("\\Flagged".to_string());
        }
        let k = unit(&mut state);
        if k < 0.04 {
            flags.push("$Label1".to_string());
        } else if k < 0.06 {
            flags.push("Projekt-Alpha".to_string());
        }
        let zone =
            FixedOffset::east_opt(zones[(splitmix64(&mut state) % zones.len() as u64) as usize])
                .unwrap();
        let internaldate = (start
            + chrono::Duration::seconds((splitmix64(&mut state) % (10 * 365 * 86_400)) as i64))
        .with_timezone(&zone);
        let seed = shape.seed.wrapping_mul(1_000_003) ^ ((user_index as u64) << 32) ^ i as u64;
        // Every 100th message reuses the previous Message-ID: list copies and resent mail do
        // this, and a tool that deduplicates by Message-ID alone loses them.
        let message_id = if i % 100 == 99 {
            planned[i - 1].message_id.clone()
        } else {
            format!("<bench-{seed:x}@corpus.test>")
        };
        planned.push(Planned {
            folder,
            seed,
            size,
            flags,
            internaldate,
            message_id,
        });
    }
    planned
}

/// A folder's wire name (modified UTF-7, RFC 3501 5.1.3).
pub fn wire_name(name: &str) -> String {
    mailferry::imap::utf7::encode(name)
}

/// What was seeded.
#[derive(Clone, Copy, Debug, Default)]
pub struct Seeded {
    pub messages: u64,
    pub bytes: u64,
}

/// Creates the folders of `user` and appends the plan with MULTIAPPEND (about 8 MB per command).
pub async fn seed_user(
    dovecot: &Dovecot,
    user: &str,
    planned: &[Planned],
) -> anyhow::Result<Seeded> {
    let mut session = TestSession::master(dovecot.imap_port(), user).await?;
    for name in FOLDERS.iter().skip(1) {
        session.create_folder(&wire_name(name)).await?;
    }
    let mut seeded = Seeded::default();
    for (folder, name) in FOLDERS.iter().enumerate() {
        let wire = wire_name(name);
        let mine: Vec<&Planned> = planned.iter().filter(|p| p.folder == folder).collect();
        let mut group: Vec<(Vec<u8>, &Planned)> = Vec::new();
        let mut group_bytes = 0;
        for (i, p) in mine.iter().enumerate() {
            let bytes = message(p.seed, p.size, Some(&p.message_id));
            group_bytes += bytes.len();
            seeded.messages += 1;
            seeded.bytes += bytes.len() as u64;
            group.push((bytes, p));
            if group_bytes >= 8_000_000 || group.len() >= 200 || i + 1 == mine.len() {
                let messages: Vec<Appended<'_>> = group
                    .iter()
                    .map(|(bytes, p)| Appended {
                        bytes,
                        flags: &p.flags,
                        internaldate: p.internaldate,
                    })
                    .collect();
                session.append_many(&wire, &messages).await?;
                group.clear();
                group_bytes = 0;
            }
        }
    }
    session.logout().await?;
    Ok(seeded)
}
