//! Batches and their reports: the status e-mail over real SMTP with both CSV files attached, and
//! the error report's filters and counts on a store of 100,000 errors (SQLite and PostgreSQL).

mod common;

use app::ErrorKind;
use app::ids::BatchId;
use app::model::report::{ErrorFilter, ErrorSort};
use mailferry::config::{Config, DatabaseUrl};
use mailferry::report::{error_query, export};
use mailferry_tests::seed::{FolderSpec, MailboxSpec, MessageSpec, message, seed_mailbox};
use mailferry_tests::{DovecotOptions, MASTER_PASSWORD, Postgres, SmtpReceiver};

fn attachment(mail: &mailparse::ParsedMail<'_>, name: &str) -> Option<String> {
    if mail
        .get_content_disposition()
        .params
        .get("filename")
        .map(String::as_str)
        == Some(name)
    {
        return mail.get_body().ok();
    }
    mail.subparts.iter().find_map(|part| attachment(part, name))
}

fn text_part(mail: &mailparse::ParsedMail<'_>) -> Option<String> {
    if mail.ctype.mimetype == "text/plain" && mail.subparts.is_empty() {
        return mail.get_body().ok();
    }
    mail.subparts.iter().find_map(text_part)
}

// Multi-threaded: the SMTP receiver's task must run while this thread waits for the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_batch_sends_one_status_email_whose_csv_matches_the_report() {
    let (mut source, mut destination) = common::dovecots(DovecotOptions::default());
    source.add_user("ok@example.test", "pw-ok-1").unwrap();
    source
        .add_user("nodest@example.test", "pw-nodest-1")
        .unwrap();
    destination.add_user("ok@example.test", "x").unwrap();
    let spec = MailboxSpec {
        folders: vec![FolderSpec {
            name: "INBOX".into(),
            messages: vec![MessageSpec {
                bytes: message(1, 2_000, None),
                flags: vec![],
                internaldate: None,
            }],
        }],
    };
    seed_mailbox(&source, "ok@example.test", &spec)
        .await
        .unwrap();
    let smtp = SmtpReceiver::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let errors_path = dir.path().join("errors.csv");
    let csv = "EmailAddress,UserName,Password
ok@example.test,ok@example.test,pw-ok-1
wrong@example.test,ok@example.test,=bad-Secret-9
nodest@example.test,nodest@example.test,pw-nodest-1
";
    let output = common::migrate_command(dir.path(), &source, &destination, csv)
        .args([
            "--notify",
            "admin@example.test",
            "--errors-csv",
            errors_path.to_str().unwrap(),
        ])
        .env("MAILFERRY_SMTP__HOST", "127.0.0.1")
        .env("MAILFERRY_SMTP__PORT", smtp.port().to_string())
        .env("MAILFERRY_SMTP__SECURITY", "none")
        .env("MAILFERRY_SMTP__FROM", "Mailferry <mailferry@example.test>")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("status e-mail sent"), "{out}");

    let mails = smtp
        .wait_for(1, std::time::Duration::from_secs(10))
        .await
        .expect("one e-mail arrives");
    assert_eq!(mails.len(), 1, "exactly one e-mail");
    assert_eq!(mails[0].to, vec!["admin@example.test".to_string()]);
    assert_status_email(&mails[0].data, &errors_path);
}

/// The e-mail holds no password, says how the batch ended, and carries MigrationErrors.csv
/// (equal to the report the command wrote) and MigrationStatistics.csv.
fn assert_status_email(data: &[u8], errors_path: &std::path::Path) {
    let raw = String::from_utf8_lossy(data).to_string();
    for secret in ["pw-ok-1", "bad-Secret-9", "pw-nodest-1", MASTER_PASSWORD] {
        assert!(!raw.contains(secret), "a password reached the e-mail");
    }
    let parsed = mailparse::parse_mail(data).unwrap();
    assert!(
        parsed
            .headers
            .iter()
            .any(|h| h.get_key() == "Subject" && h.get_value().contains("CompletedWithErrors"))
    );
    let attached =
        attachment(&parsed, "MigrationErrors.csv").expect("MigrationErrors.csv attached");
    let written = std::fs::read_to_string(errors_path).unwrap();
    let rows = |text: &str| -> Vec<Vec<String>> {
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect()
    };
    let attached_rows = rows(&attached);
    assert_eq!(
        attached_rows,
        rows(&written),
        "the attachment equals the report"
    );
    let kinds: Vec<(&str, &str)> = attached_rows
        .iter()
        .map(|r| (r[0].as_str(), r[3].as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("2", "source_sign_in_failed"),
            ("3", "destination_mailbox_not_found")
        ]
    );
    // The text counts what the database counts: mailboxes by state, current errors by kind.
    let text = text_part(&parsed)
        .expect("a text part")
        .replace("\r\n", "\n");
    for expected in [
        "Mailboxes: 3\n".to_string(),
        "  Failed: 2\n".into(),
        "  Synced: 1\n".into(),
        format!("  {}: 1 — ", app::ErrorKind::SourceSignInFailed.title()),
        format!(
            "  {}: 1 — ",
            app::ErrorKind::DestinationMailboxNotFound.title()
        ),
    ] {
        assert!(text.contains(&expected), "{expected:?} missing in:\n{text}");
    }
    let statistics = attachment(&parsed, "MigrationStatistics.csv").expect("statistics attached");
    let stats = rows(&statistics);
    assert_eq!(stats.len(), 3);
    assert!(
        stats
            .iter()
            .any(|r| r[0] == "ok@example.test" && r[1] == "Synced" && r[2] == "1"),
        "{statistics}"
    );
}

async fn report_filters_and_counts(url: String) {
    let config = Config {
        database_url: DatabaseUrl(url),
        ..Config::default()
    };
    let db = mailferry::db::open(&config).await.unwrap();
    let (batches, expected) = common::seeded_errors::seed_errors(&db, 100_000).await;
    let filter = ErrorFilter {
        batch: Some(BatchId(batches[1])),
        kinds: vec![
            ErrorKind::MessageTooLarge,
            ErrorKind::DestinationMailboxFull,
        ],
        mailbox: Some("USER0".into()),
        per_page: 50,
        page: 2,
        sort: ErrorSort::NewestFirst,
        ..ErrorFilter::default()
    };
    let page = error_query::query(&db, &filter).await.unwrap();
    let matching: Vec<&common::seeded_errors::SeededError> = expected
        .iter()
        .filter(|(b, k, e, _)| *b == batches[1] && filter.kinds.contains(k) && e.contains("user0"))
        .collect();
    assert_eq!(page.total, matching.len() as u64);
    assert_eq!(page.rows.len(), 50);
    let mut newest: Vec<_> = matching.iter().map(|m| m.3).collect();
    newest.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        page.rows.iter().map(|r| r.time).collect::<Vec<_>>(),
        newest[100..150].to_vec(),
        "third page, newest first"
    );
    assert!(
        page.rows
            .iter()
            .all(|r| filter.kinds.contains(&r.kind) && r.email_address.contains("user0"))
    );
    // Counts per kind ignore the kind selection (they label the filter chips).
    for (kind, count) in &page.counts {
        let want = expected
            .iter()
            .filter(|(b, k, e, _)| *b == batches[1] && k == kind && e.contains("user0"))
            .count() as u64;
        assert_eq!(*count, want, "{kind:?}");
    }
    assert_eq!(page.counts.len(), 4);

    assert_whole_report_and_download(&db, &batches, &expected).await;
}

/// The unfiltered report counts everything; MigrationErrors.csv of one batch, written and
/// streamed in many chunks, has every row of it.
async fn assert_whole_report_and_download(
    db: &sea_orm::DatabaseConnection,
    batches: &[i64],
    expected: &[common::seeded_errors::SeededError],
) {
    let whole = error_query::query(
        db,
        &ErrorFilter {
            per_page: 10,
            ..ErrorFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(whole.total, 100_000);
    let csv = export::write_errors_csv(
        db,
        &ErrorFilter {
            batch: Some(BatchId(batches[0])),
            ..ErrorFilter::default()
        },
        Vec::new(),
    )
    .await
    .unwrap();
    let lines = csv.iter().filter(|b| **b == b'\n').count();
    assert_eq!(
        lines - 1,
        expected.iter().filter(|(b, ..)| *b == batches[0]).count(),
        "streamed CSV has every row of the batch"
    );
    // The download's stream: the same bytes, in many chunks (not one buffer).
    use futures::TryStreamExt as _;
    let chunks: Vec<Vec<u8>> = export::errors_csv_stream(
        db.clone(),
        ErrorFilter {
            batch: Some(BatchId(batches[0])),
            ..ErrorFilter::default()
        },
    )
    .try_collect()
    .await
    .unwrap();
    assert!(chunks.len() > 10, "{} chunks", chunks.len());
    assert!(chunks.concat() == csv, "the stream equals the written file");
}

#[tokio::test]
async fn the_error_report_on_100k_errors_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    report_filters_and_counts(format!("sqlite://{}/mf.db", dir.path().display())).await;
}

#[tokio::test]
async fn the_error_report_on_100k_errors_postgres() {
    let pg = Postgres::start().unwrap();
    report_filters_and_counts(pg.url()).await;
}
