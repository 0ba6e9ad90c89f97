//! Administrators: who they are, adding one (a password, or an invitation link shown once),
//! removing one (never the last, never oneself), and one's own password.

use leptos::prelude::*;

use crate::api::admins::{AddAdmin, ChangePassword, RemoveAdmin, list_admins};
use crate::components::common::error_notice::{ErrorNotice, failure};
use crate::components::common::format::time;
use crate::components::layout::page::AdminPage;
use crate::model::admin::AdminList;

#[component]
pub fn AdminsPage() -> impl IntoView {
    view! {
        <AdminPage testid="admins">
            {
                let add = ServerAction::<AddAdmin>::new();
                let remove = ServerAction::<RemoveAdmin>::new();
                let list = Resource::new(
                    move || (add.version().get(), remove.version().get()),
                    |_| list_admins(),
                );
                view! {
                    <h1>"Administrators"</h1>
                    <div class="two-columns">
                        <section aria-labelledby="admins-title">
                            <h2 id="admins-title">"Who can sign in"</h2>
                            {move || failure(remove.value().get())}
                            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                                {move || list.get().map(|result| match result {
                                    Ok(list) => view! { <AdminTable list remove/> }.into_any(),
                                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                                })}
                            </Suspense>
                        </section>
                        <div class="stack">
                            <AddForm add/>
                            <PasswordForm/>
                        </div>
                    </div>
                }
            }
        </AdminPage>
    }
}

#[component]
fn AdminTable(list: AdminList, remove: ServerAction<RemoveAdmin>) -> impl IntoView {
    let last = list.admins.len() <= 1;
    view! {
        <table class="table" data-testid="admin-list">
            <thead><tr><th>"Name"</th><th>"Since"</th><th></th></tr></thead>
            <tbody>
                {list.admins.into_iter().map(|a| {
                    let removable = !a.is_you && !last;
                    view! {
                        <tr data-testid="admin-row" data-admin=a.username.clone()>
                            <td>{a.username.clone()}{a.is_you.then_some(" (you)")}</td>
                            <td>{time(Some(a.created_at))}</td>
                            <td>
                                {removable.then(|| view! {
                                    <ActionForm action=remove>
                                        <input type="hidden" name="id" value=a.id.0/>
                                        <button type="submit" class="button secondary small"
                                            data-testid="remove-admin">"Remove"</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
                {list.invites.into_iter().map(|i| view! {
                    <tr data-testid="invite-row">
                        <td>{i.username}" (invited by "{i.invited_by}")"</td>
                        <td colspan="2" class="muted">"link valid until "{time(Some(i.expires_at))}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn AddForm(add: ServerAction<AddAdmin>) -> impl IntoView {
    let link = move || {
        add.value()
            .get()
            .and_then(|r| r.ok())
            .and_then(|added| added.invite_path)
    };
    view! {
        <section aria-labelledby="add-title" class="card stack">
            <h2 id="add-title">"Add an administrator"</h2>
            <ActionForm action=add attr:class="stack" attr:data-testid="add-admin-form">
                <label for="new-name">"User name"</label>
                <input id="new-name" name="username" type="text" required autocomplete="off"/>
                <label for="new-password">"Password (at least 12 characters)"</label>
                <input id="new-password" name="password" type="password" autocomplete="new-password"/>
                <label class="check">
                    <input type="checkbox" name="invite" value="1" data-testid="invite-instead"/>
                    " Send an invitation link instead: they set their own password (valid 48 hours, once)"
                </label>
                {move || failure(add.value().get())}
                <button type="submit" class="button primary" data-testid="add-admin">"Add"</button>
            </ActionForm>
            {move || link().map(|path| view! {
                <p class="notice ok" role="status">
                    "Send this link to the new administrator (shown only now): "
                    <a href=path.clone() class="invite-link" data-testid="invite-link">{absolute(&path)}</a>
                </p>
            })}
            {move || matches!(add.value().get(), Some(Ok(ref a)) if a.invite_path.is_none())
                .then(|| view! { <p class="notice ok" role="status">"✓ Added."</p> })}
        </section>
    }
}

/// The link as the admin will send it: with this page's origin (in the browser).
fn absolute(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Ok(origin) = leptos::prelude::window().location().origin() {
        return format!("{origin}{path}");
    }
    path.to_string()
}

#[component]
fn PasswordForm() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    view! {
        <section aria-labelledby="password-title" class="card stack">
            <h2 id="password-title">"Your password"</h2>
            <ActionForm action=change attr:class="stack" attr:data-testid="password-form">
                <label for="current">"Current password"</label>
                <input id="current" name="current" type="password" required autocomplete="current-password"/>
                <label for="new">"New password"</label>
                <input id="new" name="new" type="password" required autocomplete="new-password"/>
                <label for="again">"New password again"</label>
                <input id="again" name="again" type="password" required autocomplete="new-password"/>
                {move || failure(change.value().get())}
                {move || matches!(change.value().get(), Some(Ok(())))
                    .then(|| view! { <p class="notice ok" role="status">"✓ Changed; your other sessions ended."</p> })}
                <button type="submit" class="button secondary" data-testid="change-password">"Change password"</button>
            </ActionForm>
        </section>
    }
}
