//! Bulk actions above the mailbox table: on the rows ticked on this page, or on every row the
//! filter matches (all pages). Needs JavaScript (the selection lives in the page).

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::api::batches::ActOnRows;
use crate::components::common::error_notice::failure;
use crate::ids::{BatchId, MailboxId};
use crate::model::batch_rows::RowFilter;
use crate::model::bulk::BulkAction;

#[component]
pub fn BulkBar(
    batch: BatchId,
    filter: RowFilter,
    selected: RwSignal<BTreeSet<MailboxId>>,
    matching: Signal<u64>,
) -> impl IntoView {
    let act = ServerAction::<ActOnRows>::new();
    let all_matching = RwSignal::new(false);
    let count = move || {
        if all_matching.get() {
            matching.get()
        } else {
            selected.read().len() as u64
        }
    };
    let request = move |bulk: BulkAction| ActOnRows {
        batch,
        filter: filter.clone(),
        all_matching: all_matching.get_untracked(),
        selected: selected
            .get_untracked()
            .iter()
            .map(|id| id.to_string())
            .collect::<Vec<_>>()
            .join(","),
        bulk,
    };
    // After an action, the selection is spent (the table shows the rows' new states live).
    Effect::new(move |_| {
        if let Some(Ok(_)) = act.value().get() {
            selected.set(BTreeSet::new());
            all_matching.set(false);
        }
    });
    view! {
        <section class="bulk-bar" aria-label="Actions on selected rows" data-testid="bulk-bar">
            <span data-testid="bulk-count">{move || format!("{} selected", count())}</span>
            <label class="checkbox">
                <input type="checkbox" data-testid="bulk-all-matching"
                    prop:checked=move || all_matching.get()
                    on:change=move |ev| all_matching.set(event_target_checked(&ev))/>
                {move || format!(" all {} rows of this filter", matching.get())}
            </label>
            {BulkAction::ALL
                .into_iter()
                .map(|action| {
                    let request = request.clone();
                    view! {
                        <button type="button" class="button secondary small"
                            data-bulk=action.code()
                            disabled=move || act.pending().get() || count() == 0
                            on:click=move |_| {
                                act.dispatch(request(action));
                            }>
                            {action.label()}
                        </button>
                    }
                })
                .collect_view()}
            <span data-testid="bulk-result">
                {move || act.value().get().and_then(|r| r.ok()).map(|o| {
                    format!("{} rows acted on, {} left as they were", o.affected, o.left)
                })}
            </span>
            {move || failure(act.value().get())}
        </section>
    }
    .into_any()
}
