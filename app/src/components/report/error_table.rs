//! The report's rows, each with its suggested solution. Text from mailboxes (folder names,
//! subjects, server answers) is rendered as text, never as HTML.

use leptos::prelude::*;

use crate::components::common::format::bytes;
use crate::model::report::ErrorRow;

#[component]
pub fn ErrorTable(rows: Vec<ErrorRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty" data-testid="no-errors">"No errors match."</p> }
            .into_any();
    }
    view! {
        <table class="table" data-testid="error-table">
            <thead>
                <tr>
                    <th scope="col">"Time"</th>
                    <th scope="col">"Mailbox"</th>
                    <th scope="col">"Error"</th>
                    <th scope="col">"Detail"</th>
                    <th scope="col">"Suggested solution"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|row| {
                        let message_part = match (&row.folder, &row.subject, row.size) {
                            (None, None, None) => None,
                            (folder, subject, size) => Some(format!(
                                "{}{}{}{}",
                                folder.as_deref().map(|f| format!("Folder {f}")).unwrap_or_default(),
                                row.uid.map(|u| format!(" · UID {u}")).unwrap_or_default(),
                                subject.as_deref().map(|s| format!(" · \u{201c}{s}\u{201d}")).unwrap_or_default(),
                                size.map(|s| format!(" · {}", bytes(s))).unwrap_or_default(),
                            )),
                        };
                        let email = row.email_address.clone();
                        view! {
                            <tr data-testid="error-row" data-kind=row.kind.as_str() data-email=email>
                                <td class="nowrap">
                                    {row.time.format("%Y-%m-%d %H:%M:%S").to_string()}
                                    {row.resolved_at.map(|at| view! {
                                        <span class="muted small block" data-testid="resolved-at">
                                            {format!("resolved {}", at.format("%Y-%m-%d %H:%M:%S"))}
                                        </span>
                                    })}
                                </td>
                                <td>
                                    {row.email_address}
                                    <span class="muted small block">
                                        {format!("batch {} · row {}", row.batch, row.row_index)}
                                    </span>
                                </td>
                                <td><strong>{row.kind.title()}</strong></td>
                                <td>
                                    {row.detail}
                                    {message_part.map(|m| view! { <span class="muted small block">{m}</span> })}
                                </td>
                                <td class="solution">{row.kind.solution()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
