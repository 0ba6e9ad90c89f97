//! The mailbox page's tables: its folders (state and last verification) and its passes.

use leptos::prelude::*;

use crate::components::common::format::{bytes, time};
use crate::components::common::state_badge::MailboxStateBadge;
use crate::model::mailbox_page::{FolderCheck, FolderView, PassView};

fn check_cells(check: Option<FolderCheck>) -> AnyView {
    match check {
        None => view! { <td colspan="3" class="muted">"not verified"</td> }.into_any(),
        Some(c) => {
            let verdict = match c.missing {
                0 => "✓ whole".to_string(),
                n => format!("✕ {n} missing"),
            };
            let class = if c.missing == 0 { "ok" } else { "bad" };
            view! {
                <td class="num">{format!("{} · {}", c.source_messages, bytes(c.source_bytes))}</td>
                <td class="num">{format!("{} · {}", c.destination_messages, bytes(c.destination_bytes))}</td>
                <td class=class data-testid="folder-verdict" data-missing=c.missing>
                    {verdict}
                    {(c.extra > 0).then(|| view! {
                        <span class="muted small block">{format!("{} on the destination only", c.extra)}</span>
                    })}
                    {(c.changed > 0).then(|| view! {
                        <span class="muted small block" data-testid="folder-changed">
                            {format!("{} arrived changed (same Message-ID, other size or date)", c.changed)}
                        </span>
                    })}
                </td>
            }
            .into_any()
        }
    }
}

#[component]
pub fn FolderTable(folders: Vec<FolderView>) -> impl IntoView {
    if folders.is_empty() {
        return view! { <p class="empty">"No folder has been copied yet."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="folder-table">
            <thead>
                <tr>
                    <th scope="col">"Folder"</th>
                    <th scope="col">"On the destination"</th>
                    <th scope="col" class="num">"Copied"</th>
                    <th scope="col">"Last pass"</th>
                    <th scope="col" class="num">"Source (verified)"</th>
                    <th scope="col" class="num">"Destination (verified)"</th>
                    <th scope="col">"Verification"</th>
                </tr>
            </thead>
            <tbody>
                {folders
                    .into_iter()
                    .map(|f| {
                        let name = f.folder.clone();
                        view! {
                        <tr data-testid="folder-row" data-folder=name>
                            <td>{f.folder}</td>
                            <td>{f.destination}</td>
                            <td class="num">{format!("{} / {}", f.copied, f.source_messages)}</td>
                            <td class="small">{time(f.last_pass)}</td>
                            {check_cells(f.verified)}
                        </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn PassTable(passes: Vec<PassView>) -> impl IntoView {
    if passes.is_empty() {
        return view! { <p class="empty">"No pass has ended yet."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="pass-table">
            <thead>
                <tr>
                    <th scope="col">"Started"</th>
                    <th scope="col">"Ended"</th>
                    <th scope="col">"Outcome"</th>
                    <th scope="col" class="num">"Copied"</th>
                    <th scope="col" class="num">"Data"</th>
                    <th scope="col" class="num">"Flags"</th>
                    <th scope="col" class="num">"Deleted"</th>
                    <th scope="col" class="num">"Problems"</th>
                </tr>
            </thead>
            <tbody>
                {passes
                    .into_iter()
                    .map(|p| view! {
                        <tr data-testid="pass-row" data-state=p.state.as_str()>
                            <td class="small">{time(Some(p.started_at))}</td>
                            <td class="small">{time(Some(p.ended_at))}</td>
                            <td>
                                <MailboxStateBadge state=p.state/>
                                {p.error_kind.map(|k| view! { <span class="small block">{k.title()}</span> })}
                            </td>
                            <td class="num">{p.copied}</td>
                            <td class="num">{bytes(p.bytes)}</td>
                            <td class="num">{p.flags_updated}</td>
                            <td class="num">{p.deleted}</td>
                            <td class="num">{p.problems}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
