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
use super::consent_pages;
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
        .route("/oauth/consent/{code}", get(consent_pages::start))
        .route("/oauth/callback", get(consent_pages::callback))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(backend.clone()),
            move || shell(options.clone()),
        )
        .nest_service(&pkg_path(&state), static_files(&state))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(body_limit::limit_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client_addr::tag,
        ))
        .layer(axum::middleware::from_fn(security_headers::add))
        .with_state(state)
}

/// Where the WASM bundle, its JavaScript and the style sheet are served.
fn pkg_path(state: &AppState) -> String {
    format!("/{}", state.leptos_options.site_pkg_dir)
}

/// The bundle's files, revalidated on every use (`no-cache`, answered 304 while unchanged): the
/// names carry no hash, so a new version must never be kept from a browser, and a page opened
/// again must not download the bundle again (leptos_axum's fallback drops the request's
/// conditional headers and always sends the whole file).
fn static_files(
    state: &AppState,
) -> tower_http::set_header::SetResponseHeader<
    tower_http::services::ServeDir,
    axum::http::HeaderValue,
> {
    let dir = std::path::Path::new(&*state.leptos_options.site_root)
        .join(&*state.leptos_options.site_pkg_dir);
    tower_http::set_header::SetResponseHeader::overriding(
        tower_http::services::ServeDir::new(dir)
            .precompressed_br()
            .precompressed_gzip(),
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    )
}
