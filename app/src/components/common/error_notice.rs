//! How a failed server call shows: one alert, in the words of `AppError`.

use leptos::prelude::*;

use crate::api::AppError;

#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

/// The alert for an action's last result, if it failed.
pub fn failure<T>(result: Option<Result<T, AppError>>) -> Option<AnyView> {
    result
        .and_then(|r| r.err())
        .map(|error| view! { <ErrorNotice error/> }.into_any())
}
