//! State badges: colour plus a symbol and the word, so the state reads without colour too.

use leptos::prelude::*;

use crate::model::batch::{BatchState, MailboxState};

fn symbol(state: &str) -> &'static str {
    match state {
        "Synced" | "Completed" => "✓",
        "Failed" => "✕",
        "CompletedWithErrors" | "SyncedWithErrors" => "!",
        "Syncing" | "Completing" => "↻",
        "Stopping" | "Stopped" => "■",
        _ => "•",
    }
}

fn label(state: &str) -> &'static str {
    match state {
        "CompletedWithErrors" => "Completed with errors",
        "SyncedWithErrors" => "Synced with errors",
        "Completing" => "Completing",
        "Created" => "Ready to start",
        "Queued" => "Queued",
        "Syncing" => "Syncing",
        "Synced" => "Synced",
        "Failed" => "Failed",
        "Stopping" => "Stopping",
        "Stopped" => "Stopped",
        "Completed" => "Completed",
        _ => "Unknown",
    }
}

#[component]
fn Badge(code: &'static str) -> impl IntoView {
    view! {
        <span class=format!("badge state-{}", code.to_lowercase()) data-state=code>
            <span aria-hidden="true">{symbol(code)}" "</span>
            {label(code)}
        </span>
    }
}

#[component]
pub fn BatchStateBadge(state: BatchState) -> impl IntoView {
    view! { <Badge code=state.as_str()/> }
}

#[component]
pub fn MailboxStateBadge(state: MailboxState) -> impl IntoView {
    view! { <Badge code=state.as_str()/> }
}
