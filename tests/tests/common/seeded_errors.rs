//! A store of many errors over two batches of 50 mailboxes each, for the report's tests and the
//! benchmark of its queries and downloads.

use app::model::batch::{BatchState, MailboxState};
use app::model::batch_options::BatchOptions;
use app::{ErrorKind, ErrorScope};
use chrono::{Duration, TimeZone, Utc};
use mailferry::batches::create_batch::QueuedMailbox;
use mailferry::db::entity::batch::Recipients;
use mailferry::db::entity::{batch, migration_error};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

/// One seeded error: its batch, kind, mailbox address and time.
pub type SeededError = (i64, ErrorKind, String, chrono::DateTime<Utc>);

/// Inserts `n` errors (kinds, mailboxes and times spread evenly); returns the two batch ids and
/// every error as expected in the report.
pub async fn seed_errors(
    db: &sea_orm::DatabaseConnection,
    n: usize,
) -> (Vec<i64>, Vec<SeededError>) {
    let now = Utc::now();
    let mut batches = Vec::new();
    let mut mailboxes = Vec::new();
    for b in 0..2 {
        let created = batch::ActiveModel {
            name: Set(format!("b{b}")),
            state: Set(BatchState::Completed),
            options: Set(BatchOptions::default()),
            notify_emails: Set(Recipients::default()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        batches.push(created.id);
        for m in 0..50 {
            let mut row = QueuedMailbox {
                batch_id: created.id,
                row_index: m + 1,
                email_address: format!("user{m:02}.b{b}@example.test"),
                source_username: "u".into(),
                source_secret: "v1:x".into(),
                user_root: None,
                destination_secret: None,
                consent_code: None,
            }
            .into_active_model(now);
            row.state = Set(MailboxState::Failed);
            row.attempts = Set(1);
            let mb = row.insert(db).await.unwrap();
            mailboxes.push(mb);
        }
    }
    let kinds = [
        ErrorKind::MessageRejected,
        ErrorKind::MessageTooLarge,
        ErrorKind::DestinationMailboxFull,
        ErrorKind::SourceSignInFailed,
    ];
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut expected = Vec::with_capacity(n);
    let rows: Vec<migration_error::ActiveModel> = (0..n)
        .map(|i| {
            let mb = &mailboxes[(i * 7) % mailboxes.len()];
            let kind = kinds[(i * 13) % kinds.len()];
            let time = start + Duration::seconds(i as i64);
            expected.push((mb.batch_id, kind, mb.email_address.clone(), time));
            migration_error::ActiveModel {
                batch_id: Set(mb.batch_id),
                mailbox_id: Set(mb.id),
                row_index: Set(mb.row_index),
                email_address: Set(mb.email_address.clone()),
                kind: Set(kind),
                scope: Set(ErrorScope::Message),
                message: Set(format!("detail {i}")),
                folder: Set(Some("INBOX".into())),
                uid: Set(Some(i as i64)),
                subject: Set(None),
                size: Set(Some(1000)),
                created_at: Set(time),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(2_000) {
        migration_error::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    (batches, expected)
}
