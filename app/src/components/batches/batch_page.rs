//! One batch: its summary, actions, live mailbox table and throughput chart; a batch not yet
//! started also shows its pre-flight check.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::batch_actions::BatchActions;
use super::batch_summary::BatchSummaryPanel;
use super::bulk_bar::BulkBar;
use super::live_channel::{LiveStatus, keep_live};
use super::mailbox_table::MailboxTable;
use super::preflight_panel::PreflightPanel;
use super::row_filters::{RowFilters, RowPager, StateChips};
use super::throughput_chart::{KEEP, Sample, ThroughputChart};
use crate::api::batches::get_batch;
use crate::components::common::error_notice::ErrorNotice;
use crate::components::layout::page::AdminPage;
use crate::ids::BatchId;
use crate::model::batch::{BatchDetail, BatchState, BatchWatch};
use crate::model::batch_rows::RowFilter;

#[component]
pub fn BatchPage() -> impl IntoView {
    view! {
        <AdminPage testid="batch">
            {
                let params = use_params_map();
                let query = use_query_map();
                let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).map(BatchId);
                let filter = Memo::new(move |_| {
                    let map = query.read();
                    RowFilter::from_params(|name| map.get(name))
                });
                let batch = Resource::new(move || (id(), filter.get()), |(id, filter)| async move {
                    match id {
                        Some(id) => get_batch(id, filter).await,
                        None => Err(crate::api::AppError::NotFound),
                    }
                });
                view! {
                    <Suspense fallback=|| view! { <p class="loading">"Loading the batch…"</p> }>
                        {move || {
                            batch
                                .get()
                                .map(|result| match result {
                                    Ok(detail) => view! { <LiveBatch initial=detail/> }.into_any(),
                                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                                })
                        }}
                    </Suspense>
                }
            }
        </AdminPage>
    }
}

fn seconds(at: chrono::DateTime<chrono::Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

#[component]
fn LiveBatch(initial: BatchDetail) -> impl IntoView {
    let id = initial.summary.id;
    let name = initial.summary.name.clone();
    let filter = initial.filter.clone();
    let watch = BatchWatch {
        id,
        filter: filter.clone(),
    };
    let detail = RwSignal::new(initial);
    let samples = RwSignal::new(Vec::<Sample>::new());
    let channel = keep_live(watch, move |live| {
        samples.try_update(|s| {
            s.push(Sample {
                at: seconds(live.at),
                messages: live.summary.messages_copied,
            });
            if s.len() > KEEP {
                s.remove(0);
            }
        });
        detail.try_update(|d| d.apply(live));
    });
    let summary = Signal::derive(move || detail.read().summary.clone());
    let rows = Signal::derive(move || detail.read().mailboxes.clone());
    let counts = Signal::derive(move || detail.read().state_counts.clone());
    let matching = Signal::derive(move || detail.read().rows_matching);
    let path = format!("/batches/{id}");
    let selected = RwSignal::new(std::collections::BTreeSet::new());
    let not_started = move || detail.read().summary.state == BatchState::Created;
    view! {
        <div class="page-head">
            <h1 data-testid="batch-name">{name}</h1>
            <span class="live" data-testid="live-status"
                data-status=move || match channel.status.get() {
                    LiveStatus::SignedOut => "signed-out".to_string(),
                    other => format!("{other:?}").to_lowercase(),
                }
                data-reconnects=move || channel.reconnects.get()>
                {move || match channel.status.get() {
                    LiveStatus::Connecting => "Connecting…",
                    LiveStatus::Live => "● Live",
                    LiveStatus::Reconnecting => "Reconnecting…",
                    LiveStatus::SignedOut => "Signed out — sign in again to follow the batch",
                }}
            </span>
        </div>
        <BatchSummaryPanel detail=detail.into()/>
        <BatchActions id=id summary=summary/>
        {move || not_started().then(|| view! { <PreflightPanel id=id/> })}
        <ThroughputChart samples=samples.into()/>
        <h2>"Mailboxes"</h2>
        <StateChips filter=filter.clone() path=path.clone() counts=counts/>
        <RowFilters filter=filter.clone() path=path.clone()/>
        <BulkBar batch=id filter=filter.clone() selected=selected matching=matching/>
        <MailboxTable rows=rows selected=selected/>
        <RowPager filter=filter path=path matching=matching/>
    }
    .into_any()
}
