//! The report's filters: a plain GET form (batch, mailbox search, sort) and chips per error kind
//! with their counts. Both are links and forms, so they work without JavaScript.

use leptos::prelude::*;
use leptos_router::components::Form;

use super::report_query::ReportQuery;
use crate::ErrorKind;

#[component]
pub fn ErrorFilters(query: ReportQuery, batches: Vec<(i64, String)>) -> impl IntoView {
    let kinds: Vec<&str> = query.kinds.iter().map(|k| k.as_str()).collect();
    let selected_batch = query.batch.map(|b| b.0);
    let sort = query.sort_code();
    view! {
        <Form method="get" action="/errors">
            <div class="filters" data-testid="error-filters">
                <input type="hidden" name="kind" value=kinds.join(",")/>
                <div>
                    <label for="f-batch">"Batch"</label>
                    <select id="f-batch" name="batch">
                        <option value="" selected=selected_batch.is_none()>"All batches"</option>
                        {batches
                            .into_iter()
                            .map(|(id, name)| {
                                view! {
                                    <option value=id selected=selected_batch == Some(id)>{name}</option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="grow">
                    <label for="f-q">"Mailbox"</label>
                    <input id="f-q" name="q" type="search" value=query.search.clone()
                        placeholder="part of the e-mail address"/>
                </div>
                <div>
                    <label for="f-sort">"Sort"</label>
                    <select id="f-sort" name="sort">
                        <option value="newest" selected=sort == "newest">"Newest first"</option>
                        <option value="oldest" selected=sort == "oldest">"Oldest first"</option>
                        <option value="mailbox" selected=sort == "mailbox">"By mailbox"</option>
                    </select>
                </div>
                <div class="align-end">
                    <button type="submit" class="button secondary" data-testid="apply-filters">
                        "Apply"
                    </button>
                </div>
            </div>
        </Form>
    }
}

#[component]
pub fn KindChips(query: ReportQuery, counts: Vec<(ErrorKind, u64)>) -> impl IntoView {
    let all = ReportQuery {
        kinds: Vec::new(),
        page: 0,
        ..query.clone()
    };
    view! {
        <nav class="chips" aria-label="Error kinds" data-testid="kind-chips">
            <a href=all.href("/errors") class="chip" aria-current=query.kinds.is_empty().then_some("true")>
                "All kinds"
            </a>
            <a href=query.with_resolved(!query.resolved).href("/errors") class="chip"
                aria-current=query.resolved.then_some("true") data-testid="resolved-chip">
                {if query.resolved { "✓ Resolved too" } else { "Resolved too" }}
            </a>
            {counts
                .into_iter()
                .map(|(kind, count)| {
                    let active = query.kinds.contains(&kind);
                    view! {
                        <a href=query.toggled(kind).href("/errors") class="chip"
                            aria-current=active.then_some("true")
                            data-testid="kind-chip" data-kind=kind.as_str()>
                            {active.then_some("✓ ")}
                            {kind.title()}
                            " "
                            <span class="count">{count}</span>
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}
