//! The frame of every signed-in page: the sign-in check, the top bar and the main area.

use leptos::prelude::*;

use super::{header::Header, require_admin::RequireAdmin};

#[component]
pub fn AdminPage(
    /// `data-testid` of the main area, for the browser tests.
    testid: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    view! {
        <RequireAdmin children=move |admin| {
            let children = children.clone();
            view! {
                <Header admin=admin/>
                <main class="page" data-testid=testid>{children()}</main>
            }
        }/>
    }
}
