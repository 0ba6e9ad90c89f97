//! The top bar: product name, navigation, the signed-in admin, sign-out here or everywhere.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::auth::{SignOut, SignOutEverywhere};
use crate::model::admin::AdminView;

#[component]
pub fn Header(admin: AdminView) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Mailferry"</a>
            <nav class="topnav" aria-label="Main">
                <A href="/" exact=true>"Batches"</A>
                <A href="/batches/new">"New batch"</A>
                <A href="/errors">"Error report"</A>
                <A href="/endpoints">"Endpoints"</A>
                <A href="/settings">"Settings"</A>
                <A href="/admins">"Admins"</A>
                <A href="/audit">"Audit"</A>
            </nav>
            <div class="whoami">
                <span class="admin-name" data-testid="admin-name">{admin.username}</span>
                <ActionForm action=sign_out>
                    <button type="submit" class="button secondary">"Sign out"</button>
                </ActionForm>
                <ActionForm action=everywhere>
                    <button type="submit" class="button secondary" data-testid="sign-out-everywhere"
                        title="End your sessions in every browser">"Sign out everywhere"</button>
                </ActionForm>
            </div>
        </header>
    }
}
