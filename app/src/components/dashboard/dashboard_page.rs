//! The landing page for a signed-in admin.

use leptos::prelude::*;

use super::batch_table::BatchTable;
use crate::api::dashboard::get_dashboard;
use crate::components::common::error_notice::ErrorNotice;
use crate::components::layout::page::AdminPage;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <AdminPage testid="dashboard">
            {
                let dashboard = Resource::new(|| (), |_| get_dashboard());
                view! {
                    <div class="page-head">
                        <h1>"Migration batches"</h1>
                        <a class="button primary" href="/batches/new">"New batch"</a>
                    </div>
                    <Suspense fallback=|| view! { <p class="loading">"Loading batches…"</p> }>
                        {move || {
                            dashboard
                                .get()
                                .map(|result| match result {
                                    Ok(data) => view! { <BatchTable dashboard=data/> }.into_any(),
                                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                                })
                        }}
                    </Suspense>
                }
            }
        </AdminPage>
    }
}
