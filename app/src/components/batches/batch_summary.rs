//! The head of the batch page: state, progress, counts, endpoints, downloads.

use leptos::prelude::*;

use crate::components::common::format::{bytes, percent, time};
use crate::components::common::state_badge::BatchStateBadge;
use crate::model::batch::BatchDetail;

#[component]
pub fn BatchSummaryPanel(detail: Signal<BatchDetail>) -> impl IntoView {
    let s = move || detail.read().summary.clone();
    let finished = move || {
        let s = s();
        s.mailboxes_done + s.mailboxes_failed
    };
    let message_pct = move || {
        let d = detail.read();
        percent(d.summary.messages_copied, d.messages_total)
    };
    view! {
        <section class="card summary" data-testid="batch-summary" aria-label="Batch progress">
            <div class="summary-head">
                {move || view! { <BatchStateBadge state=s().state/> }}
                <span class="muted">
                    {move || format!("{} → {}", detail.read().source, detail.read().destination)}
                </span>
            </div>
            <dl class="figures">
                <div>
                    <dt>"Mailboxes finished"</dt>
                    <dd data-testid="mailboxes-finished">
                        {move || format!("{} / {}", finished(), s().mailboxes_total)}
                    </dd>
                </div>
                <div>
                    <dt>"Synced"</dt>
                    <dd>{move || s().mailboxes_done}</dd>
                </div>
                <div>
                    <dt>"Failed"</dt>
                    <dd data-testid="mailboxes-failed">{move || s().mailboxes_failed}</dd>
                </div>
                <div>
                    <dt>"Messages copied"</dt>
                    <dd>{move || format!("{} of {}", s().messages_copied, detail.read().messages_total)}</dd>
                </div>
                <div>
                    <dt>"Data copied"</dt>
                    <dd>{move || bytes(detail.read().bytes_copied)}</dd>
                </div>
                <div>
                    <dt>"Last synced"</dt>
                    <dd data-testid="batch-last-synced">{move || time(s().last_synced_at)}</dd>
                </div>
                <div>
                    <dt>"Next delta sync"</dt>
                    <dd data-testid="batch-next-sync">{move || time(s().next_sync_at)}</dd>
                </div>
            </dl>
            {move || {
                let s = s();
                let start = s.start_after.filter(|_| s.state == crate::model::batch::BatchState::Created);
                let complete = s.complete_after.filter(|_| !s.state.is_completed());
                view! {
                    {start.map(|t| view! { <p class="muted small" data-testid="start-after">"Starts by itself at "{time(Some(t))}</p> })}
                    {complete.map(|t| view! { <p class="muted small" data-testid="complete-after">"Completes by itself at "{time(Some(t))}</p> })}
                }
            }}
            // A <progress> rather than a styled width: the page's policy allows no inline styles.
            <progress class="progress" max="100" value=message_pct aria-label="Messages copied"></progress>
            {move || {
                detail
                    .read()
                    .email_status
                    .map(|status| {
                        view! { <p class="muted small">"Status e-mail: "{status.as_str()}</p> }
                    })
            }}
        </section>
    }
    .into_any()
}
