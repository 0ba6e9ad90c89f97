//! Wraps a page that needs a signed-in admin; strangers are redirected to the sign-in page.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::api::auth::current_admin;
use crate::model::admin::AdminView;

#[component]
pub fn RequireAdmin<F, V>(children: F) -> impl IntoView
where
    F: Fn(AdminView) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    // Blocking, so the server can answer a stranger with a redirect before any HTML is sent.
    let admin = Resource::new_blocking(|| (), |_| current_admin());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                admin
                    .get()
                    .map(|result| match result {
                        Ok(Some(admin)) => children(admin).into_any(),
                        Ok(None) => view! { <Redirect path="/sign-in"/> }.into_any(),
                        Err(error) => {
                            view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()
                        }
                    })
            }}
        </Suspense>
    }
}
