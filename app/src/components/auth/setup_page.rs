//! The one-time first-run page that creates the first administrator.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::credentials_form::{CredentialsFields, form_error_text};
use crate::api::auth::CreateFirstAdmin;

#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<CreateFirstAdmin>::new();
    let query = use_query_map();
    let error = move || {
        let action_error = action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string());
        form_error_text(action_error, query.read().get("error"))
    };
    view! {
        <main class="auth-page">
            <section class="card auth-card">
                <h1>"Set up Mailferry"</h1>
                <p>
                    "Create the first administrator. This page closes for good once an administrator exists."
                </p>
                {move || error().map(|text| view! { <p class="error" role="alert">{text}</p> })}
                <ActionForm action=action attr:class="stack">
                    <label for="setup_code">"Set-up code"</label>
                    <input id="setup_code" name="setup_code" type="text" autocomplete="off"
                        required placeholder="XXXX-XXXX-XXXX"/>
                    <p class="hint">
                        "The server printed it in its log at start (\"enter the set-up code …\")."
                    </p>
                    <CredentialsFields password_autocomplete="new-password"/>
                    <p class="hint">"At least 12 characters."</p>
                    <button type="submit" class="button primary">"Create administrator"</button>
                </ActionForm>
            </section>
        </main>
    }
}
