//! The report's filter as URL query parameters (`batch`, `kind`, `q`, `resolved`, `sort`,
//! `page`) and back.

use crate::ErrorKind;
use crate::ids::BatchId;
use crate::model::query_string::encode;
use crate::model::report::{ErrorCursor, ErrorFilter, ErrorRow, ErrorSort};

pub const PER_PAGE: u32 = 50;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportQuery {
    pub batch: Option<BatchId>,
    pub kinds: Vec<ErrorKind>,
    pub search: String,
    /// Also the errors a later pass overcame.
    pub resolved: bool,
    pub sort: ErrorSort,
    pub page: u32,
    /// Keyset paging: the page after / before this row (`page` is then the number shown).
    pub after: Option<ErrorCursor>,
    pub before: Option<ErrorCursor>,
}

fn sort_code(sort: ErrorSort) -> &'static str {
    match sort {
        ErrorSort::NewestFirst => "newest",
        ErrorSort::OldestFirst => "oldest",
        ErrorSort::ByMailbox => "mailbox",
    }
}

impl ReportQuery {
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        ReportQuery {
            batch: get("batch")
                .and_then(|b| b.trim().parse().ok())
                .map(BatchId),
            kinds: get("kind")
                .unwrap_or_default()
                .split(',')
                .filter_map(ErrorKind::parse)
                .collect(),
            search: get("q").unwrap_or_default().trim().to_string(),
            resolved: get("resolved").as_deref() == Some("1"),
            sort: match get("sort").as_deref() {
                Some("oldest") => ErrorSort::OldestFirst,
                Some("mailbox") => ErrorSort::ByMailbox,
                _ => ErrorSort::NewestFirst,
            },
            page: get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
            after: get("after").as_deref().and_then(ErrorCursor::from_param),
            before: get("before").as_deref().and_then(ErrorCursor::from_param),
        }
    }

    /// The page after this one (its last row given), or before it (its first row).
    pub fn next_page(&self, last: &ErrorRow) -> ReportQuery {
        ReportQuery {
            page: self.page + 1,
            after: Some(ErrorCursor::of(last, self.sort)),
            before: None,
            ..self.clone()
        }
    }

    pub fn previous_page(&self, first: &ErrorRow) -> ReportQuery {
        let page = self.page.saturating_sub(1);
        ReportQuery {
            page,
            after: None,
            // The first page is the first page, however it was reached.
            before: (page > 0).then(|| ErrorCursor::of(first, self.sort)),
            ..self.clone()
        }
    }

    pub fn filter(&self) -> ErrorFilter {
        ErrorFilter {
            batch: self.batch,
            kinds: self.kinds.clone(),
            mailbox: (!self.search.is_empty()).then(|| self.search.clone()),
            resolved_too: self.resolved,
            sort: self.sort,
            page: self.page,
            per_page: PER_PAGE,
            after: self.after.clone(),
            before: self.before.clone(),
            ..ErrorFilter::default()
        }
    }

    /// The query string (without `?`) for the filter, leaving out defaults.
    pub fn to_query(&self) -> String {
        let mut parts = self.filter_params("q");
        if self.sort != ErrorSort::NewestFirst {
            parts.push(format!("sort={}", sort_code(self.sort)));
        }
        if self.page > 0 {
            parts.push(format!("page={}", self.page));
        }
        for (name, cursor) in [("after", &self.after), ("before", &self.before)] {
            if let Some(cursor) = cursor {
                parts.push(format!("{name}={}", encode(&cursor.to_param())));
            }
        }
        parts.join("&")
    }

    pub fn href(&self, path: &str) -> String {
        crate::model::query_string::href(path, &self.to_query())
    }

    /// `batch`, `kind` and the search (named `search_key`) as query parameters.
    fn filter_params(&self, search_key: &str) -> Vec<String> {
        let mut parts = Vec::new();
        if let Some(batch) = self.batch {
            parts.push(format!("batch={batch}"));
        }
        if !self.kinds.is_empty() {
            let kinds: Vec<&str> = self.kinds.iter().map(|k| k.as_str()).collect();
            parts.push(format!("kind={}", kinds.join(",")));
        }
        if !self.search.is_empty() {
            parts.push(format!("{search_key}={}", encode(&self.search)));
        }
        if self.resolved {
            parts.push("resolved=1".into());
        }
        parts
    }

    /// The same filter with the resolved errors shown or hidden, back on the first page.
    pub fn with_resolved(&self, resolved: bool) -> ReportQuery {
        ReportQuery {
            resolved,
            page: 0,
            after: None,
            before: None,
            ..self.clone()
        }
    }

    /// The same filter with `kind` switched on or off, back on the first page.
    pub fn toggled(&self, kind: ErrorKind) -> ReportQuery {
        let mut next = self.clone();
        if let Some(at) = next.kinds.iter().position(|k| *k == kind) {
            next.kinds.remove(at);
        } else {
            next.kinds.push(kind);
        }
        next.page = 0;
        next.after = None;
        next.before = None;
        next
    }

    /// MigrationErrors.csv of exactly these rows (batch, kinds and mailbox search).
    pub fn download_href(&self) -> String {
        let parts = self.filter_params("mailbox");
        match parts.is_empty() {
            true => "/downloads/MigrationErrors.csv".into(),
            false => format!("/downloads/MigrationErrors.csv?{}", parts.join("&")),
        }
    }

    pub fn sort_code(&self) -> &'static str {
        sort_code(self.sort)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_address() {
        let query = ReportQuery {
            batch: Some(BatchId(3)),
            kinds: vec![ErrorKind::SourceSignInFailed],
            search: "a b@x".into(),
            resolved: true,
            sort: ErrorSort::ByMailbox,
            page: 2,
            after: Some(ErrorCursor {
                key: "a.b@x".into(),
                id: 7,
            }),
            before: None,
        };
        assert_eq!(
            query.to_query(),
            "batch=3&kind=source_sign_in_failed&q=a%20b%40x&resolved=1&sort=mailbox&page=2&after=7.a.b%40x"
        );
        let params = [
            ("batch", "3"),
            ("kind", "source_sign_in_failed,bogus"),
            ("q", "a b@x"),
            ("resolved", "1"),
            ("sort", "mailbox"),
            ("page", "2"),
            ("after", "7.a.b@x"),
        ];
        let parsed = ReportQuery::from_params(|name| {
            params
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        });
        assert_eq!(parsed, query);
        assert_eq!(
            parsed.download_href(),
            "/downloads/MigrationErrors.csv?batch=3&kind=source_sign_in_failed&mailbox=a%20b%40x&resolved=1"
        );
        let toggled = parsed.toggled(ErrorKind::SourceSignInFailed);
        assert!(toggled.kinds.is_empty());
        assert_eq!((toggled.page, toggled.after), (0, None));
    }
}
