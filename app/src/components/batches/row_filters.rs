//! Which rows the batch page shows: chips per state with their live counts, a plain GET form
//! (state, text, sort) and a pager. All are links and forms in the address, so a filter is
//! bookmarkable and works without JavaScript.

use leptos::prelude::*;
use leptos_router::components::Form;

use crate::model::batch::MailboxState;
use crate::model::batch_rows::{ROWS_PER_PAGE, RowFilter, RowSort, StateCounts};

#[component]
pub fn StateChips(filter: RowFilter, path: String, counts: Signal<StateCounts>) -> impl IntoView {
    let all = filter.in_state(None).href(&path);
    let count_of = move |state: MailboxState| {
        counts
            .read()
            .0
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n)
    };
    view! {
        <nav class="chips" aria-label="Mailbox states" data-testid="state-chips">
            <a href=all class="chip" aria-current=filter.state.is_none().then_some("true")>
                "All "<span class="count" data-testid="state-count-all">{move || counts.read().total()}</span>
            </a>
            {MailboxState::ALL
                .iter()
                .map(|&state| {
                    let active = filter.state == Some(state);
                    view! {
                        <a href=filter.in_state(Some(state)).href(&path) class="chip"
                            aria-current=active.then_some("true")
                            data-testid="state-chip" data-state=state.as_str()>
                            {state.as_str()}" "
                            <span class="count">{move || count_of(state)}</span>
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

#[component]
pub fn RowFilters(filter: RowFilter, path: String) -> impl IntoView {
    let state = filter.state.map(|s| s.as_str()).unwrap_or("");
    view! {
        <Form method="get" action=path>
            <div class="filters" data-testid="row-filters">
                <div>
                    <label for="r-state">"State"</label>
                    <select id="r-state" name="state">
                        <option value="" selected=state.is_empty()>"Any state"</option>
                        {MailboxState::ALL
                            .iter()
                            .map(|s| view! { <option value=s.as_str() selected=state == s.as_str()>{s.as_str()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="grow">
                    <label for="r-q">"Mailbox"</label>
                    <input id="r-q" name="q" type="search" value=filter.text.clone()
                        placeholder="part of the address or user name" data-testid="row-search"/>
                </div>
                <div>
                    <label for="r-sort">"Sort"</label>
                    <select id="r-sort" name="sort">
                        {RowSort::ALL
                            .iter()
                            .map(|s| view! { <option value=s.code() selected=filter.sort == *s>{s.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="align-end">
                    <button type="submit" class="button secondary" data-testid="apply-row-filters">
                        "Show"
                    </button>
                </div>
            </div>
        </Form>
    }
}

#[component]
pub fn RowPager(filter: RowFilter, path: String, matching: Signal<u64>) -> impl IntoView {
    let current = filter.page;
    let pages = move || matching.get().div_ceil(u64::from(ROWS_PER_PAGE)).max(1);
    let previous = (current > 0).then(|| filter.on_page(current - 1).href(&path));
    let next = filter.on_page(current + 1).href(&path);
    view! {
        <nav class="pager" aria-label="Pages" data-testid="row-pager">
            {previous.map(|href| view! { <a href=href rel="prev">"← Previous"</a> })}
            <span data-testid="row-page">
                {move || format!("Page {} of {} · {} mailbox(es)", current + 1, pages(), matching.get())}
            </span>
            {move || (u64::from(current) + 1 < pages()).then(|| view! { <a href=next.clone() rel="next" data-testid="next-page">"Next →"</a> })}
        </nav>
    }
}
