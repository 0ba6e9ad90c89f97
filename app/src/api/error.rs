//! `AppError`: what a server function can answer instead of a result. The admin sees these words;
//! the detail of an internal failure stays in the server log.

use serde::{Deserialize, Serialize};
use server_fn_error::{FromServerFnError, ServerFnErrorErr};

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error as server_fn_error;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("Please sign in.")]
    Unauthorized,
    #[error("Wrong user name or password.")]
    BadCredentials,
    #[error("Too many attempts; try again in {retry_after_secs} s.")]
    RateLimited { retry_after_secs: u64 },
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("Something went wrong on the server; the log has the detail.")]
    Internal,
    #[error("Request failed: {0}")]
    Transport(ServerFnErrorErr),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value)
    }
}
