//! Administrators and the audit trail, as the server functions see them.

use http::HeaderMap;

use app::api::AppError;
use app::backend::{ClientAddr, SessionCookie};
use app::ids::{AdminId, BatchId};
use app::model::admin::{AdminAdded, AdminList, AdminRow, AdminView, InviteRow, NewAdmin};
use app::model::audit::{AuditAction, AuditFilter, AuditPage};

use super::{WebBackend, internal};
use crate::audit::{self, Actor};
use crate::auth::team::TeamError;
use crate::auth::{invites, sessions, team};

fn team_error(error: TeamError) -> AppError {
    match error {
        TeamError::BadUsername | TeamError::Taken(_) => {
            AppError::invalid("User name", error.to_string())
        }
        TeamError::WeakPassword(_) => AppError::invalid("Password", error.to_string()),
        TeamError::WrongPassword => AppError::invalid("Current password", error.to_string()),
        TeamError::LastAdmin | TeamError::Yourself => AppError::Conflict(error.to_string()),
        TeamError::NotFound => AppError::NotFound,
        TeamError::Db(e) => internal(e),
        TeamError::Hash(e) => {
            tracing::error!(error = %e, "a password hash failed");
            AppError::Internal
        }
    }
}

impl WebBackend {
    pub(super) async fn note(
        &self,
        admin: &str,
        client: ClientAddr,
        action: AuditAction,
        batch: Option<BatchId>,
        detail: &str,
    ) {
        let batch = batch.map(|b| b.0);
        let actor = Actor::Admin(admin);
        audit::record(&self.state.db, actor, client.0, action, batch, detail).await;
    }

    pub(super) async fn list_admins(&self, me: &AdminView) -> Result<AdminList, AppError> {
        let db = &self.state.db;
        let admins = team::list(db).await.map_err(internal)?;
        let invites = invites::waiting(db).await.map_err(internal)?;
        Ok(AdminList {
            admins: admins
                .into_iter()
                .map(|a| AdminRow {
                    is_you: a.id == me.id.0,
                    id: AdminId(a.id),
                    username: a.username,
                    created_at: a.created_at,
                })
                .collect(),
            invites: invites
                .into_iter()
                .map(|i| InviteRow {
                    username: i.username,
                    invited_by: i.invited_by,
                    expires_at: i.expires_at,
                })
                .collect(),
        })
    }

    pub(super) async fn add(
        &self,
        me: &AdminView,
        client: ClientAddr,
        new: NewAdmin,
    ) -> Result<AdminAdded, AppError> {
        let db = &self.state.db;
        match new {
            NewAdmin::WithPassword { username, password } => {
                team::add(db, &username, &password)
                    .await
                    .map_err(team_error)?;
                let detail = format!("{username} (with a password)");
                self.note(&me.username, client, AuditAction::AdminAdded, None, &detail)
                    .await;
                Ok(AdminAdded { invite_path: None })
            }
            NewAdmin::Invite { username } => {
                let path = invites::invite(db, &username, &me.username)
                    .await
                    .map_err(team_error)?;
                let detail = format!("{username} (a link valid for 48 hours)");
                self.note(
                    &me.username,
                    client,
                    AuditAction::AdminInvited,
                    None,
                    &detail,
                )
                .await;
                Ok(AdminAdded {
                    invite_path: Some(path),
                })
            }
        }
    }

    pub(super) async fn remove(
        &self,
        me: &AdminView,
        client: ClientAddr,
        id: AdminId,
    ) -> Result<(), AppError> {
        let removed = team::remove(&self.state.db, me.id.0, id.0)
            .await
            .map_err(team_error)?;
        self.note(
            &me.username,
            client,
            AuditAction::AdminRemoved,
            None,
            &removed,
        )
        .await;
        Ok(())
    }

    pub(super) async fn new_password(
        &self,
        me: &AdminView,
        client: ClientAddr,
        headers: &HeaderMap,
        current: &str,
        new: &str,
    ) -> Result<(), AppError> {
        let token = sessions::token_from_headers(headers).ok_or(AppError::Unauthorized)?;
        team::change_password(&self.state.db, me.id.0, current, new, &token)
            .await
            .map_err(team_error)?;
        let detail = "other sessions ended";
        self.note(
            &me.username,
            client,
            AuditAction::PasswordChanged,
            None,
            detail,
        )
        .await;
        Ok(())
    }

    pub(super) async fn invited_name(&self, token: &str) -> Result<String, AppError> {
        let invite = invites::find(&self.state.db, token)
            .await
            .map_err(internal)?;
        invite.map(|i| i.username).ok_or(AppError::NotFound)
    }

    pub(super) async fn accept(
        &self,
        headers: &HeaderMap,
        client: ClientAddr,
        token: &str,
        password: &str,
    ) -> Result<SessionCookie, AppError> {
        self.guard_origin(headers)?;
        let admin = invites::accept(&self.state.db, token, password)
            .await
            .map_err(team_error)?;
        let detail = "set a password from an invitation link";
        self.note(
            &admin.username,
            client,
            AuditAction::InviteAccepted,
            None,
            detail,
        )
        .await;
        self.start_session(admin.id).await
    }

    pub(super) async fn audit_page(&self, filter: AuditFilter) -> Result<AuditPage, AppError> {
        audit::query::page(&self.state.db, &filter)
            .await
            .map_err(internal)
    }
}
