//! The buttons of a batch, offered by its state, and its downloads.

use leptos::prelude::*;

use crate::api::batches::ActOnBatch;
use crate::components::common::error_notice::failure;
use crate::ids::BatchId;
use crate::model::batch::{BatchAction, BatchState, BatchSummary};

fn offered(summary: &BatchSummary) -> Vec<(BatchAction, &'static str, &'static str)> {
    let has_failed = summary.mailboxes_failed > 0;
    let mut actions = Vec::new();
    match summary.state {
        BatchState::Created => actions.push((BatchAction::Start, "Start the batch", "primary")),
        BatchState::Syncing | BatchState::Completing => {
            // During a delta sync: the final pass follows it.
            if summary.state == BatchState::Syncing && summary.last_synced_at.is_some() {
                actions.push((BatchAction::Complete, "Complete after this sync", "primary"));
            }
            actions.push((BatchAction::Stop, "Stop", "secondary"))
        }
        BatchState::Synced | BatchState::SyncedWithErrors => {
            actions.push((BatchAction::SyncNow, "Sync now", "secondary"));
            actions.push((BatchAction::Complete, "Complete the batch", "primary"));
            actions.push((BatchAction::Stop, "Stop delta syncs", "secondary"));
        }
        BatchState::Stopping => {}
        BatchState::Stopped => actions.push((BatchAction::Resume, "Resume", "primary")),
        BatchState::Completed | BatchState::CompletedWithErrors | BatchState::Failed => {}
    }
    if has_failed && !summary.state.is_running() {
        actions.push((
            BatchAction::RetryFailed,
            "Retry failed mailboxes",
            "secondary",
        ));
        actions.push((
            BatchAction::NewBatchFromFailed,
            "New batch from failed rows",
            "secondary",
        ));
    }
    let passed = summary.mailboxes_done + summary.mailboxes_failed > 0;
    if passed && !summary.state.is_running() {
        actions.push((BatchAction::Verify, "Verify", "secondary"));
        actions.push((BatchAction::CopyMissing, "Copy missing", "secondary"));
    }
    if !summary.state.is_running() {
        actions.push((BatchAction::Delete, "Delete batch", "danger"));
    }
    actions
}

fn action_code(action: BatchAction) -> &'static str {
    match action {
        BatchAction::Start => "start",
        BatchAction::Stop => "stop",
        BatchAction::Resume => "resume",
        BatchAction::SyncNow => "sync-now",
        BatchAction::Complete => "complete",
        BatchAction::RetryFailed => "retry-failed",
        BatchAction::NewBatchFromFailed => "new-batch-from-failed",
        BatchAction::Verify => "verify",
        BatchAction::CopyMissing => "copy-missing",
        BatchAction::Delete => "delete",
    }
}

#[component]
pub fn BatchActions(id: BatchId, summary: Signal<BatchSummary>) -> impl IntoView {
    let act = ServerAction::<ActOnBatch>::new();
    // Only a change of the offered buttons re-renders them, not every progress message.
    let buttons = Memo::new(move |_| offered(&summary.read()));
    view! {
        <section class="actions" aria-label="Batch actions">
            <div class="button-row">
                {move || {
                    buttons
                        .get()
                        .into_iter()
                        .map(|(action, label, style)| {
                            view! {
                                <ActionForm action=act>
                                    <input type="hidden" name="batch" value=id.0/>
                                    <input type="hidden" name="action" value=action_code(action)/>
                                    <button type="submit" class=format!("button {style}")
                                        data-action=action_code(action)
                                        disabled=move || act.pending().get()>
                                        {label}
                                    </button>
                                </ActionForm>
                            }
                        })
                        .collect_view()
                }}
            </div>
            {move || failure(act.value().get())}
            <p class="downloads">
                <a href=format!("/downloads/MigrationErrors.csv?batch={id}") data-testid="download-errors" download>
                    "MigrationErrors.csv"
                </a>
                " · "
                <a href=format!("/downloads/MigrationStatistics.csv?batch={id}") download>
                    "MigrationStatistics.csv"
                </a>
                " · "
                <a href=format!("/downloads/FailedRows.csv?batch={id}") download>"Failed rows (CSV)"</a>
                " · "
                <a href=format!("/downloads/MigrationVerification.csv?batch={id}")
                    data-testid="download-verification" download>
                    "MigrationVerification.csv"
                </a>
                " · "
                <a href=format!("/errors?batch={id}") data-testid="batch-error-report">"Error report"</a>
            </p>
        </section>
    }
    .into_any()
}
