//! The server's implementation of `app::backend::Backend`: what server functions call. Sign-in
//! and the dashboard live here; each page's other calls in a module of their own.

pub mod batch_view;
mod batches;
mod bulk;
mod endpoints;
mod live;
mod mailboxes;
mod report;
mod settings;
mod team;

use async_trait::async_trait;
use http::HeaderMap;
use sea_orm::{DbErr, EntityTrait, QueryOrder};

use app::api::AppError;
use app::backend::{Backend, ClientAddr, LiveStream, SessionCookie};
use app::ids::{AdminId, BatchId, EndpointId, MailboxId};
use app::model::admin::{AdminAdded, AdminList, AdminView, NewAdmin, SetupState};
use app::model::audit::{AuditAction, AuditFilter, AuditPage};
use app::model::batch::{
    ActionOutcome, BatchAction, BatchDetail, BatchWatch, PreflightRowView, UploadOutcome,
};
use app::model::batch_rows::RowFilter;
use app::model::batch_upload::BatchUpload;
use app::model::bulk::{BulkAction, BulkOutcome, RowTarget};
use app::model::dashboard::Dashboard;
use app::model::endpoint::{EndpointTestResult, EndpointView};
use app::model::endpoint_form::EndpointForm;
use app::model::mailbox_page::{MailboxAction, MailboxDetail};
use app::model::report::{ErrorFilter, ErrorPage};
use app::model::settings::MailSettingsView;

use super::state::AppState;
use crate::auth::{admins, sessions};
use crate::db::entity::batch;

/// The audit trail's actor of a failed sign-in with a name no administrator has.
const UNKNOWN_NAME: &str = "(unknown name)";

pub struct WebBackend {
    pub state: AppState,
}

fn internal(error: DbErr) -> AppError {
    tracing::error!(%error, "database error in a server function");
    AppError::Internal
}

fn admin_view(model: crate::db::entity::admin::Model) -> AdminView {
    AdminView {
        id: AdminId(model.id),
        username: model.username,
    }
}

impl WebBackend {
    fn guard_origin(&self, headers: &HeaderMap) -> Result<(), AppError> {
        if self.state.allowed_origins.permits(headers) {
            Ok(())
        } else {
            Err(AppError::Unauthorized)
        }
    }

    async fn start_session(&self, admin_id: i64) -> Result<SessionCookie, AppError> {
        let token = sessions::create(&self.state.db, admin_id, self.state.config.session_idle())
            .await
            .map_err(internal)?;
        Ok(SessionCookie(sessions::cookie(
            Some(&token),
            self.state.config.cookies_secure(),
        )))
    }
}

#[async_trait]
impl Backend for WebBackend {
    async fn setup_state(&self) -> Result<SetupState, AppError> {
        let count = admins::count(&self.state.db).await.map_err(internal)?;
        Ok(if count == 0 {
            SetupState::NeedsFirstAdmin
        } else {
            SetupState::Ready
        })
    }

    async fn create_first_admin(
        &self,
        headers: &HeaderMap,
        setup_code: &str,
        username: &str,
        password: &str,
    ) -> Result<SessionCookie, AppError> {
        self.guard_origin(headers)?;
        match &self.state.setup_code {
            Some(code) if code.matches(setup_code) => {}
            Some(_) => {
                tracing::warn!("first-run set-up with a wrong set-up code");
                return Err(AppError::invalid(
                    "setup_code",
                    "wrong set-up code: the server printed the right one in its log at start",
                ));
            }
            // This process started with an administrator already.
            None => {
                return Err(AppError::Conflict(
                    "An administrator exists already; sign in instead.".into(),
                ));
            }
        }
        let admin = match admins::create_first(&self.state.db, username.trim(), password).await {
            Ok(admin) => admin,
            Err(admins::AdminError::AlreadySetUp) => {
                return Err(AppError::Conflict(
                    "An administrator exists already; sign in instead.".into(),
                ));
            }
            Err(admins::AdminError::WeakPassword(why)) => {
                return Err(AppError::invalid("password", why));
            }
            Err(admins::AdminError::BadUsername) => {
                return Err(AppError::invalid(
                    "username",
                    admins::AdminError::BadUsername.to_string(),
                ));
            }
            Err(admins::AdminError::Db(e)) => return Err(internal(e)),
        };
        tracing::info!(admin = %admin.username, "first administrator created");
        let client = app::backend::client_addr();
        self.note(
            &admin.username,
            client,
            AuditAction::SetUp,
            None,
            "first administrator",
        )
        .await;
        self.start_session(admin.id).await
    }

    async fn sign_in(
        &self,
        headers: &HeaderMap,
        client: ClientAddr,
        username: &str,
        password: &str,
    ) -> Result<SessionCookie, AppError> {
        self.guard_origin(headers)?;
        let username = username.trim();
        self.state
            .sign_in_limits
            .check(&self.state.db, client.0, username)
            .await
            .map_err(internal)?
            .map_err(|retry_after_secs| {
                tracing::warn!(client = ?client.0, "sign-in attempts over the limit");
                AppError::RateLimited { retry_after_secs }
            })?;
        let checked = admins::check(&self.state.db, username, password)
            .await
            .map_err(internal)?;
        let admin = match checked {
            admins::Checked::Admin(admin) => admin,
            failed => {
                // A name that is no administrator's is kept neither here nor in the log: people
                // type their password into the name field, and a flood of made-up names would
                // fill the filter.
                let (actor, detail) = match failed {
                    admins::Checked::WrongPassword => (username, "wrong password"),
                    _ => (UNKNOWN_NAME, "no administrator has the name typed"),
                };
                tracing::warn!(admin = actor, client = ?client.0, "failed sign-in: {detail}");
                self.note(actor, client, AuditAction::SignInFailed, None, detail)
                    .await;
                return Err(AppError::BadCredentials);
            }
        };
        tracing::info!(admin = %admin.username, "signed in");
        self.note(&admin.username, client, AuditAction::SignedIn, None, "")
            .await;
        self.start_session(admin.id).await
    }

    async fn sign_out(
        &self,
        headers: &HeaderMap,
        admin: &AdminView,
    ) -> Result<SessionCookie, AppError> {
        let client = app::backend::client_addr();
        self.note(&admin.username, client, AuditAction::SignedOut, None, "")
            .await;
        if let Some(token) = sessions::token_from_headers(headers) {
            sessions::delete(&self.state.db, &token)
                .await
                .map_err(internal)?;
        }
        Ok(SessionCookie(sessions::cookie(
            None,
            self.state.config.cookies_secure(),
        )))
    }

    async fn sign_out_everywhere(&self, admin: &AdminView) -> Result<SessionCookie, AppError> {
        let ended = sessions::delete_all_of(&self.state.db, admin.id.0)
            .await
            .map_err(internal)?;
        tracing::info!(admin = %admin.username, sessions = ended, "signed out everywhere");
        let detail = format!("{ended} sessions ended");
        let client = app::backend::client_addr();
        self.note(
            &admin.username,
            client,
            AuditAction::SignedOutEverywhere,
            None,
            &detail,
        )
        .await;
        Ok(SessionCookie(sessions::cookie(
            None,
            self.state.config.cookies_secure(),
        )))
    }

    async fn authenticate(&self, headers: &HeaderMap) -> Result<AdminView, AppError> {
        self.guard_origin(headers)?;
        let token = sessions::token_from_headers(headers).ok_or(AppError::Unauthorized)?;
        let admin = sessions::admin_for(&self.state.db, &token, self.state.config.session_idle())
            .await
            .map_err(internal)?;
        admin.map(admin_view).ok_or(AppError::Unauthorized)
    }

    async fn dashboard(&self) -> Result<Dashboard, AppError> {
        let db = &self.state.db;
        let batches = batch::Entity::find()
            .order_by_desc(batch::Column::Id)
            .all(db)
            .await
            .map_err(internal)?;
        // Counted by the database: 20 batches of 5,000 rows are not loaded for a page of counts.
        let counts = crate::batches::counts::per_batch(db)
            .await
            .map_err(internal)?;
        let summaries: Vec<_> = batches
            .iter()
            .map(|b| {
                let counts = counts.get(&b.id).copied().unwrap_or_default();
                batch_view::summary_of(b, counts)
            })
            .collect();
        Ok(Dashboard {
            mailboxes_total: summaries.iter().map(|s| s.mailboxes_total).sum(),
            mailboxes_synced: summaries.iter().map(|s| s.mailboxes_done).sum(),
            mailboxes_failed: summaries.iter().map(|s| s.mailboxes_failed).sum(),
            errors_total: summaries.iter().map(|s| s.errors).sum(),
            batches: summaries,
        })
    }

    async fn endpoints(&self) -> Result<Vec<EndpointView>, AppError> {
        self.list_endpoints().await
    }

    async fn save_endpoint(&self, form: EndpointForm) -> Result<EndpointId, AppError> {
        self.store_endpoint(form).await
    }

    async fn test_endpoint(&self, id: EndpointId) -> Result<EndpointTestResult, AppError> {
        self.run_endpoint_test(id).await
    }

    async fn create_batch(&self, upload: BatchUpload) -> Result<UploadOutcome, AppError> {
        self.create_from_upload(upload).await
    }

    async fn batch(&self, id: BatchId, filter: RowFilter) -> Result<BatchDetail, AppError> {
        self.batch_detail(id, filter).await
    }

    async fn watch_batch(
        &self,
        headers: &HeaderMap,
        watch: BatchWatch,
    ) -> Result<LiveStream, AppError> {
        let token = sessions::token_from_headers(headers).ok_or(AppError::Unauthorized)?;
        let live = self.live(watch).await?;
        Ok(live::while_signed_in(
            live,
            self.state.db.clone(),
            token,
            self.state.config.session_idle(),
        ))
    }

    async fn batch_action(
        &self,
        id: BatchId,
        action: BatchAction,
    ) -> Result<ActionOutcome, AppError> {
        self.act(id, action).await
    }

    async fn preflight(&self, id: BatchId) -> Result<Vec<PreflightRowView>, AppError> {
        self.run_preflight(id).await
    }

    async fn bulk_action(
        &self,
        batch: BatchId,
        target: RowTarget,
        action: BulkAction,
    ) -> Result<BulkOutcome, AppError> {
        self.act_on_rows(batch, target, action).await
    }

    async fn mailbox(&self, id: MailboxId) -> Result<MailboxDetail, AppError> {
        self.mailbox_detail(id).await
    }

    async fn mailbox_action(
        &self,
        id: MailboxId,
        action: MailboxAction,
    ) -> Result<BatchId, AppError> {
        self.act_on_mailbox(id, action).await
    }

    async fn errors(&self, filter: ErrorFilter) -> Result<ErrorPage, AppError> {
        self.error_page(filter).await
    }

    async fn mail_settings(&self) -> Result<MailSettingsView, AppError> {
        self.mail_view().await
    }

    async fn save_mail_settings(
        &self,
        settings: MailSettingsView,
        smtp_password: Option<String>,
    ) -> Result<(), AppError> {
        self.save_mail(settings, smtp_password).await
    }

    async fn send_test_email(&self, to: String) -> Result<(), AppError> {
        self.test_mail(to).await
    }

    async fn admins(&self, me: &AdminView) -> Result<AdminList, AppError> {
        self.list_admins(me).await
    }

    async fn add_admin(
        &self,
        me: &AdminView,
        client: ClientAddr,
        new: NewAdmin,
    ) -> Result<AdminAdded, AppError> {
        self.add(me, client, new).await
    }

    async fn remove_admin(
        &self,
        me: &AdminView,
        client: ClientAddr,
        id: AdminId,
    ) -> Result<(), AppError> {
        self.remove(me, client, id).await
    }

    async fn change_password(
        &self,
        me: &AdminView,
        client: ClientAddr,
        headers: &HeaderMap,
        current: &str,
        new: &str,
    ) -> Result<(), AppError> {
        self.new_password(me, client, headers, current, new).await
    }

    async fn invite_for(&self, token: &str) -> Result<String, AppError> {
        self.invited_name(token).await
    }

    async fn accept_invite(
        &self,
        headers: &HeaderMap,
        client: ClientAddr,
        token: &str,
        password: &str,
    ) -> Result<SessionCookie, AppError> {
        self.accept(headers, client, token, password).await
    }

    async fn audit(&self, filter: AuditFilter) -> Result<AuditPage, AppError> {
        self.audit_page(filter).await
    }

    async fn record(
        &self,
        admin: &AdminView,
        client: ClientAddr,
        action: AuditAction,
        batch: Option<BatchId>,
        detail: String,
    ) {
        self.note(&admin.username, client, action, batch, &detail)
            .await;
    }
}
