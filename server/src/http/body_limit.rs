//! Request body limits: a server function takes at most 64 KiB, the CSV upload its file limit
//! and a little for the form around it. A body announced larger is refused with 413 before a
//! byte of it is read; a body that grows past the limit without announcing its length (chunked)
//! fails when it reaches it. The server's memory never holds more than the limit per request.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::Limited;

use app::api::batches::MAX_UPLOAD_BYTES;

/// Server functions: forms of a few fields.
pub(crate) const SERVER_FUNCTION_BYTES: usize = 64 * 1024;
/// The new-batch form: its CSV file and the fields beside it.
pub(crate) const UPLOAD_BYTES: usize = MAX_UPLOAD_BYTES + 64 * 1024;

fn limit_for(path: &str) -> usize {
    if path.ends_with("/batches/upload") {
        UPLOAD_BYTES
    } else {
        SERVER_FUNCTION_BYTES
    }
}

pub(crate) async fn limit_body(request: Request, next: Next) -> Response {
    let limit = limit_for(request.uri().path());
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        let text = format!("The request is larger than {} KiB.", limit / 1024);
        let mut refusal = (StatusCode::PAYLOAD_TOO_LARGE, text).into_response();
        // The unread body stays on the connection: close it.
        refusal.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        return refusal;
    }
    let (parts, body) = request.into_parts();
    let limited = Request::from_parts(parts, Body::new(Limited::new(body, limit)));
    next.run(limited).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_has_its_own_limit() {
        assert_eq!(limit_for("/api/batches/upload"), UPLOAD_BYTES);
        assert_eq!(limit_for("/api/auth/sign_in"), SERVER_FUNCTION_BYTES);
    }
}
