//! The user name + password fields both auth pages use.

use leptos::prelude::*;

#[component]
pub fn CredentialsFields(#[prop(into)] password_autocomplete: String) -> impl IntoView {
    view! {
        <label for="username">"User name"</label>
        <input id="username" name="username" type="text" autocomplete="username" required/>
        <label for="password">"Password"</label>
        <input
            id="password"
            name="password"
            type="password"
            autocomplete=password_autocomplete
            required
        />
    }
}

/// The error shown above a form: the action's own result (with JavaScript) or the `error`
/// query parameter the server redirected to (without).
pub fn form_error_text(
    action_error: Option<String>,
    query_error: Option<String>,
) -> Option<String> {
    action_error.or_else(|| {
        query_error.map(|code| match code.as_str() {
            "rate_limited" => "Too many attempts; wait a minute and try again.".to_string(),
            "invalid" => "That user name or password cannot be used.".to_string(),
            _ => "Wrong user name or password.".to_string(),
        })
    })
}
