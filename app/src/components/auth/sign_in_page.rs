//! Sign in; works as a plain HTML form before (or without) WASM.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::credentials_form::{CredentialsFields, form_error_text};
use crate::api::auth::{SignIn, get_setup_state};
use crate::model::admin::SetupState;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let setup = Resource::new(|| (), |_| get_setup_state());
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
                <h1>"Sign in to Mailferry"</h1>
                <Suspense>
                    {move || {
                        setup
                            .get()
                            .and_then(|s| s.ok())
                            .filter(|s| *s == SetupState::NeedsFirstAdmin)
                            .map(|_| {
                                view! {
                                    <p class="notice">
                                        "No administrator exists yet. "
                                        <a href="/setup">"Create the first administrator"</a>
                                    </p>
                                }
                            })
                    }}
                </Suspense>
                {move || error().map(|text| view! { <p class="error" role="alert">{text}</p> })}
                <ActionForm action=action attr:class="stack">
                    <CredentialsFields password_autocomplete="current-password"/>
                    <button type="submit" class="button primary">"Sign in"</button>
                </ActionForm>
            </section>
        </main>
    }
}
