//! One endpoint with its "Test" button and the test's typed answer.

use leptos::prelude::*;

use crate::api::endpoints::TestEndpoint;
use crate::components::common::error_notice::failure;
use crate::model::endpoint::{EndpointRole, EndpointTestResult, EndpointView, OAuthKind};

#[component]
pub fn EndpointCard(
    endpoint: EndpointView,
    on_edit: impl Fn(EndpointView) + Send + Sync + 'static,
) -> impl IntoView {
    let test = ServerAction::<TestEndpoint>::new();
    let role = match endpoint.role {
        EndpointRole::Source => "Source",
        EndpointRole::Destination => "Destination",
    };
    let summary = format!(
        "{}:{} · {} · {}",
        endpoint.host,
        endpoint.port,
        endpoint.security.as_str().to_uppercase(),
        match (&endpoint.admin_user, endpoint.oauth.kind) {
            (_, OAuthKind::Google) => "OAuth 2: Google service account".to_string(),
            (_, OAuthKind::Microsoft) => "OAuth 2: Microsoft 365 app".to_string(),
            (_, OAuthKind::Personal) => "OAuth 2: each user's consent".to_string(),
            (Some(admin), OAuthKind::None) => format!("admin {admin}"),
            (None, OAuthKind::None) => "users sign in themselves".to_string(),
        }
    );
    let for_edit = endpoint.clone();
    view! {
        <article class="card endpoint-card" data-testid="endpoint-card" data-name=endpoint.name.clone()>
            <header class="card-head">
                <h3>{endpoint.name.clone()}</h3>
                <span class="tag">{role}</span>
            </header>
            <p class="muted">{summary}</p>
            <div class="button-row">
                <ActionForm action=test>
                    <input type="hidden" name="id" value=endpoint.id.0/>
                    <button type="submit" class="button secondary" data-testid="test-endpoint">
                        {move || if test.pending().get() { "Testing…" } else { "Test" }}
                    </button>
                </ActionForm>
                <button type="button" class="button link" on:click=move |_| on_edit(for_edit.clone())>
                    "Edit"
                </button>
            </div>
            <div aria-live="polite">
                {move || failure(test.value().get())}
                {move || {
                    test.value()
                        .get()
                        .and_then(|r| r.ok())
                        .map(|result| match result {
                            EndpointTestResult::Ok { note, capabilities, profile } => {
                                view! {
                                    <div class="notice ok" data-testid="test-result" data-ok="true">
                                        <p><strong>"✓ Works: "</strong>{note}</p>
                                        <p data-testid="test-server">"Server: "{profile.label()}</p>
                                        <p class="muted small">{capabilities.join(" ")}</p>
                                    </div>
                                }
                                    .into_any()
                            }
                            EndpointTestResult::Failed { kind, detail } => {
                                view! {
                                    <div class="notice bad" data-testid="test-result" data-ok="false"
                                        data-kind=kind.as_str()>
                                        <p><strong>"✕ "{kind.title()}</strong></p>
                                        <p>{detail}</p>
                                        <p class="solution">"Suggested solution: "{kind.solution()}</p>
                                    </div>
                                }
                                    .into_any()
                            }
                        })
                }}
            </div>
        </article>
    }
}
