//! The audit page's filter as it sits in the address (bookmarkable, works without JavaScript).

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::BatchId;
use crate::model::audit::{AuditAction, AuditFilter};
use crate::model::query_string::encode;

/// A day (`2026-12-24`) as the start of that day, UTC.
fn day(text: &str) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// The filter of the parameters `param` gives (`admin`, `action`, `batch`, `from`, `to` — both
/// days, `to` included — and `before`, the paging cursor).
pub fn filter_from(param: impl Fn(&str) -> Option<String>) -> AuditFilter {
    let text = |name: &str| param(name).filter(|v| !v.trim().is_empty());
    AuditFilter {
        admin: text("admin"),
        action: text("action").and_then(|a| AuditAction::parse(&a)),
        batch: text("batch")
            .and_then(|b| b.trim().parse().ok())
            .map(BatchId),
        since: text("from").and_then(|d| day(&d)),
        until: text("to")
            .and_then(|d| day(&d))
            .map(|d| d + chrono::Duration::days(1)),
        before: text("before").and_then(|b| b.parse().ok()),
    }
}

/// The last day the filter includes (its `to`): `until` is the start of the day after.
pub fn last_day(filter: &AuditFilter) -> Option<DateTime<Utc>> {
    filter.until.map(|until| until - chrono::Duration::days(1))
}

/// The address of `filter` (without `before`), for links.
pub fn href(filter: &AuditFilter, before: Option<i64>) -> String {
    let mut parts = Vec::new();
    let mut add = |name: &str, value: String| {
        parts.push(format!("{name}={}", encode(&value)));
    };
    if let Some(admin) = &filter.admin {
        add("admin", admin.clone());
    }
    if let Some(action) = filter.action {
        add("action", action.as_str().to_string());
    }
    if let Some(batch) = filter.batch {
        add("batch", batch.to_string());
    }
    if let Some(since) = filter.since {
        add("from", since.format("%Y-%m-%d").to_string());
    }
    if let Some(day) = last_day(filter) {
        add("to", day.format("%Y-%m-%d").to_string());
    }
    if let Some(before) = before {
        add("before", before.to_string());
    }
    crate::model::query_string::href("/audit", &parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_round_trips() {
        let params = [
            ("admin", "ann@example.org"),
            ("action", "batch_started"),
            ("batch", "7"),
            ("from", "2026-12-01"),
            ("to", "2026-12-02"),
        ];
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        let filter = filter_from(get);
        assert_eq!(filter.admin.as_deref(), Some("ann@example.org"));
        assert_eq!(filter.action, Some(AuditAction::BatchStarted));
        assert_eq!(filter.batch, Some(BatchId(7)));
        assert_eq!(
            filter.until.unwrap() - filter.since.unwrap(),
            chrono::Duration::days(2)
        );
        assert_eq!(
            href(&filter, Some(9)),
            "/audit?admin=ann%40example.org&action=batch_started&batch=7&from=2026-12-01&to=2026-12-02&before=9"
        );
        assert_eq!(filter_from(|_| Some("nonsense".into())).action, None);
    }
}
