//! The list of batches with state and progress.

use leptos::prelude::*;

use crate::model::dashboard::Dashboard;

#[component]
pub fn BatchTable(dashboard: Dashboard) -> impl IntoView {
    if dashboard.batches.is_empty() {
        return view! {
            <p class="empty" data-testid="no-batches">
                "No batches yet. A batch moves the mailboxes of one CSV file."
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
                    <th scope="col">"Mailboxes"</th>
                    <th scope="col">"Messages copied"</th>
                    <th scope="col">"Errors"</th>
                </tr>
            </thead>
            <tbody>
                {dashboard
                    .batches
                    .into_iter()
                    .map(|batch| {
                        let state = batch.state.as_str();
                        view! {
                            <tr>
                                <td>{batch.name}</td>
                                <td>
                                    <span class=format!("badge state-{}", state.to_lowercase())>
                                        {state}
                                    </span>
                                </td>
                                <td>
                                    {format!("{} / {}", batch.mailboxes_done, batch.mailboxes_total)}
                                </td>
                                <td>{batch.messages_copied}</td>
                                <td>{batch.errors}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
