//! The list of batches with state and progress.

use leptos::prelude::*;

use crate::components::common::format::percent;
use crate::components::common::state_badge::BatchStateBadge;
use crate::model::dashboard::Dashboard;

#[component]
pub fn BatchTable(dashboard: Dashboard) -> impl IntoView {
    if dashboard.batches.is_empty() {
        return view! {
            <p class="empty" data-testid="no-batches">
                "No batches yet. A batch moves the mailboxes of one CSV file: "
                <a href="/batches/new">"start the first one"</a>"."
            </p>
        }
        .into_any();
    }
    view! {
        <table class="table" data-testid="batch-table">
            <thead>
                <tr>
                    <th scope="col">"Batch"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Progress"</th>
                    <th scope="col" class="num">"Messages copied"</th>
                    <th scope="col" class="num">"Failed mailboxes"</th>
                    <th scope="col">"Created"</th>
                </tr>
            </thead>
            <tbody>
                {dashboard
                    .batches
                    .into_iter()
                    .map(|batch| {
                        let finished = batch.mailboxes_done + batch.mailboxes_failed;
                        let pct = percent(finished, batch.mailboxes_total);
                        view! {
                            <tr data-testid="batch-row" data-batch=batch.id.0>
                                <td>
                                    <a href=format!("/batches/{}", batch.id)>{batch.name}</a>
                                </td>
                                <td>
                                    <BatchStateBadge state=batch.state/>
                                </td>
                                <td>
                                    <progress class="progress" max="100" value=pct
                                        aria-label="Mailboxes finished"></progress>
                                    <span class="muted">
                                        {format!(
                                            "{} of {} mailboxes finished",
                                            finished,
                                            batch.mailboxes_total,
                                        )}
                                    </span>
                                </td>
                                <td class="num">{batch.messages_copied}</td>
                                <td class="num">{batch.mailboxes_failed}</td>
                                <td>{batch.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
