//! Lists the endpoints and holds the add/edit form.

use leptos::prelude::*;

use super::{endpoint_card::EndpointCard, endpoint_form::EndpointFormPanel};
use crate::api::endpoints::{SaveEndpoint, list_endpoints};
use crate::components::common::error_notice::ErrorNotice;
use crate::components::layout::page::AdminPage;
use crate::model::endpoint::EndpointView;

#[component]
pub fn EndpointsPage() -> impl IntoView {
    view! {
        <AdminPage testid="endpoints">
            {
                let save = ServerAction::<SaveEndpoint>::new();
                let endpoints = Resource::new(move || save.version().get(), |_| list_endpoints());
                // The endpoint being edited; `None` = the form adds a new one.
                let editing = RwSignal::new(None::<EndpointView>);
                // A saved endpoint empties the form (drawn anew); a refused one keeps the input.
                let saved = RwSignal::new(0u32);
                Effect::new(move |_| {
                    if matches!(save.value().get(), Some(Ok(_))) {
                        editing.set(None);
                        saved.update(|n| *n += 1);
                    }
                });
                view! {
                    <h1>"Endpoints"</h1>
                    <p class="lead">
                        "The source server where the mailboxes are now, and the destination server that receives them. "
                        "Mailferry signs in on the destination as an admin on each user's behalf."
                    </p>
                    <div class="two-columns">
                        <section aria-labelledby="endpoint-list-title">
                            <h2 id="endpoint-list-title">"Servers"</h2>
                            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                                {move || {
                                    endpoints
                                        .get()
                                        .map(|result| match result {
                                            Ok(list) if list.is_empty() => {
                                                view! {
                                                    <p class="empty" data-testid="no-endpoints">
                                                        "No endpoints yet: add the source and the destination server."
                                                    </p>
                                                }
                                                    .into_any()
                                            }
                                            Ok(list) => {
                                                list.into_iter()
                                                    .map(|endpoint| {
                                                        view! {
                                                            <EndpointCard
                                                                endpoint=endpoint
                                                                on_edit=move |e| editing.set(Some(e))
                                                            />
                                                        }
                                                    })
                                                    .collect_view()
                                                    .into_any()
                                            }
                                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                                        })
                                }}
                            </Suspense>
                        </section>
                        <section aria-labelledby="endpoint-form-title">
                            {move || {
                                saved.track();
                                let current = editing.get();
                                view! { <EndpointFormPanel save=save editing=current on_cancel=move || editing.set(None)/> }
                            }}
                        </section>
                    </div>
                }
            }
        </AdminPage>
    }
}
