//! The endpoint form's OAuth 2 part: which provider issues the users' tokens, and its client.
//! The secret (a service account key or a client secret) is never sent back to the browser.

use leptos::prelude::*;

use crate::model::endpoint::{OAuthKind, OAuthView};

#[component]
pub fn OAuthFields(oauth: OAuthView) -> impl IntoView {
    let kind = oauth.kind;
    let placeholder = if oauth.has_secret {
        "stored; leave empty to keep"
    } else {
        "Google: the service account's JSON key. Microsoft: the client secret, or the certificate and its private key (PEM). Personal: the client secret, if any."
    };
    view! {
        <fieldset class="stack" data-testid="oauth-fields">
            <legend>"OAuth 2 (users sign in without passwords)"</legend>
            <label for="ep-oauth-kind">"Tokens from"</label>
            <select id="ep-oauth-kind" name="oauth_kind">
                <option value="none" selected=kind == OAuthKind::None>
                    "None: the CSV's passwords, or the admin above"
                </option>
                <option value="google" selected=kind == OAuthKind::Google>
                    "Google Workspace: service account with domain-wide delegation"
                </option>
                <option value="microsoft" selected=kind == OAuthKind::Microsoft>
                    "Microsoft 365: app with IMAP.AccessAsApp (client credentials)"
                </option>
                <option value="personal" selected=kind == OAuthKind::Personal>
                    "Personal accounts: each user consents through a link (PKCE)"
                </option>
            </select>
            <div class="field-row">
                <div class="grow">
                    <label for="ep-oauth-tenant">"Tenant (Microsoft)"</label>
                    <input id="ep-oauth-tenant" name="oauth_tenant" type="text" autocomplete="off"
                        value=oauth.tenant.unwrap_or_default() placeholder="contoso.onmicrosoft.com"/>
                </div>
                <div class="grow">
                    <label for="ep-oauth-client">"Client id (Microsoft, personal)"</label>
                    <input id="ep-oauth-client" name="oauth_client_id" type="text"
                        autocomplete="off" value=oauth.client_id.unwrap_or_default()/>
                </div>
            </div>
            <label for="ep-oauth-secret">"Service account key, client secret or certificate"</label>
            <textarea id="ep-oauth-secret" name="oauth_secret" rows="3" autocomplete="off"
                placeholder=placeholder></textarea>
            <label for="ep-oauth-url">"Token URL (personal; else optional: sovereign clouds)"</label>
            <input id="ep-oauth-url" name="oauth_token_url" type="url" autocomplete="off"
                value=oauth.token_url.unwrap_or_default()
                placeholder="the provider's own when empty"/>
            <label for="ep-oauth-auth-url">"Authorization URL (personal)"</label>
            <input id="ep-oauth-auth-url" name="oauth_authorization_url" type="url"
                autocomplete="off" value=oauth.authorization_url.unwrap_or_default()
                placeholder="https://accounts.google.com/o/oauth2/v2/auth"/>
            <label for="ep-oauth-scope">"Scope (personal)"</label>
            <input id="ep-oauth-scope" name="oauth_scope" type="text" autocomplete="off"
                value=oauth.scope.unwrap_or_default() placeholder="https://mail.google.com/"/>
        </fieldset>
    }
}
