//! Builds the axum router: health check, CSV downloads, static files, Leptos pages and server
//! functions.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};

use app::backend::SharedBackend;
use app::{App, shell};

use super::body_limit;
use super::client_addr;
use super::downloads;
use super::security_headers;
use super::state::AppState;
use super::web_backend::WebBackend;

async fn healthz() -> &'static str {
    "ok"
}

pub fn build(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let backend: SharedBackend = Arc::new(WebBackend {
        state: state.clone(),
    });
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/downloads/MigrationErrors.csv", get(downloads::errors_csv))
        .route(
            "/downloads/MigrationStatistics.csv",
            get(downloads::statistics_csv),
        )
        .route("/downloads/FailedRows.csv", get(downloads::failed_rows_csv))
        .route(
            "/downloads/MigrationVerification.csv",
            get(downloads::verification_csv),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(backend.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(body_limit::limit_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client_addr::tag,
        ))
        .layer(axum::middleware::from_fn(security_headers::add))
        .with_state(state)
}
