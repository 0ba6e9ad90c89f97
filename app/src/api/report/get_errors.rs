use leptos::prelude::*;

use crate::api::AppError;
use crate::model::report::{ErrorFilter, ErrorPage};

/// One page of the error report with the counts per kind for the filter chips.
#[server(endpoint = "report/errors")]
pub async fn get_errors(filter: ErrorFilter) -> Result<ErrorPage, AppError> {
    let (backend, _admin) = crate::backend::require_admin().await?;
    backend.errors(filter).await
}
