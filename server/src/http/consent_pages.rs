//! The two addresses a user of a personal account meets: the row's consent link, which sends
//! them to the provider, and the provider's way back. No admin session: the link's code (128
//! random bits) and the provider's state stand for the row.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::state::AppState;
use crate::batches::consent::{self, ConsentError};

/// Where the provider sends the user back: `public_url`'s, else the address the user reached.
fn redirect_uri(state: &AppState, headers: &HeaderMap) -> String {
    let base = state.config.public_url.trim_end_matches('/');
    let base = if base.is_empty() {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    } else {
        base.to_string()
    };
    format!("{base}/oauth/callback")
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · Mailferry</title></head>\
         <body><main><h1 data-testid=\"consent-title\">{t}</h1><p data-testid=\"consent-text\">{x}</p></main></body></html>",
        t = escape(title),
        x = escape(text)
    );
    (status, Html(body)).into_response()
}

fn failed(error: ConsentError) -> Response {
    let status = match &error {
        ConsentError::UnknownLink | ConsentError::NotPersonal => StatusCode::NOT_FOUND,
        ConsentError::Store(_)
        | ConsentError::Db(_)
        | ConsentError::Sealed(_)
        | ConsentError::Settings(_) => {
            tracing::error!(error = %error, "a consent failed");
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Mailferry could not record the consent; ask your administrator.",
            );
        }
        _ => StatusCode::BAD_REQUEST,
    };
    tracing::info!(error = %error, "a consent was not given");
    page(status, "No consent recorded", &error.to_string())
}

/// `GET /oauth/consent/{code}`: on to the provider's consent page.
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let redirect = redirect_uri(&state, &headers);
    match consent::begin(&state.db, &state.cipher, &code, &redirect).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => failed(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ProviderAnswer {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// `GET /oauth/callback`: the provider's answer, kept if it opens the user's own mailbox.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(answer): Query<ProviderAnswer>,
) -> Response {
    let Some(consent_state) = answer.state.as_deref() else {
        return failed(ConsentError::UnknownLink);
    };
    let result = match (&answer.code, &answer.error) {
        (Some(code), _) => Ok(code.as_str()),
        (None, error) => Err(error.as_deref().unwrap_or("no answer")),
    };
    let redirect = redirect_uri(&state, &headers);
    match consent::finish(&state.db, &state.cipher, consent_state, result, &redirect).await {
        Ok(user) => page(
            StatusCode::OK,
            "Thank you",
            &format!("Mailferry may now move the mailbox of {user}. You can close this page."),
        ),
        Err(e) => failed(e),
    }
}
