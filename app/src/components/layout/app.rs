//! The HTML shell and the routes.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use crate::components::admins::{admins_page::AdminsPage, invite_page::InvitePage};
use crate::components::audit::audit_page::AuditTrailPage;
use crate::components::auth::{setup_page::SetupPage, sign_in_page::SignInPage};
use crate::components::batches::{batch_page::BatchPage, new_batch_page::NewBatchPage};
use crate::components::dashboard::dashboard_page::DashboardPage;
use crate::components::endpoints::endpoints_page::EndpointsPage;
use crate::components::mailboxes::mailbox_page::MailboxPage;
use crate::components::report::errors_page::ErrorsPage;
use crate::components::settings::settings_page::SettingsPage;

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    super::content_policy::announce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Pages are complete HTML even with JavaScript off: public pages stream in order, pages behind
/// the sign-in render whole (`Async`) so a stranger gets a real 302 to the sign-in page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: the marker tells tests (and styles) that WASM is live.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Stylesheet id="leptos" href="/pkg/mailferry.css"/>
        <Title text="Mailferry"/>
        <div id="app" data-hydrated=move || hydrated.get().to_string()>
        <Router>
            <Routes fallback=|| view! { <main class="page"><h1>"Page not found"</h1></main> }>
                <Route path=StaticSegment("") view=DashboardPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("batches"), StaticSegment("new")) view=NewBatchPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("batches"), ParamSegment("id")) view=BatchPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("mailboxes"), ParamSegment("id")) view=MailboxPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("errors") view=ErrorsPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("endpoints") view=EndpointsPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("settings") view=SettingsPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("admins") view=AdminsPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("audit") view=AuditTrailPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("invite"), ParamSegment("token")) view=InvitePage ssr=SsrMode::Async/>
                <Route path=StaticSegment("sign-in") view=SignInPage ssr=SsrMode::InOrder/>
                <Route path=StaticSegment("setup") view=SetupPage ssr=SsrMode::InOrder/>
            </Routes>
        </Router>
        </div>
    }
}
