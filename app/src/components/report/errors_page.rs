//! The error report page.

use leptos::prelude::*;

use crate::model::report::ErrorRow;
use leptos_router::hooks::use_query_map;

use super::error_filters::{ErrorFilters, KindChips};
use super::error_table::ErrorTable;
use super::report_query::{PER_PAGE, ReportQuery};
use crate::api::dashboard::get_dashboard;
use crate::api::report::get_errors;
use crate::components::common::error_notice::ErrorNotice;
use crate::components::layout::page::AdminPage;

#[component]
pub fn ErrorsPage() -> impl IntoView {
    view! {
        <AdminPage testid="error-report">
            {
                let query_map = use_query_map();
                let query = Memo::new(move |_| {
                    let map = query_map.read();
                    ReportQuery::from_params(|name| map.get(name))
                });
                let page = Resource::new(move || query.get(), |q| get_errors(q.filter()));
                let batches = Resource::new(|| (), |_| get_dashboard());
                view! {
                    <h1>"Error report"</h1>
                    <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                        {move || {
                            let q = query.get();
                            let names: Vec<(i64, String)> = batches
                                .get()
                                .and_then(|r| r.ok())
                                .map(|d| d.batches.into_iter().map(|b| (b.id.0, b.name)).collect())
                                .unwrap_or_default();
                            page.get().map(|result| match result {
                                Err(error) => view! { <ErrorNotice error/> }.into_any(),
                                Ok(page) => {
                                    let pages = page.total.div_ceil(PER_PAGE as u64).max(1);
                                    let edges = page.rows.first().cloned().zip(page.rows.last().cloned());
                                    view! {
                                        <ErrorFilters query=q.clone() batches=names/>
                                        <KindChips query=q.clone() counts=page.counts.clone()/>
                                        <Downloads query=q.clone()/>
                                        <p class="muted" data-testid="error-total">
                                            {format!("{} error(s)", page.total)}
                                        </p>
                                        <ErrorTable rows=page.rows/>
                                        <Pager query=q pages=pages edges=edges/>
                                    }
                                        .into_any()
                                }
                            })
                        }}
                    </Suspense>
                }
            }
        </AdminPage>
    }
}

#[component]
fn Downloads(query: ReportQuery) -> impl IntoView {
    view! {
        <p class="downloads">
            "Download: "
            <a href=query.download_href() data-testid="download-filtered" download>
                "MigrationErrors.csv (as filtered)"
            </a>
            " · "
            <a href="/downloads/MigrationErrors.csv" data-testid="download-all" download>
                "MigrationErrors.csv (everything)"
            </a>
            {query.batch.map(|batch| {
                view! {
                    " · "
                    <a href=format!("/downloads/MigrationStatistics.csv?batch={batch}") download>
                        "MigrationStatistics.csv"
                    </a>
                }
            })}
        </p>
    }
}

/// Pages by the rows at their edges (keyset): a page deep in a million errors costs what the
/// first does.
#[component]
fn Pager(query: ReportQuery, pages: u64, edges: Option<(ErrorRow, ErrorRow)>) -> impl IntoView {
    let current = query.page as u64;
    let previous = edges
        .as_ref()
        .filter(|_| current > 0)
        .map(|(first, _)| query.previous_page(first).href("/errors"));
    let next = edges
        .as_ref()
        .filter(|_| current + 1 < pages)
        .map(|(_, last)| query.next_page(last).href("/errors"));
    view! {
        <nav class="pager" aria-label="Pages">
            {previous.map(|href| view! { <a href=href rel="prev" data-testid="previous-page">"← Previous page"</a> })}
            <span>{format!("Page {} of {}", current + 1, pages)}</span>
            {next.map(|href| view! { <a href=href rel="next" data-testid="next-page">"Next page →"</a> })}
        </nav>
    }
}
