//! Writing one audit event.

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use app::model::audit::AuditAction;

use crate::db::entity::audit_event;

/// Who did it: an administrator by name, or someone at the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor<'a> {
    Admin(&'a str),
    CommandLine,
}

impl Actor<'_> {
    pub const COMMAND_LINE: &'static str = "command line";

    fn name(&self) -> &str {
        match self {
            Actor::Admin(name) => name,
            Actor::CommandLine => Self::COMMAND_LINE,
        }
    }
}

/// Records `action`; logs (and swallows) a failure to write: the action itself happened.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Actor<'_>,
    client: Option<IpAddr>,
    action: AuditAction,
    batch: Option<i64>,
    detail: &str,
) {
    // A detail is the admin's own words at most (names, addresses, ids): cut to a sane length.
    let detail: String = detail.chars().take(500).collect();
    let event = audit_event::ActiveModel {
        at: Set(Utc::now()),
        actor: Set(actor.name().chars().take(128).collect()),
        action: Set(action.as_str().to_string()),
        detail: Set(detail),
        client_addr: Set(client.map(|ip| ip.to_string())),
        batch_id: Set(batch),
        ..Default::default()
    };
    if let Err(error) = event.insert(db).await {
        tracing::error!(%error, action = action.as_str(), "the audit trail could not be written");
    }
}
