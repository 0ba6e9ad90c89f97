//! The personal accounts' part of the test bed's provider: the consent page, the user's
//! answer, and the authorization code (with PKCE) and refresh token grants.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Book, Pending, Refusal, Shared, oauth_error};

/// The pairs of an `application/x-www-form-urlencoded` text.
pub(super) fn form_urlencoded(text: &str) -> HashMap<String, String> {
    serde_urlencoded::from_str(text).unwrap_or_default()
}

/// Where the provider sends the browser after the user's answer: the app's redirect URI with a
/// code (or `access_denied`) and the app's state.
pub(super) fn answer_consent(
    book: &mut Book,
    form: &HashMap<String, String>,
    user: &str,
    allow: bool,
) -> String {
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let redirect_uri = field("redirect_uri");
    let state = field("state");
    let user = user.trim().to_ascii_lowercase();
    let known = book.personal_clients.contains(&field("client_id"))
        && field("code_challenge_method") == "S256"
        && book.users.contains(&user);
    let query = if allow && known {
        book.next += 1;
        let code = format!("code-{}-{}", book.next, std::process::id());
        book.codes.insert(
            code.clone(),
            Pending {
                user,
                client_id: field("client_id"),
                redirect_uri: redirect_uri.clone(),
                challenge: field("code_challenge"),
            },
        );
        serde_urlencoded::to_string([("code", code), ("state", state)])
    } else {
        serde_urlencoded::to_string([("error", "access_denied".to_string()), ("state", state)])
    };
    format!("{redirect_uri}?{}", query.unwrap_or_default())
}

/// The consent page: who signs in (the login hint), and Allow or Deny.
pub(super) async fn consent_page(
    axum::extract::Query(form): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let hidden: String = form
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                html(k),
                html(v)
            )
        })
        .collect();
    let hint = html(form.get("login_hint").map(String::as_str).unwrap_or(""));
    let body = format!(
        "<!DOCTYPE html><html><head><title>Sign in - Test provider</title></head><body>\
         <h1>Mailferry wants to read and move your mail</h1><form method=\"post\" action=\"/authorize\">{hidden}\
         <label>Account <input name=\"user\" value=\"{hint}\"></label>\
         <button name=\"decision\" value=\"allow\">Allow</button>\
         <button name=\"decision\" value=\"deny\">Deny</button></form></body></html>"
    );
    axum::response::Html(body).into_response()
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

pub(super) async fn decide(
    State(shared): State<Arc<Shared>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let user = form.get("user").cloned().unwrap_or_default();
    let allow = form.get("decision").map(String::as_str) == Some("allow");
    let location = answer_consent(&mut shared.book.lock().unwrap(), &form, &user, allow);
    axum::response::Redirect::to(&location).into_response()
}

/// The authorization code grant: the code, for its client and redirect, with the verifier
/// whose S256 is the consent's challenge (RFC 7636).
pub(super) fn code_subject(
    shared: &Shared,
    form: &HashMap<String, String>,
) -> Result<String, Refusal> {
    use base64::Engine;
    use sha2::Digest;
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let mut book = shared.book.lock().unwrap();
    let pending = book.codes.remove(field("code")).ok_or_else(|| {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Malformed auth code.",
        )
    })?;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(field("code_verifier").as_bytes()));
    if pending.client_id != field("client_id")
        || pending.redirect_uri != field("redirect_uri")
        || pending.challenge != challenge
    {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Bad code verifier or redirect.",
        ));
    }
    Ok(pending.user)
}

/// The refresh token grant; a revoked consent ends the refresh token.
pub(super) fn refresh_subject(shared: &Shared, refresh_token: &str) -> Result<String, Refusal> {
    let book = shared.book.lock().unwrap();
    match book.refresh.get(refresh_token) {
        Some(user) if !book.no_consent.contains(user) => Ok(user.clone()),
        _ => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Token has been expired or revoked.",
        )),
    }
}
