//! The page an invitation link opens: the new administrator sets a password and is signed in.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::admins::{AcceptInvite, invite_info};
use crate::components::common::error_notice::failure;

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let name = Resource::new(token, invite_info);
    let accept = ServerAction::<AcceptInvite>::new();
    view! {
        <main class="auth-page" data-testid="invite">
            <section class="card auth-card">
                <h1>"Join Mailferry"</h1>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || name.get().map(|found| match found {
                        Err(_) => view! {
                            <p class="error" role="alert">
                                "This invitation link is not valid: it was used, it expired (after 48 hours), or it is mistyped. Ask an administrator for a new one."
                            </p>
                        }.into_any(),
                        Ok(username) => view! {
                            <p>"Set a password for "<strong data-testid="invited-name">{username}</strong>"."</p>
                            <ActionForm action=accept attr:class="stack">
                                <input type="hidden" name="token" value=token()/>
                                <label for="password">"Password (at least 12 characters)"</label>
                                <input id="password" name="password" type="password" required autocomplete="new-password"/>
                                <label for="again">"Password again"</label>
                                <input id="again" name="again" type="password" required autocomplete="new-password"/>
                                {move || failure(accept.value().get())}
                                <button type="submit" class="button primary" data-testid="accept-invite">"Set password and sign in"</button>
                            </ActionForm>
                        }.into_any(),
                    })}
                </Suspense>
            </section>
        </main>
    }
}
