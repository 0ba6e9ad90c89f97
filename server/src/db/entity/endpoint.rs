//! A stored source or destination IMAP server; the admin secret is encrypted.

use sea_orm::entity::prelude::*;

use app::model::endpoint::{AuthMechanism, EndpointRole, Impersonation, OAuthKind, Security};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub role: EndpointRole,
    pub host: String,
    pub port: i32,
    pub security: Security,
    pub auth_mechanism: AuthMechanism,
    pub admin_user: Option<String>,
    pub admin_secret: Option<String>,
    pub impersonation: Impersonation,
    pub tls_ca_pem: Option<String>,
    pub insecure_skip_verify: bool,
    pub max_concurrent: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub oauth_kind: OAuthKind,
    pub oauth_client_id: Option<String>,
    pub oauth_tenant: Option<String>,
    pub oauth_token_url: Option<String>,
    pub oauth_authorization_url: Option<String>,
    pub oauth_scope: Option<String>,
    /// Sealed for `endpoint/{id}/oauth_secret`.
    pub oauth_secret: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Whether users sign in here without their own passwords (OAuth 2 tokens, or an admin on
    /// their behalf): a CSV for it may leave the Password column empty.
    pub fn signs_users_in(&self) -> bool {
        self.oauth_kind != OAuthKind::None || self.admin_user.is_some()
    }
}
