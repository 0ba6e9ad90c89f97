//! The audit page: the filter (a plain GET form) and the trail, newest first, paged by id.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::audit_query::{filter_from, href, last_day};
use crate::api::audit::get_audit;
use crate::components::common::error_notice::ErrorNotice;
use crate::components::common::format::time;
use crate::components::layout::page::AdminPage;
use crate::model::audit::{AuditAction, AuditFilter, AuditPage};

#[component]
pub fn AuditTrailPage() -> impl IntoView {
    view! {
        <AdminPage testid="audit">
            {
                let query = use_query_map();
                let filter = Memo::new(move |_| {
                    let map = query.read();
                    filter_from(|name| map.get(name))
                });
                let page = Resource::new(move || filter.get(), get_audit);
                view! {
                    <h1>"Audit trail"</h1>
                    <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                        {move || page.get().map(|result| match result {
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                            Ok(page) => view! { <Trail filter=filter.get() page/> }.into_any(),
                        })}
                    </Suspense>
                }
            }
        </AdminPage>
    }
}

#[component]
fn Trail(filter: AuditFilter, page: AuditPage) -> impl IntoView {
    let older = page.older.map(|before| href(&filter, Some(before)));
    view! {
        <Filters filter=filter.clone() admins=page.admins/>
        <table class="table" data-testid="audit-list">
            <thead>
                <tr><th>"Time"</th><th>"Administrator"</th><th>"From"</th><th>"Action"</th><th>"Batch"</th><th>"Detail"</th></tr>
            </thead>
            <tbody>
                {page.entries.into_iter().map(|e| { let admin = e.admin.clone(); view! {
                    <tr data-testid="audit-row" data-action=e.action.as_str() data-admin=admin>
                        <td>{time(Some(e.at))}</td>
                        <td>{e.admin}</td>
                        <td>{e.client.unwrap_or_else(|| "—".into())}</td>
                        <td>{e.action.label()}</td>
                        <td>{e.batch.map(|b| view! { <a href=format!("/batches/{b}")>{b.to_string()}</a> })}</td>
                        <td>{e.detail}</td>
                    </tr>
                }}).collect_view()}
            </tbody>
        </table>
        {older.map(|link| view! {
            <nav class="pager"><a href=link rel="next" data-testid="audit-older">"Older entries →"</a></nav>
        })}
    }
}

#[component]
fn Filters(filter: AuditFilter, admins: Vec<String>) -> impl IntoView {
    let day =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.format("%Y-%m-%d").to_string());
    let to = last_day(&filter);
    view! {
        <form method="get" action="/audit" class="filters" data-testid="audit-filters">
            <label>"Administrator "
                <select name="admin">
                    <option value="">"Everyone"</option>
                    {admins.into_iter().map(|a| {
                        let selected = filter.admin.as_deref() == Some(a.as_str());
                        view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Action "
                <select name="action">
                    <option value="">"Any"</option>
                    {AuditAction::ALL.iter().map(|a| view! {
                        <option value=a.as_str() selected=filter.action == Some(*a)>{a.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Batch "
                <input name="batch" type="number" min="1" class="short"
                    value=filter.batch.map(|b| b.to_string()).unwrap_or_default()/>
            </label>
            <label>"From " <input name="from" type="date" value=day(filter.since).unwrap_or_default()/></label>
            <label>"To " <input name="to" type="date" value=day(to).unwrap_or_default()/></label>
            <button type="submit" class="button secondary" data-testid="audit-filter">"Filter"</button>
            <a href="/audit">"Clear"</a>
        </form>
    }
}
