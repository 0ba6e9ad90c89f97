//! Mail settings: the SMTP server of the status e-mails, who receives them, and a test e-mail.

use leptos::prelude::*;

use crate::api::settings::{SaveMailSettings, SendTestEmail, get_mail_settings};
use crate::components::common::error_notice::{ErrorNotice, failure};
use crate::components::layout::page::AdminPage;
use crate::model::settings::{MailSettingsView, SmtpSecurity};

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <AdminPage testid="settings">
            {
                let save = ServerAction::<SaveMailSettings>::new();
                let test = ServerAction::<SendTestEmail>::new();
                let settings = Resource::new(move || save.version().get(), |_| get_mail_settings());
                view! {
                    <h1>"Settings"</h1>
                    <div class="two-columns">
                        <section aria-labelledby="smtp-title">
                            <h2 id="smtp-title">"Status e-mails"</h2>
                            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                                {move || {
                                    settings
                                        .get()
                                        .map(|result| match result {
                                            Ok(current) => view! { <MailForm save current/> }.into_any(),
                                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                                        })
                                }}
                            </Suspense>
                        </section>
                        <section aria-labelledby="test-title" class="card stack">
                            <h2 id="test-title">"Send a test e-mail"</h2>
                            <ActionForm action=test attr:class="stack">
                                <label for="test-to">"Send to"</label>
                                <input id="test-to" name="to" type="email" required/>
                                <button type="submit" class="button secondary" data-testid="send-test-email">
                                    {move || if test.pending().get() { "Sending…" } else { "Send test e-mail" }}
                                </button>
                            </ActionForm>
                            {move || failure(test.value().get())}
                            {move || {
                                matches!(test.value().get(), Some(Ok(())))
                                    .then(|| view! { <p class="notice ok" role="status">"✓ Sent."</p> })
                            }}
                        </section>
                    </div>
                }
            }
        </AdminPage>
    }
}

#[component]
fn MailForm(save: ServerAction<SaveMailSettings>, current: MailSettingsView) -> impl IntoView {
    let port = match current.smtp_port {
        0 => String::new(),
        port => port.to_string(),
    };
    let security = current.smtp_security;
    view! {
        <ActionForm action=save attr:class="stack card" attr:data-testid="mail-settings-form">
            {(!current.saved_in_app)
                .then(|| {
                    view! {
                        <p class="muted small">
                            "Shown from the configuration file; saving here takes precedence over it."
                        </p>
                    }
                })}
            <div class="field-row">
                <div class="grow">
                    <label for="smtp-host">"SMTP server"</label>
                    <input id="smtp-host" name="smtp_host" type="text" value=current.smtp_host
                        placeholder="smtp.example.org"/>
                </div>
                <div>
                    <label for="smtp-port">"Port"</label>
                    <input id="smtp-port" name="smtp_port" type="number" min="1" max="65535"
                        value=port class="short" placeholder="587"/>
                </div>
            </div>
            <label for="smtp-security">"Security"</label>
            <select id="smtp-security" name="smtp_security">
                <option value="starttls" selected=security == SmtpSecurity::Starttls>"STARTTLS"</option>
                <option value="tls" selected=security == SmtpSecurity::Tls>"TLS"</option>
                <option value="none" selected=security == SmtpSecurity::None>
                    "None (trusted relays only)"
                </option>
            </select>
            <label for="smtp-user">"User name"</label>
            <input id="smtp-user" name="smtp_username" type="text" value=current.smtp_username
                autocomplete="off"/>
            <label for="smtp-password">"Password"</label>
            <input id="smtp-password" name="smtp_password" type="password" autocomplete="new-password"
                placeholder=if current.smtp_has_password { "stored; leave empty to keep" } else { "" }/>
            <label for="smtp-from">"From"</label>
            <input id="smtp-from" name="from" type="email" value=current.from
                placeholder="mailferry@example.org"/>
            <label for="notify">"Default recipients of status e-mails"</label>
            <input id="notify" name="notify_emails" type="text" value=current.notify_emails.join(", ")
                placeholder="you@example.org, helpdesk@example.org"/>
            {move || failure(save.value().get())}
            {move || {
                matches!(save.value().get(), Some(Ok(())))
                    .then(|| view! { <p class="notice ok" role="status">"✓ Saved."</p> })
            }}
            <button type="submit" class="button primary" data-testid="save-mail-settings">"Save"</button>
        </ActionForm>
    }
}
