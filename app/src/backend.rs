//! The server as the server functions see it: a trait the `mailferry` crate implements and
//! provides as context, so `app` never depends on the server crate.

use std::sync::Arc;

use async_trait::async_trait;
use http::HeaderMap;

use crate::api::AppError;
use crate::ids::{AdminId, BatchId, EndpointId, MailboxId};
use crate::model::admin::{AdminAdded, AdminList, AdminView, NewAdmin, SetupState};
use crate::model::audit::{AuditAction, AuditFilter, AuditPage};
use crate::model::batch::{
    ActionOutcome, BatchAction, BatchDetail, BatchLive, BatchWatch, PreflightRowView, UploadOutcome,
};
use crate::model::batch_rows::RowFilter;
use crate::model::batch_upload::BatchUpload;
use crate::model::bulk::{BulkAction, BulkOutcome, RowTarget};
use crate::model::dashboard::Dashboard;
use crate::model::endpoint::{EndpointTestResult, EndpointView};
use crate::model::endpoint_form::EndpointForm;
use crate::model::mailbox_page::{MailboxAction, MailboxDetail};
use crate::model::report::{ErrorFilter, ErrorPage};
use crate::model::settings::MailSettingsView;

/// The live channel of a batch page, as the server produces it.
pub type LiveStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<BatchLive, AppError>> + Send>>;

/// A `Set-Cookie` header value that signs the browser in (or out).
#[derive(Clone, Debug)]
pub struct SessionCookie(pub String);

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn setup_state(&self) -> Result<SetupState, AppError>;
    /// Creates the first admin when `setup_code` is the code the server printed at start.
    async fn create_first_admin(
        &self,
        headers: &HeaderMap,
        setup_code: &str,
        username: &str,
        password: &str,
    ) -> Result<SessionCookie, AppError>;
    async fn sign_in(
        &self,
        headers: &HeaderMap,
        client: ClientAddr,
        username: &str,
        password: &str,
    ) -> Result<SessionCookie, AppError>;
    /// Ends the session the request carries (its admin already authenticated).
    async fn sign_out(
        &self,
        headers: &HeaderMap,
        admin: &AdminView,
    ) -> Result<SessionCookie, AppError>;
    /// Ends every session of `admin` (other browsers included) and clears this one's cookie.
    async fn sign_out_everywhere(&self, admin: &AdminView) -> Result<SessionCookie, AppError>;
    /// The admin of this request's session cookie; `Unauthorized` without one. Also refuses
    /// cross-origin requests (the CSRF guard of every server function).
    async fn authenticate(&self, headers: &HeaderMap) -> Result<AdminView, AppError>;
    async fn dashboard(&self) -> Result<Dashboard, AppError>;

    async fn endpoints(&self) -> Result<Vec<EndpointView>, AppError>;
    async fn save_endpoint(&self, form: EndpointForm) -> Result<EndpointId, AppError>;
    async fn test_endpoint(&self, id: EndpointId) -> Result<EndpointTestResult, AppError>;

    /// Parses the CSV and stores a batch in state Created, or answers every problem of the file.
    async fn create_batch(&self, upload: BatchUpload) -> Result<UploadOutcome, AppError>;
    /// A batch with one page of its rows.
    async fn batch(&self, id: BatchId, filter: RowFilter) -> Result<BatchDetail, AppError>;
    /// Progress of a batch as it happens (from every process sharing the database), for as
    /// long as the session of `headers` lasts: its end closes the stream with `Unauthorized`.
    async fn watch_batch(
        &self,
        headers: &HeaderMap,
        watch: BatchWatch,
    ) -> Result<LiveStream, AppError>;
    async fn batch_action(
        &self,
        id: BatchId,
        action: BatchAction,
    ) -> Result<ActionOutcome, AppError>;
    async fn preflight(&self, id: BatchId) -> Result<Vec<PreflightRowView>, AppError>;
    /// A bulk action on the rows of `target`.
    async fn bulk_action(
        &self,
        batch: BatchId,
        target: RowTarget,
        action: BulkAction,
    ) -> Result<BulkOutcome, AppError>;
    /// One mailbox with its folders, passes, errors and last verification.
    async fn mailbox(&self, id: MailboxId) -> Result<MailboxDetail, AppError>;
    /// Verifies the mailbox (in the background) or copies what it misses; answers its batch.
    async fn mailbox_action(
        &self,
        id: MailboxId,
        action: MailboxAction,
    ) -> Result<BatchId, AppError>;

    async fn errors(&self, filter: ErrorFilter) -> Result<ErrorPage, AppError>;

    async fn mail_settings(&self) -> Result<MailSettingsView, AppError>;
    /// `smtp_password: None` keeps the saved password.
    async fn save_mail_settings(
        &self,
        settings: MailSettingsView,
        smtp_password: Option<String>,
    ) -> Result<(), AppError>;
    async fn send_test_email(&self, to: String) -> Result<(), AppError>;

    /// The administrators and the invitations waiting, as `me` sees them.
    async fn admins(&self, me: &AdminView) -> Result<AdminList, AppError>;
    async fn add_admin(
        &self,
        me: &AdminView,
        client: ClientAddr,
        new: NewAdmin,
    ) -> Result<AdminAdded, AppError>;
    /// Never the last administrator, never `me`.
    async fn remove_admin(
        &self,
        me: &AdminView,
        client: ClientAddr,
        id: AdminId,
    ) -> Result<(), AppError>;
    /// `me`'s own password; `me`'s other sessions end.
    async fn change_password(
        &self,
        me: &AdminView,
        client: ClientAddr,
        headers: &HeaderMap,
        current: &str,
        new: &str,
    ) -> Result<(), AppError>;
    /// The name an invitation link is for (no session needed); `NotFound` when it is no good.
    async fn invite_for(&self, token: &str) -> Result<String, AppError>;
    /// Sets the invited administrator's password and signs them in.
    async fn accept_invite(
        &self,
        headers: &HeaderMap,
        client: ClientAddr,
        token: &str,
        password: &str,
    ) -> Result<SessionCookie, AppError>;

    async fn audit(&self, filter: AuditFilter) -> Result<AuditPage, AppError>;
    /// Records an action of `admin` in the audit trail (a failure to write is logged).
    async fn record(
        &self,
        admin: &AdminView,
        client: ClientAddr,
        action: AuditAction,
        batch: Option<BatchId>,
        detail: String,
    );
}

/// Records `action` of `admin`, from this request's client, in the audit trail.
pub async fn record(
    backend: &SharedBackend,
    admin: &AdminView,
    action: AuditAction,
    batch: Option<BatchId>,
    detail: impl Into<String>,
) {
    backend
        .record(admin, client_addr(), action, batch, detail.into())
        .await;
}

/// Shared handle provided as Leptos context by the server.
pub type SharedBackend = Arc<dyn Backend>;

/// The backend and the request headers of the current server function call.
pub fn request() -> Result<(SharedBackend, HeaderMap), AppError> {
    let backend = leptos::prelude::use_context::<SharedBackend>().ok_or(AppError::Internal)?;
    let parts = leptos::prelude::use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
    Ok((backend, parts.headers))
}

/// The client's address as the server sees it: the peer, or behind a trusted proxy the address
/// that proxy forwarded. The server puts it in each request's extensions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

/// This request's [`ClientAddr`] (unknown when the server did not say).
pub fn client_addr() -> ClientAddr {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientAddr>().copied())
        .unwrap_or_default()
}

/// The first line of every protected server function: the backend and the signed-in admin.
pub async fn require_admin() -> Result<(SharedBackend, AdminView), AppError> {
    let (backend, headers) = request()?;
    let admin = backend.authenticate(&headers).await?;
    Ok((backend, admin))
}

/// Puts a session cookie on the server function's response.
pub fn set_cookie(cookie: SessionCookie) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(value) = http::HeaderValue::from_str(&cookie.0)
    {
        response.append_header(http::header::SET_COOKIE, value);
    }
}
