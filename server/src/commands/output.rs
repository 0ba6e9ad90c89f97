//! What the batch commands print: a line per finished mailbox, who holds what while a run
//! waits, and the pre-flight table.

use crate::batches::preflight::PreflightRow;
use crate::batches::run_batch::{BatchOutcome, RunEvent};

/// A line per finished mailbox, and the mailboxes other processes hold while the run waits.
pub fn print_event(event: &RunEvent) {
    match event {
        RunEvent::Finished(done) => match &done.error {
            None => println!(
                "row {:>5}  {:<40} {}  {} messages, {:.1} MB in {:.1} s{}",
                done.row_index,
                done.email,
                done.state,
                done.copied,
                done.bytes as f64 / 1_048_576.0,
                done.elapsed.as_secs_f64(),
                if done.problems > 0 {
                    format!(", {} message errors", done.problems)
                } else {
                    String::new()
                }
            ),
            Some((kind, detail)) => println!(
                "row {:>5}  {:<40} {}  {}: {}",
                done.row_index,
                done.email,
                done.state,
                kind.title(),
                detail
            ),
        },
        RunEvent::Waiting(held) => {
            for m in held {
                println!(
                    "row {:>5}  {:<40} held by {} until {} (waiting for it to finish or for its \
                     lease to run out)",
                    m.row_index,
                    m.email,
                    m.worker,
                    m.lease_until.format("%H:%M:%S UTC")
                );
            }
        }
    }
}

/// The run's last line.
pub fn print_outcome(batch_id: i64, outcome: &BatchOutcome) {
    println!(
        "batch {batch_id}: {} — {} synced, {} failed, {} message errors{}",
        outcome.state(),
        outcome.synced,
        outcome.failed,
        outcome.message_errors,
        if outcome.unfinished > 0 {
            format!(", {} not finished yet", outcome.unfinished)
        } else {
            String::new()
        }
    );
}

/// The exit code of a run: 0 when every row succeeded, 2 otherwise.
pub fn exit_code(outcome: &BatchOutcome) -> u8 {
    if outcome.failed > 0 || outcome.message_errors > 0 || outcome.unfinished > 0 {
        2
    } else {
        0
    }
}

pub fn print_preflight(rows: &[PreflightRow]) {
    let mut total = std::time::Duration::ZERO;
    for row in rows {
        match &row.problem {
            Some((kind, detail)) => println!(
                "row {:>5}  {:<40} {}: {}",
                row.row_index,
                row.email,
                kind.title(),
                detail
            ),
            None => println!(
                "row {:>5}  {:<40} ok  {} folders, {} messages, {:.1} MB, about {} s",
                row.row_index,
                row.email,
                row.folders,
                row.messages,
                row.bytes as f64 / 1_048_576.0,
                row.estimate.as_secs().max(1)
            ),
        }
        total += row.estimate;
    }
    let problems = rows.iter().filter(|r| r.problem.is_some()).count();
    println!(
        "pre-flight: {} rows, {} with problems, about {} s of copying",
        rows.len(),
        problems,
        total.as_secs()
    );
}

/// One mailbox's verification: whole, or how many messages are missing, or why not verified.
pub fn print_verification(email: &str, badge: &app::model::verification::VerificationBadge) {
    let extra = match badge.extra {
        0 => String::new(),
        n => format!(" ({n} on the destination only)"),
    };
    match &badge.detail {
        Some(why) => println!("{email:<40} not verified: {why}"),
        None => println!("{email:<40} {}{extra}", badge.label()),
    }
}

/// Prints the last verification of each of the batch's mailboxes; returns how many are whole,
/// and how many have messages missing or could not be verified.
pub async fn print_verifications(
    db: &sea_orm::DatabaseConnection,
    batch_id: i64,
) -> Result<(u64, u64), sea_orm::DbErr> {
    use app::model::verification::VerifyOutcome;
    let rows = crate::db::entity::mailbox::of_batch(db, batch_id).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let badges = crate::verify::store::badges(db, &ids).await?;
    let (mut whole, mut not_whole) = (0, 0);
    for row in &rows {
        let Some(badge) = badges.get(&row.id) else {
            continue;
        };
        print_verification(&row.email_address, badge);
        if badge.outcome == VerifyOutcome::Whole {
            whole += 1;
        } else {
            not_whole += 1;
        }
    }
    Ok((whole, not_whole))
}
