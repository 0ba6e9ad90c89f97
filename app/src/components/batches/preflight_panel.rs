//! The pre-flight check of a batch that has not started: sign-in on both sides and what there
//! is to copy, per row, before anything is copied.

use leptos::prelude::*;

use crate::api::batches::RunPreflight;
use crate::components::common::error_notice::failure;
use crate::components::common::format::{bytes, duration_secs};
use crate::ids::BatchId;
use crate::model::batch::PreflightRowView;

#[component]
pub fn PreflightPanel(id: BatchId) -> impl IntoView {
    let check = ServerAction::<RunPreflight>::new();
    view! {
        <section class="card" data-testid="preflight">
            <h2>"Pre-flight check"</h2>
            <p class="muted">
                "Signs in to the source and the destination for every row and counts folders and messages. Copies nothing."
            </p>
            <ActionForm action=check>
                <input type="hidden" name="id" value=id.0/>
                <button type="submit" class="button secondary" data-testid="run-preflight"
                    disabled=move || check.pending().get()>
                    {move || if check.pending().get() { "Checking…" } else { "Run the pre-flight check" }}
                </button>
            </ActionForm>
            {move || failure(check.value().get())}
            {move || check.value().get().and_then(|r| r.ok()).map(|rows| view! { <PreflightTable rows/> })}
        </section>
    }
}

/// The summary line and a row per mailbox.
#[component]
fn PreflightTable(rows: Vec<PreflightRowView>) -> impl IntoView {
    let problems = rows.iter().filter(|r| r.problem.is_some()).count();
    let total: u64 = rows.iter().map(|r| r.estimate_secs).sum();
    view! {
        <p data-testid="preflight-summary">
            {format!(
                "{} rows, {} with problems, about {} of copying.",
                rows.len(),
                problems,
                duration_secs(total),
            )}
        </p>
        <table class="table">
            <thead>
                <tr>
                    <th scope="col" class="num">"Row"</th>
                    <th scope="col">"Mailbox"</th>
                    <th scope="col">"Result"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| view! { <PreflightLine row/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn PreflightLine(row: PreflightRowView) -> impl IntoView {
    let result = match row.problem {
        Some((kind, detail)) => view! {
            <span class="bad" data-kind=kind.as_str()>
                <strong>{kind.title()}</strong>": "{detail}
                <span class="solution block">"Suggested solution: "{kind.solution()}</span>
            </span>
        }
        .into_any(),
        None => view! {
            <span class="ok">
                {format!(
                    "✓ {} folders, {} messages, {}, about {}",
                    row.folders,
                    row.messages,
                    bytes(row.bytes),
                    duration_secs(row.estimate_secs.max(1)),
                )}
            </span>
        }
        .into_any(),
    };
    view! {
        <tr data-testid="preflight-row">
            <td class="num">{row.row_index}</td>
            <td>{row.email_address}</td>
            <td>{result}</td>
        </tr>
    }
}
