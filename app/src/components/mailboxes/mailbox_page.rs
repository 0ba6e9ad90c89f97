//! The mailbox page: the row's state and progress, Verify and Copy missing, then its folders,
//! passes and errors. While the mailbox runs or is being verified the page reads itself again
//! every few seconds (one row: cheap), and right after an action.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::mailbox_sections::{FolderTable, PassTable};
use crate::api::mailboxes::{ActOnMailbox, get_mailbox};
use crate::components::batches::mailbox_table::{VerificationBadgeView, live_line};
use crate::components::common::error_notice::{ErrorNotice, failure};
use crate::components::common::format::{bytes, time};
use crate::components::common::state_badge::MailboxStateBadge;
use crate::components::layout::page::AdminPage;
use crate::components::report::error_table::ErrorTable;
use crate::ids::MailboxId;
use crate::model::batch::MailboxState;
use crate::model::mailbox_page::MailboxDetail;
use crate::model::verification::VerifyOutcome;

const REREAD: Duration = Duration::from_secs(2);

/// Something on the page is still moving.
fn in_progress(detail: &MailboxDetail) -> bool {
    matches!(
        detail.row.state,
        MailboxState::Queued | MailboxState::Syncing
    ) || detail
        .row
        .verification
        .as_ref()
        .is_some_and(|v| v.outcome == VerifyOutcome::Verifying)
}

#[component]
pub fn MailboxPage() -> impl IntoView {
    view! {
        <AdminPage testid="mailbox">
            {
                let params = use_params_map();
                let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).map(MailboxId);
                let act = ServerAction::<ActOnMailbox>::new();
                let mailbox = Resource::new(
                    move || (id(), act.version().get()),
                    |(id, _)| async move {
                        match id {
                            Some(id) => get_mailbox(id).await,
                            None => Err(crate::api::AppError::NotFound),
                        }
                    },
                );
                // Read again while something moves (the effect runs in the browser only).
                Effect::new(move |_| {
                    if let Some(Ok(detail)) = mailbox.get()
                        && in_progress(&detail)
                    {
                        set_timeout(move || mailbox.refetch(), REREAD);
                    }
                });
                view! {
                    <Suspense fallback=|| view! { <p class="loading">"Loading the mailbox…"</p> }>
                        {move || {
                            mailbox
                                .get()
                                .map(|result| match result {
                                    Ok(detail) => view! { <MailboxView detail act/> }.into_any(),
                                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                                })
                        }}
                    </Suspense>
                }
            }
        </AdminPage>
    }
}

#[component]
fn MailboxView(detail: MailboxDetail, act: ServerAction<ActOnMailbox>) -> impl IntoView {
    let row = detail.row.clone();
    let id = row.id;
    let batch = detail.batch;
    let ended = row.state.is_final();
    // The codes are MailboxAction's names in the form (kebab-case).
    let button = move |code: &'static str, label: &'static str| {
        view! {
            <ActionForm action=act>
                <input type="hidden" name="mailbox" value=id.0/>
                <input type="hidden" name="act" value=code/>
                <button type="submit" class="button secondary" data-action=code
                    disabled=move || act.pending().get() || !ended>
                    {label}
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <div class="page-head">
            <h1 data-testid="mailbox-name">{row.email_address.clone()}</h1>
            <a href=format!("/batches/{batch}") data-testid="mailbox-batch">
                {format!("Batch: {}", detail.batch_name)}
            </a>
        </div>
        <section class="card summary" data-testid="mailbox-summary" data-state=row.state.as_str()>
            <div class="summary-head">
                <MailboxStateBadge state=row.state/>
                " "
                {row.verification.clone().map(|v| view! { <VerificationBadgeView badge=v/> })}
                <span class="muted">{format!("source user {}", detail.source_username)}</span>
            </div>
            <dl class="figures">
                <div><dt>"Folders"</dt><dd>{format!("{} / {}", row.folders_done, row.folders_total)}</dd></div>
                <div><dt>"Messages"</dt><dd data-testid="mailbox-messages">{format!("{} / {}", row.messages_copied, row.messages_total)}</dd></div>
                <div><dt>"Data copied"</dt><dd>{bytes(row.bytes_copied)}</dd></div>
                <div><dt>"Skipped"</dt><dd>{detail.messages_skipped}</dd></div>
                <div><dt>"Flags carried"</dt><dd>{detail.flags_updated}</dd></div>
                <div><dt>"Deletions carried"</dt><dd>{detail.deletions_applied}</dd></div>
                <div><dt>"Started"</dt><dd>{time(detail.started_at)}</dd></div>
                <div><dt>"Last synced"</dt><dd>{time(row.last_synced_at)}</dd></div>
            </dl>
            {row.live.as_ref().map(|l| view! {
                <p data-testid="mailbox-live">
                    <strong>{format!(
                        "This pass: {} of {} messages, {} of {}",
                        l.messages_done, l.messages_total, bytes(l.bytes_done), bytes(l.bytes_total)
                    )}</strong>
                    <span class="muted block">{live_line(l)}</span>
                </p>
            })}
            {row.error_kind.map(|kind| view! {
                <p class="error-detail" data-testid="mailbox-error" data-kind=kind.as_str()>
                    <strong>{kind.title()}</strong>": "{row.error_message.clone().unwrap_or_default()}
                    <span class="solution block">"Suggested solution: "{kind.solution()}</span>
                </p>
            })}
        </section>
        <section class="actions" aria-label="Mailbox actions">
            <div class="button-row">
                {button("verify", "Verify")}
                {button("copy-missing", "Copy missing")}
            </div>
            {move || failure(act.value().get())}
        </section>
        <h2>"Folders"</h2>
        <FolderTable folders=detail.folders/>
        <h2>"Passes"</h2>
        <PassTable passes=detail.passes/>
        <h2>"Errors"</h2>
        <ErrorTable rows=detail.errors/>
    }
    .into_any()
}
