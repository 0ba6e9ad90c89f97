//! The landing page for a signed-in admin.

use leptos::prelude::*;

use super::batch_table::BatchTable;
use crate::api::dashboard::get_dashboard;
use crate::components::layout::{header::Header, require_admin::RequireAdmin};

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <RequireAdmin children=|admin| {
            let dashboard = Resource::new(|| (), |_| get_dashboard());
            view! {
                <Header admin=admin/>
                <main class="page" data-testid="dashboard">
                    <h1>"Migration batches"</h1>
                    <Suspense fallback=|| view! { <p class="loading">"Loading batches…"</p> }>
                        {move || {
                            dashboard
                                .get()
                                .map(|result| match result {
                                    Ok(data) => view! { <BatchTable dashboard=data/> }.into_any(),
                                    Err(error) => {
                                        view! { <p class="error" role="alert">{error.to_string()}</p> }
                                            .into_any()
                                    }
                                })
                        }}
                    </Suspense>
                </main>
            }
        }/>
    }
}
