//! A running mailbox's live detail, kept in memory as the engine reports it and written to its
//! row every few seconds when it changed: the folders being copied, what the pass copies and
//! has done, and the rate over the last minute (of this pass only: a resumed mailbox's rate is
//! not diluted by the time it was not running).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use app::model::batch::MailboxState;

use crate::db::entity::mailbox;

/// The window of the rate.
const WINDOW: Duration = Duration::from_secs(60);
/// How often a changed detail is written.
pub(crate) const WRITE_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct Live {
    /// Folders being copied, with how many lanes copy each (a folder name may repeat).
    folders: BTreeMap<String, u32>,
    /// Per folder: messages and bytes this pass copies.
    planned: BTreeMap<String, (u64, u64)>,
    done_messages: u64,
    done_bytes: u64,
    /// (when, bytes done) within the window, oldest first; the first is the baseline.
    samples: VecDeque<(Instant, u64)>,
}

/// What is written to the row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LiveColumns {
    pub folders: String,
    pub messages_total: u64,
    pub messages_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub rate: u64,
}

#[derive(Debug)]
pub(crate) struct LiveProgress {
    live: Mutex<Live>,
    changed: AtomicBool,
}

impl LiveProgress {
    pub(crate) fn new(now: Instant) -> LiveProgress {
        let mut live = Live::default();
        live.samples.push_back((now, 0));
        LiveProgress {
            live: Mutex::new(live),
            changed: AtomicBool::new(true),
        }
    }

    fn update(&self, change: impl FnOnce(&mut Live)) {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut live);
        self.changed.store(true, Ordering::Relaxed);
    }

    pub(crate) fn folder_started(&self, shown: &str) {
        self.update(|l| *l.folders.entry(shown.to_string()).or_default() += 1);
    }

    pub(crate) fn folder_ended(&self, shown: &str) {
        self.update(|l| {
            if let Some(n) = l.folders.get_mut(shown) {
                *n -= 1;
                if *n == 0 {
                    l.folders.remove(shown);
                }
            }
        });
    }

    pub(crate) fn to_copy(&self, shown: &str, messages: u64, bytes: u64) {
        // A folder planned again (another attempt of the pass) adds what it still has to do
        // to what the earlier attempt did of it: approximated by replacing its plan.
        self.update(|l| {
            l.planned.insert(shown.to_string(), (messages, bytes));
        });
    }

    pub(crate) fn copied(&self, messages: u64, bytes: u64, now: Instant) {
        self.update(|l| {
            l.done_messages += messages;
            l.done_bytes += bytes;
            l.samples.push_back((now, l.done_bytes));
        });
    }

    /// The detail to write, when it changed since the last call.
    pub(crate) fn take_changed(&self, now: Instant) -> Option<LiveColumns> {
        if !self.changed.swap(false, Ordering::Relaxed) {
            return None;
        }
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        // The baseline: the oldest sample within the window (or the newest before it).
        while live.samples.len() > 1 && now.duration_since(live.samples[0].0) > WINDOW {
            live.samples.pop_front();
        }
        let (since, base) = live.samples.front().copied().unwrap_or((now, 0));
        let secs = now.duration_since(since).as_secs_f64();
        let rate = if secs > 0.0 {
            ((live.done_bytes - base) as f64 / secs) as u64
        } else {
            0
        };
        let (messages_total, bytes_total) = live
            .planned
            .values()
            .fold((0, 0), |(m, b), (pm, pb)| (m + pm, b + pb));
        Some(LiveColumns {
            folders: live.folders.keys().cloned().collect::<Vec<_>>().join(", "),
            // Never less than done: a folder planned again plans only what is left.
            messages_total: messages_total.max(live.done_messages),
            messages_done: live.done_messages,
            bytes_total: bytes_total.max(live.done_bytes),
            bytes_done: live.done_bytes,
            rate,
        })
    }

    /// Marks the detail as changed (the rate moves with time even when nothing is copied).
    pub(crate) fn touch(&self) {
        self.changed.store(true, Ordering::Relaxed);
    }
}

/// Writes the detail to a running mailbox's row (never to one that has ended); `false` when the
/// row was asked to stop (or has ended).
pub(crate) async fn write(
    db: &DatabaseConnection,
    row: i64,
    c: &LiveColumns,
) -> Result<bool, sea_orm::DbErr> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let written = mailbox::Entity::update_many()
        .col_expr(mailbox::Column::LiveFolders, Expr::value(c.folders.clone()))
        .col_expr(
            mailbox::Column::LiveMessagesTotal,
            Expr::value(n(c.messages_total)),
        )
        .col_expr(
            mailbox::Column::LiveMessagesDone,
            Expr::value(n(c.messages_done)),
        )
        .col_expr(
            mailbox::Column::LiveBytesTotal,
            Expr::value(n(c.bytes_total)),
        )
        .col_expr(mailbox::Column::LiveBytesDone, Expr::value(n(c.bytes_done)))
        .col_expr(mailbox::Column::LiveRate, Expr::value(n(c.rate)))
        .col_expr(mailbox::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(mailbox::Column::Id.eq(row))
        .filter(mailbox::Column::State.eq(MailboxState::Syncing))
        .filter(mailbox::Column::StopRequestedAt.is_null())
        .exec(db)
        .await?;
    Ok(written.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_over_the_last_minute_of_this_pass() {
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let live = LiveProgress::new(start);
        live.folder_started("INBOX");
        live.folder_started("Sent");
        live.to_copy("INBOX", 10, 10_000);
        live.to_copy("Sent", 5, 5_000);
        // 60 s at 100 B/s, then 30 s at 1,000 B/s.
        live.copied(6, 6_000, at(60));
        live.copied(3, 30_000, at(90));
        let c = live.take_changed(at(90)).unwrap();
        assert_eq!(c.folders, "INBOX, Sent");
        assert_eq!((c.messages_done, c.messages_total), (9, 15));
        // The plan said 15,000 bytes; more was done: the total follows.
        assert_eq!((c.bytes_done, c.bytes_total), (36_000, 36_000));
        // From the oldest sample within the minute (at 60 s): 30,000 bytes in 30 s.
        assert_eq!(c.rate, 1_000);
        assert!(live.take_changed(at(91)).is_none(), "unchanged");
        live.folder_ended("Sent");
        live.touch();
        let c = live.take_changed(at(150)).unwrap();
        assert_eq!(c.folders, "INBOX");
        // Nothing copied in the last minute but the one sample at 90 s: 0 B/s since.
        assert_eq!(c.rate, 0);
    }
}
