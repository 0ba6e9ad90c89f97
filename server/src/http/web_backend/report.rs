//! The error report page's side of the backend.

use app::api::AppError;
use app::model::report::{ErrorFilter, ErrorPage};

use super::{WebBackend, internal};
use crate::report::error_query;

/// Rows per page when the page asks for none (or too many).
const DEFAULT_PER_PAGE: u32 = 50;

impl WebBackend {
    pub(super) async fn error_page(&self, mut filter: ErrorFilter) -> Result<ErrorPage, AppError> {
        if filter.per_page == 0 || filter.per_page > 500 {
            filter.per_page = DEFAULT_PER_PAGE;
        }
        error_query::query(&self.state.db, &filter)
            .await
            .map_err(internal)
    }
}
