//! CSV downloads beside the Leptos routes, behind the same session check as the server
//! functions: MigrationErrors.csv (whole or filtered), MigrationStatistics.csv, the failed rows and
//! MigrationVerification.csv.

use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt as _;
use serde::Deserialize;

use app::ErrorKind;
use app::backend::ClientAddr;
use app::ids::BatchId;
use app::model::audit::AuditAction;
use app::model::report::ErrorFilter;

use super::state::AppState;
use crate::auth::sessions;
use crate::batches::actions;
use crate::report::export;

#[derive(Debug, Default, Deserialize)]
pub struct DownloadQuery {
    batch: Option<i64>,
    /// Comma-separated error kind codes.
    kind: Option<String>,
    /// Part of the EmailAddress.
    mailbox: Option<String>,
    /// `1`: the errors a later pass overcame too.
    resolved: Option<String>,
}

impl DownloadQuery {
    fn filter(&self) -> ErrorFilter {
        ErrorFilter {
            batch: self.batch.map(BatchId),
            kinds: self
                .kind
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter_map(ErrorKind::parse)
                .collect(),
            mailbox: self.mailbox.clone().filter(|m| !m.trim().is_empty()),
            resolved_too: self.resolved.as_deref() == Some("1"),
            ..ErrorFilter::default()
        }
    }
}

/// Why a download is refused before anything is written.
type Refusal = (StatusCode, &'static str);

/// Who downloads what, from where: checked, then recorded in the audit trail.
struct Download<'a> {
    headers: &'a HeaderMap,
    client: Option<Extension<ClientAddr>>,
    file: &'static str,
}

/// A signed-in caller; the download is recorded in the audit trail.
async fn signed_in(
    state: &AppState,
    download: Download<'_>,
    batch: Option<i64>,
) -> Result<(), Refusal> {
    let admin = session_admin(state, download.headers).await?;
    record(state, download, &admin, batch).await;
    Ok(())
}

async fn record(state: &AppState, download: Download<'_>, admin: &str, batch: Option<i64>) {
    let client = download.client.map(|c| c.0.0).unwrap_or_default();
    let actor = crate::audit::Actor::Admin(admin);
    let action = AuditAction::Downloaded;
    crate::audit::record(&state.db, actor, client, action, batch, download.file).await;
}

async fn session_admin(state: &AppState, headers: &HeaderMap) -> Result<String, Refusal> {
    let token = sessions::token_from_headers(headers);
    let admin = match token {
        Some(token) if state.allowed_origins.permits(headers) => {
            sessions::admin_for(&state.db, &token, state.config.session_idle())
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "checking a session for a download");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "The session could not be checked.",
                    )
                })?
        }
        _ => None,
    };
    match admin {
        Some(admin) => Ok(admin.username),
        None => Err((StatusCode::UNAUTHORIZED, "Please sign in.")),
    }
}

fn csv_file(name: &str, body: impl Into<Body>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body.into(),
    )
        .into_response()
}

/// A signed-in caller and the batch a per-batch download is for.
async fn signed_in_for_batch(
    state: &AppState,
    download: Download<'_>,
    query: &DownloadQuery,
) -> Result<i64, Refusal> {
    // A stranger is refused before being told what the request lacks; only a download that
    // goes ahead is recorded.
    let admin = session_admin(state, download.headers).await?;
    let batch = query
        .batch
        .ok_or((StatusCode::BAD_REQUEST, "Name a batch: ?batch=ID"))?;
    record(state, download, &admin, Some(batch)).await;
    Ok(batch)
}

fn failed(what: &str, error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "writing {what}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "The file could not be written; the log has the detail.",
    )
        .into_response()
}

pub async fn errors_csv(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    Query(query): Query<DownloadQuery>,
) -> Response {
    let file = "MigrationErrors.csv";
    let download = Download {
        headers: &headers,
        client,
        file,
    };
    if let Err(refused) = signed_in(&state, download, query.batch).await {
        return refused.into_response();
    }
    // Streamed page by page: 100,000 rows never sit in memory at once. A database error after
    // the first bytes can only cut the download short (logged).
    let chunks = export::errors_csv_stream(state.db.clone(), query.filter()).inspect_err(|e| {
        tracing::error!(error = %e, "streaming MigrationErrors.csv");
    });
    csv_file("MigrationErrors.csv", Body::from_stream(chunks))
}

pub async fn statistics_csv(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    Query(query): Query<DownloadQuery>,
) -> Response {
    let file = "MigrationStatistics.csv";
    let download = Download {
        headers: &headers,
        client,
        file,
    };
    batch_csv(&state, download, &query, async |batch| {
        export::write_statistics_csv(&state.db, batch, Vec::new()).await
    })
    .await
}

/// A batch's CSV written in memory: the caller checked and recorded, then the file or why not.
async fn batch_csv<E: std::fmt::Display>(
    state: &AppState,
    download: Download<'_>,
    query: &DownloadQuery,
    write: impl AsyncFnOnce(i64) -> Result<Vec<u8>, E>,
) -> Response {
    let file = download.file;
    match signed_in_for_batch(state, download, query).await {
        Ok(batch) => match write(batch).await {
            Ok(bytes) => csv_file(file, bytes),
            Err(e) => failed(file, e),
        },
        Err(refused) => refused.into_response(),
    }
}

pub async fn failed_rows_csv(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    Query(query): Query<DownloadQuery>,
) -> Response {
    let file = "FailedRows.csv";
    let download = Download {
        headers: &headers,
        client,
        file,
    };
    let batch = match signed_in_for_batch(&state, download, &query).await {
        Ok(batch) => batch,
        Err(refused) => return refused.into_response(),
    };
    match actions::write_failed_rows_csv(&state.db, batch, Vec::new()).await {
        Ok(bytes) => csv_file("FailedRows.csv", bytes),
        Err(actions::ActionError::NotFound(_)) => {
            (StatusCode::NOT_FOUND, "No such batch.").into_response()
        }
        Err(e) => failed("the failed rows", e),
    }
}

pub async fn verification_csv(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    Query(query): Query<DownloadQuery>,
) -> Response {
    let download = Download {
        headers: &headers,
        client,
        file: "MigrationVerification.csv",
    };
    batch_csv(&state, download, &query, async |batch| {
        crate::verify::export::write_verification_csv(&state.db, batch, Vec::new()).await
    })
    .await
}
