//! The new-batch form: the CSV file, the endpoints, the options. The file goes up as multipart;
//! a file with problems comes back with every problem by row and column, and nothing is stored.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;
use web_sys::{FormData, HtmlFormElement};

use crate::api::batches::upload_batch;
use crate::api::endpoints::list_endpoints;
use crate::api::settings::get_mail_settings;
use crate::components::common::error_notice::{ErrorNotice, failure};
use crate::components::layout::page::AdminPage;
use crate::model::batch::{CsvProblemView, UploadOutcome};
use crate::model::endpoint::{EndpointRole, EndpointView};

#[component]
pub fn NewBatchPage() -> impl IntoView {
    view! {
        <AdminPage testid="new-batch">
            {
                let endpoints = Resource::new(|| (), |_| list_endpoints());
                let mail = Resource::new(|| (), |_| get_mail_settings());
                let upload = Action::new_local(|data: &FormData| upload_batch(data.clone().into()));
                let navigate = use_navigate();
                Effect::new(move |_| {
                    if let Some(Ok(UploadOutcome::Created { batch, .. })) = upload.value().get() {
                        navigate(&format!("/batches/{batch}"), Default::default());
                    }
                });
                let on_submit = move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    let Some(form) = ev.target().and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
                    else {
                        return;
                    };
                    if let Ok(data) = FormData::new_with_form(&form) {
                        upload.dispatch_local(data);
                    }
                };
                view! {
                    <h1>"New migration batch"</h1>
                    <p class="lead">
                        "Upload the mailboxes as a CSV file in Exchange's IMAP migration format: "
                        <code>"EmailAddress,UserName,Password"</code>" and optionally "<code>"UserRoot"</code>". "
                        "EmailAddress is the destination mailbox; UserName and Password sign in on the source."
                    </p>
                    <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                        {move || {
                            let notify = mail
                                .get()
                                .and_then(|r| r.ok())
                                .map(|m| m.notify_emails.join(", "))
                                .unwrap_or_default();
                            endpoints.get().map(|result| match result {
                                Err(error) => view! { <ErrorNotice error/> }.into_any(),
                                Ok(list) => {
                                    view! {
                                        <NewBatchForm endpoints=list notify=notify on_submit=on_submit
                                            pending=upload.pending()/>
                                    }
                                        .into_any()
                                }
                            })
                        }}
                    </Suspense>
                    {move || failure(upload.value().get())}
                    {move || match upload.value().get() {
                        Some(Ok(UploadOutcome::Rejected { problems })) => {
                            Some(view! { <CsvProblems problems/> })
                        }
                        _ => None,
                    }}
                }
            }
        </AdminPage>
    }
}

fn endpoint_options(list: &[EndpointView], role: EndpointRole) -> Vec<(i64, String)> {
    list.iter()
        .filter(|e| e.role == role)
        .map(|e| (e.id.0, format!("{} ({}:{})", e.name, e.host, e.port)))
        .collect()
}

#[component]
fn NewBatchForm(
    endpoints: Vec<EndpointView>,
    notify: String,
    on_submit: impl Fn(leptos::ev::SubmitEvent) + 'static,
    pending: Memo<bool>,
) -> impl IntoView {
    let sources = endpoint_options(&endpoints, EndpointRole::Source);
    let destinations = endpoint_options(&endpoints, EndpointRole::Destination);
    if sources.is_empty() || destinations.is_empty() {
        return view! {
            <p class="notice" data-testid="needs-endpoints">
                "Add a source and a destination endpoint first: "<a href="/endpoints">"Endpoints"</a>
            </p>
        }
        .into_any();
    }
    let select = |name: &'static str, id: &'static str, options: Vec<(i64, String)>| {
        view! {
            <select id=id name=name required>
                {options
                    .into_iter()
                    .map(|(value, label)| view! { <option value=value>{label}</option> })
                    .collect_view()}
            </select>
        }
    };
    view! {
        <form class="stack card wide" data-testid="new-batch-form" on:submit=on_submit>
            <label for="nb-csv">"CSV file"</label>
            <input id="nb-csv" name="csv" type="file" accept=".csv,text/csv" required/>
            <label for="nb-name">"Batch name"</label>
            <input id="nb-name" name="name" type="text" placeholder="e.g. Sales, first wave"/>
            <div class="field-row">
                <div class="grow">
                    <label for="nb-source">"Source"</label>
                    {select("source", "nb-source", sources)}
                </div>
                <div class="grow">
                    <label for="nb-destination">"Destination"</label>
                    {select("destination", "nb-destination", destinations)}
                </div>
            </div>
            <label for="nb-notify">"Status e-mail to"</label>
            <input id="nb-notify" name="notify_emails" type="text" value=notify
                placeholder="you@example.org, helpdesk@example.org"/>
            <BatchOptionsFields/>
            <div class="button-row">
                <button type="submit" class="button primary" data-testid="upload-csv"
                    disabled=move || pending.get()>
                    {move || if pending.get() { "Checking the file…" } else { "Check the file and continue" }}
                </button>
            </div>
        </form>
    }
    .into_any()
}

/// The batch's options, folded away.
#[component]
fn BatchOptionsFields() -> impl IntoView {
    view! {
    <details class="options">
        <summary>"Options"</summary>
        <div class="stack">
            <label for="nb-include">"Only these folders (patterns, comma separated; empty = all)"</label>
            <input id="nb-include" name="include_folders" type="text" placeholder="INBOX, Archive/*"/>
            <label for="nb-exclude">"Skip these folders"</label>
            <input id="nb-exclude" name="exclude_folders" type="text" placeholder="Trash*, Junk"/>
            <div class="field-row">
                <div>
                    <label for="nb-since">"Messages since"</label>
                    <input id="nb-since" name="since" type="date"/>
                </div>
                <div>
                    <label for="nb-before">"Messages before"</label>
                    <input id="nb-before" name="before" type="date"/>
                </div>
                <div>
                    <label for="nb-max">"Largest message (MB)"</label>
                    <input id="nb-max" name="max_message_mb" type="number" min="1" class="short"/>
                </div>
                <div>
                    <label for="nb-concurrency">"Mailboxes at once"</label>
                    <input id="nb-concurrency" name="concurrency" type="number" min="0"
                        max="256" class="short" placeholder="auto"/>
                </div>
                <div>
                    <label for="nb-folders">"Folders at once per mailbox"</label>
                    <input id="nb-folders" name="folders_at_once" type="number" min="0"
                        max="8" class="short" placeholder="2"/>
                </div>
            </div>
            <div class="field-row">
                <div>
                    <label for="nb-start-after">"Start after (UTC; empty = on Start)"</label>
                    <input id="nb-start-after" name="start_after" type="datetime-local"/>
                </div>
                <div>
                    <label for="nb-complete-after">"Complete after (UTC; empty = on Complete)"</label>
                    <input id="nb-complete-after" name="complete_after" type="datetime-local"/>
                </div>
                <div>
                    <label for="nb-interval">"Delta sync every (minutes)"</label>
                    <input id="nb-interval" name="incremental_sync_minutes" type="number" min="5"
                        class="short" placeholder="1440"/>
                </div>
            </div>
            <label class="checkbox">
                <input type="checkbox" name="sync_again"/>
                " Copy what is new in mailboxes an earlier batch completed"
            </label>
            <label class="checkbox">
                <input type="checkbox" name="keep_deleted"/>
                " Keep on the destination what users delete on the source during the migration"
            </label>
            <label class="checkbox">
                <input type="checkbox" name="verify_after_pass"/>
                " Verify every mailbox after each pass (count, size and Message-IDs per folder)"
            </label>
        </div>
    </details>
    }
}

#[component]
fn CsvProblems(problems: Vec<CsvProblemView>) -> impl IntoView {
    view! {
        <section class="card problems" data-testid="csv-problems" role="alert">
            <h2>{format!("The file has {} problem(s); nothing was stored", problems.len())}</h2>
            <p>"Fix these rows in the file and upload it again."</p>
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col" class="num">"Row"</th>
                        <th scope="col">"Column"</th>
                        <th scope="col">"Problem"</th>
                    </tr>
                </thead>
                <tbody>
                    {problems
                        .into_iter()
                        .map(|p| {
                            view! {
                                <tr data-testid="csv-problem">
                                    <td class="num">{p.row}</td>
                                    <td>{p.column.unwrap_or_else(|| "–".into())}</td>
                                    <td>{p.message}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
