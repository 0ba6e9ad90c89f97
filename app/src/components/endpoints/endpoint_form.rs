//! Add or edit an endpoint. The admin password is never sent to the browser: when editing,
//! leaving it empty keeps the stored one.

use leptos::prelude::*;

use super::oauth_fields::OAuthFields;
use crate::api::endpoints::SaveEndpoint;
use crate::components::common::error_notice::failure;
use crate::model::endpoint::{EndpointRole, EndpointView, Impersonation, OAuthView, Security};
use crate::model::provider::ProviderProfile;

/// The form's starting values: the endpoint being edited, or a new one's defaults.
struct Start {
    id: String,
    name: String,
    role: EndpointRole,
    host: String,
    port: String,
    security: Security,
    admin_user: String,
    has_password: bool,
    impersonation: Impersonation,
    max_concurrent: String,
    insecure: bool,
    oauth: OAuthView,
}

impl Start {
    fn of(editing: Option<&EndpointView>) -> Start {
        let Some(e) = editing else {
            return Start {
                id: String::new(),
                name: String::new(),
                role: EndpointRole::Destination,
                host: String::new(),
                port: "993".into(),
                security: Security::Tls,
                admin_user: String::new(),
                has_password: false,
                impersonation: Impersonation::SaslPlain,
                max_concurrent: "4".into(),
                insecure: false,
                oauth: OAuthView::default(),
            };
        };
        Start {
            id: e.id.0.to_string(),
            name: e.name.clone(),
            role: e.role,
            host: e.host.clone(),
            port: e.port.to_string(),
            security: e.security,
            admin_user: e.admin_user.clone().unwrap_or_default(),
            has_password: e.has_admin_password,
            impersonation: e.impersonation,
            max_concurrent: e.max_concurrent.to_string(),
            insecure: e.insecure_skip_verify,
            oauth: e.oauth.clone(),
        }
    }
}

/// Role, host, port and security.
#[component]
fn ServerFields(
    role: EndpointRole,
    host: String,
    port: String,
    security: Security,
) -> impl IntoView {
    view! {
        <fieldset class="inline-choices">
            <legend>"Role"</legend>
            <label>
                <input type="radio" name="role" value="source" checked=role == EndpointRole::Source/>
                " Source (copy from)"
            </label>
            <label>
                <input type="radio" name="role" value="destination"
                    checked=role == EndpointRole::Destination/>
                " Destination (copy to)"
            </label>
        </fieldset>
        <div class="field-row">
            <div class="grow">
                <label for="ep-host">"Host"</label>
                <input id="ep-host" name="host" type="text" required value=host
                    placeholder="imap.example.org" list="provider-hosts"/>
                // The hosted services' addresses to choose from (all take TLS on 993).
                <datalist id="provider-hosts">
                    {ProviderProfile::ALL
                        .iter()
                        .filter_map(|p| p.defaults().host.map(|host| (host, p.label())))
                        .map(|(host, label)| view! { <option value=host>{label}</option> })
                        .collect_view()}
                </datalist>
            </div>
            <div>
                <label for="ep-port">"Port"</label>
                <input id="ep-port" name="port" type="number" min="1" max="65535" required
                    value=port class="short"/>
            </div>
        </div>
        <label for="ep-security">"Security"</label>
        <select id="ep-security" name="security">
            <option value="tls" selected=security == Security::Tls>"TLS (IMAPS, usually 993)"</option>
            <option value="starttls" selected=security == Security::Starttls>
                "STARTTLS (usually 143)"
            </option>
            <option value="none" selected=security == Security::None>
                "None (trusted networks only)"
            </option>
        </select>
    }
}

/// The admin who signs in on the users' behalf, and how.
#[component]
fn AdminFields(
    admin_user: String,
    has_password: bool,
    impersonation: Impersonation,
) -> impl IntoView {
    view! {
        <input type="hidden" name="auth_mechanism" value="login"/>
        <label for="ep-admin">"Admin user"</label>
        <input id="ep-admin" name="admin_user" type="text" value=admin_user autocomplete="off"
            aria-describedby="ep-admin-help"/>
        <p id="ep-admin-help" class="help">
            "Needed on the destination: the admin (or Dovecot master user) who signs in on each user's behalf. "
            "Leave empty on a source whose users sign in with the CSV's passwords."
        </p>
        <label for="ep-password">"Admin password"</label>
        <input id="ep-password" name="admin_password" type="password" autocomplete="new-password"
            placeholder=if has_password { "stored; leave empty to keep" } else { "" }/>
        <label for="ep-impersonation">"Sign in on a user's behalf with"</label>
        <select id="ep-impersonation" name="impersonation">
            <option value="sasl-plain" selected=impersonation == Impersonation::SaslPlain>
                "SASL PLAIN with the user as authorization identity"
            </option>
            <option value="master-separator"
                selected=impersonation == Impersonation::MasterSeparator>
                "Dovecot master user (user*admin)"
            </option>
        </select>
    }
}

/// Concurrency and certificate settings.
#[component]
fn LimitAndTlsFields(max_concurrent: String, insecure: bool) -> impl IntoView {
    view! {
        <label for="ep-max">"Mailboxes at once"</label>
        <input id="ep-max" name="max_concurrent" type="number" min="1" max="256"
            value=max_concurrent class="short"/>
        <label for="ep-ca">"Extra CA certificate (PEM, optional; when editing, empty keeps the stored one)"</label>
        <textarea id="ep-ca" name="tls_ca_pem" rows="3"
            placeholder="-----BEGIN CERTIFICATE-----"></textarea>
        <label class="checkbox">
            <input type="checkbox" name="insecure_skip_verify" checked=insecure/>
            " Do not verify the server's certificate (not recommended)"
        </label>
    }
}

#[component]
pub fn EndpointFormPanel(
    save: ServerAction<SaveEndpoint>,
    editing: Option<EndpointView>,
    on_cancel: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let is_edit = editing.is_some();
    let start = Start::of(editing.as_ref());
    view! {
        <h2 id="endpoint-form-title">{if is_edit { "Edit endpoint" } else { "Add an endpoint" }}</h2>
        <ActionForm action=save attr:class="stack card" attr:data-testid="endpoint-form">
            <input type="hidden" name="id" value=start.id/>
            <label for="ep-name">"Name"</label>
            <input id="ep-name" name="name" type="text" required value=start.name
                placeholder="e.g. Old mail server"/>
            <ServerFields role=start.role host=start.host port=start.port security=start.security/>
            <AdminFields admin_user=start.admin_user has_password=start.has_password
                impersonation=start.impersonation/>
            <OAuthFields oauth=start.oauth/>
            <LimitAndTlsFields max_concurrent=start.max_concurrent insecure=start.insecure/>
            {move || failure(save.value().get())}
            <div class="button-row">
                <button type="submit" class="button primary" data-testid="save-endpoint">
                    {if is_edit { "Save changes" } else { "Add endpoint" }}
                </button>
                {is_edit
                    .then(|| {
                        view! {
                            <button type="button" class="button link" on:click=move |_| on_cancel()>
                                "Cancel"
                            </button>
                        }
                    })}
            </div>
        </ActionForm>
    }
}
