//! The per-mailbox table of a batch: state, folders, messages, bytes, rate, error.

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::components::common::format::{bytes, duration_secs, rate, time};
use crate::components::common::state_badge::MailboxStateBadge;
use crate::ids::MailboxId;
use crate::model::batch::{LiveDetail, MailboxRow};
use crate::model::verification::{VerificationBadge, VerifyOutcome};

#[component]
pub fn MailboxTable(
    rows: Signal<Vec<MailboxRow>>,
    selected: RwSignal<BTreeSet<MailboxId>>,
) -> impl IntoView {
    let select_page = move |on: bool| {
        let ids: Vec<MailboxId> = rows.read().iter().map(|r| r.id).collect();
        selected.update(|s| {
            for id in ids {
                if on {
                    s.insert(id);
                } else {
                    s.remove(&id);
                }
            }
        });
    };
    view! {
        <table class="table" data-testid="mailbox-table">
            <thead>
                <tr>
                    <th scope="col">
                        <input type="checkbox" aria-label="Select the rows of this page"
                            data-testid="select-page"
                            on:change=move |ev| select_page(event_target_checked(&ev))/>
                    </th>
                    <th scope="col" class="num">"Row"</th>
                    <th scope="col">"Mailbox"</th>
                    <th scope="col">"State"</th>
                    <th scope="col" class="num">"Folders"</th>
                    <th scope="col" class="num">"Messages"</th>
                    <th scope="col" class="num">"Data"</th>
                    <th scope="col" class="num">"Rate"</th>
                    <th scope="col">"Last synced"</th>
                    <th scope="col">"Verified"</th>
                    <th scope="col">"Error"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || rows.get() key=|row| (row.id, row.state, row.messages_copied, row.bytes_copied, row.error_kind, row.folders_done, row.last_synced_at, row.verification.as_ref().map(|v| (v.outcome, v.at)), row.live.clone()) let:row>
                    <MailboxLine row=row selected=selected/>
                </For>
            </tbody>
        </table>
    }
    .into_any()
}

/// A verification's outcome: colour, symbol and words, the time and any reason in its title.
#[component]
pub fn VerificationBadgeView(badge: VerificationBadge) -> impl IntoView {
    let symbol = match badge.outcome {
        VerifyOutcome::Whole => "✓",
        VerifyOutcome::Missing | VerifyOutcome::Failed => "✕",
        VerifyOutcome::Verifying => "↻",
    };
    let mut title = format!("{} at {}", badge.label(), time(Some(badge.at)));
    if badge.extra > 0 {
        title.push_str(&format!("; {} on the destination only", badge.extra));
    }
    if let Some(why) = &badge.detail {
        title.push_str(&format!(": {why}"));
    }
    view! {
        <span class=format!("badge verify-{}", badge.outcome.as_str().to_lowercase())
            data-testid="mailbox-verification" data-verify=badge.outcome.as_str() title=title>
            <span aria-hidden="true">{symbol}" "</span>
            {badge.label()}
        </span>
    }
}

/// A running pass in a line: the folders being copied, the rate over the last minute and the
/// time left at it.
pub fn live_line(live: &LiveDetail) -> String {
    let mut parts = Vec::new();
    if !live.folders.is_empty() {
        parts.push(live.folders.clone());
    }
    parts.push(format!("{}/s over the last minute", bytes(live.rate)));
    if let Some(eta) = live.eta_secs {
        parts.push(format!("about {} left", duration_secs(eta)));
    }
    parts.join(" · ")
}

/// One row of the table.
#[component]
fn MailboxLine(row: MailboxRow, selected: RwSignal<BTreeSet<MailboxId>>) -> impl IntoView {
    view! {
        <tr data-testid="mailbox-row" data-email=row.email_address.clone()
            data-state=row.state.as_str()>
            <td>
                <input type="checkbox" data-testid="row-select"
                    aria-label=format!("Select {}", row.email_address)
                    prop:checked={
                        let id = row.id;
                        move || selected.read().contains(&id)
                    }
                    on:change={
                        let id = row.id;
                        move |ev| {
                            let on = event_target_checked(&ev);
                            selected.update(|s| {
                                if on { s.insert(id); } else { s.remove(&id); }
                            });
                        }
                    }/>
            </td>
            <td class="num">{row.row_index}</td>
            <td>
                <a href=format!("/mailboxes/{}", row.id) data-testid="mailbox-link">
                    {row.email_address.clone()}
                </a>
                {row.claimed_by.clone().map(|by| view! { <span class="muted small block">{by}</span> })}
                {row.consent.clone().map(consent_cell)}
            </td>
            <td>
                <MailboxStateBadge state=row.state/>
                {row.live.as_ref().map(|l| view! {
                    <span class="muted small block" data-testid="mailbox-live"
                        data-rate=l.rate data-done=l.messages_done data-total=l.messages_total>
                        {live_line(l)}
                    </span>
                })}
            </td>
            <td class="num">{format!("{} / {}", row.folders_done, row.folders_total)}</td>
            <td class="num">{match &row.live {
                Some(l) => format!("{} / {}", l.messages_done, l.messages_total),
                None => format!("{} / {}", row.messages_copied, row.messages_total),
            }}</td>
            <td class="num">{match &row.live {
                Some(l) => format!("{} / {}", bytes(l.bytes_done), bytes(l.bytes_total)),
                None => bytes(row.bytes_copied),
            }}</td>
            <td class="num">{rate(row.bytes_per_sec)}</td>
            <td class="small" data-testid="mailbox-last-synced">{time(row.last_synced_at)}</td>
            <td>{row.verification.clone().map(|v| view! { <VerificationBadgeView badge=v/> })}</td>
            <td>
                {row.error_kind.map(|kind| {
                    view! {
                        <details class="error-detail" data-testid="mailbox-error" data-kind=kind.as_str()>
                            <summary>{kind.title()}</summary>
                            <p>{row.error_message.clone().unwrap_or_default()}</p>
                            <p class="solution">"Suggested solution: "{kind.solution()}</p>
                        </details>
                    }
                })}
            </td>
        </tr>
    }
}

/// A personal account's consent: given, or the link to send its user.
fn consent_cell(consent: crate::model::batch::ConsentView) -> impl IntoView {
    if consent.given {
        view! { <span class="muted small block" data-testid="consent-given">"✓ consent given"</span> }
            .into_any()
    } else {
        view! {
            <a class="small block" href=consent.link data-testid="consent-link"
                title="Send this link to the user: it asks for their consent at their provider">
                "consent link (send to the user)"
            </a>
        }
        .into_any()
    }
}
