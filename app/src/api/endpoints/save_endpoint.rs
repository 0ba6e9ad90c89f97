// The form posts its fields flat, as a plain HTML form does: one argument per field.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::EndpointId;

/// Creates or (with `id`) edits an endpoint. The fields arrive as a plain form sends them and
/// are checked by `EndpointFields::check`; an empty admin password keeps the stored one.
#[server(endpoint = "endpoints/save")]
pub async fn save_endpoint(
    id: String,
    name: String,
    role: String,
    host: String,
    port: String,
    security: String,
    auth_mechanism: String,
    impersonation: String,
    admin_user: String,
    admin_password: String,
    tls_ca_pem: String,
    insecure_skip_verify: Option<String>,
    max_concurrent: String,
    oauth_kind: Option<String>,
    oauth_client_id: Option<String>,
    oauth_tenant: Option<String>,
    oauth_token_url: Option<String>,
    oauth_authorization_url: Option<String>,
    oauth_scope: Option<String>,
    oauth_secret: Option<String>,
) -> Result<EndpointId, AppError> {
    let (backend, admin) = crate::backend::require_admin().await?;
    let form = crate::model::endpoint_form::EndpointFields {
        id,
        name,
        role,
        host,
        port,
        security,
        auth_mechanism,
        impersonation,
        admin_user,
        admin_password,
        tls_ca_pem,
        insecure_skip_verify,
        max_concurrent,
        oauth_kind,
        oauth_client_id,
        oauth_tenant,
        oauth_token_url,
        oauth_authorization_url,
        oauth_scope,
        oauth_secret,
    }
    .check()?;
    let detail = format!(
        "{} ({}:{}){}{}",
        form.name,
        form.host,
        form.port,
        if form.admin_password.is_empty() {
            ""
        } else {
            ", admin password typed"
        },
        if form.oauth.secret.is_empty() {
            ""
        } else {
            ", OAuth 2 secret typed"
        }
    );
    let id = backend.save_endpoint(form).await?;
    use crate::model::audit::AuditAction;
    let detail = format!("endpoint {id}: {detail}");
    crate::backend::record(&backend, &admin, AuditAction::EndpointSaved, None, detail).await;
    Ok(id)
}
