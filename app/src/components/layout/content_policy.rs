//! The Content-Security-Policy of the pages: scripts run only when they carry this page's nonce
//! (Leptos puts it on its hydration and streaming scripts) or were loaded by such a script, so
//! markup injected into a page cannot run code; styles come only from the stylesheet.

/// The policy for a page rendered with `nonce`.
pub fn policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
         object-src 'none'; base-uri 'self'; form-action 'self'"
    )
}

/// Sends the policy with this render's nonce as the page's header (server side; the security
/// headers layer gives answers without one its strict default).
pub fn announce() {
    #[cfg(feature = "ssr")]
    if let Some(nonce) = leptos::nonce::use_nonce()
        && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(value) = http::HeaderValue::from_str(&policy(&nonce))
    {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_need_the_nonce_and_styles_the_stylesheet() {
        let policy = super::policy("abc");
        assert!(policy.contains("script-src 'nonce-abc' 'strict-dynamic'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("style-src 'self';"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }
}
