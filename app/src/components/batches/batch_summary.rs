//! The head of the batch page: state, progress, counts, endpoints, downloads.

use leptos::prelude::*;

use crate::components::common::format::{bytes, percent};
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
            </dl>
            <div class="progress" role="progressbar" aria-label="Messages copied" aria-valuemin="0"
                aria-valuemax="100" aria-valuenow=message_pct>
                <div class="progress-bar" style=move || format!("width: {}%", message_pct())></div>
            </div>
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
