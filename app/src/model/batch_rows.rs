//! Which mailbox rows of a batch the batch page shows: filtered by state and text, sorted, one
//! page at a time; carried in the page's address (`state`, `q`, `sort`, `page`), so a filter is
//! bookmarkable and works without JavaScript.

use serde::{Deserialize, Serialize};

use super::batch::MailboxState;
use super::query_string::{contains_pattern, encode, href};

/// Rows per page of the batch page.
pub const ROWS_PER_PAGE: u32 = 100;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RowSort {
    /// CSV order.
    #[default]
    Row,
    /// Failed first, then Syncing, Queued, Stopped, Synced.
    State,
    /// Least copied (by share of messages) first.
    Progress,
    /// Most data copied first.
    Size,
    /// Mailboxes with an error first, by kind.
    Errors,
}

impl RowSort {
    pub const ALL: [RowSort; 5] = [
        RowSort::Row,
        RowSort::State,
        RowSort::Progress,
        RowSort::Size,
        RowSort::Errors,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RowSort::Row => "row",
            RowSort::State => "state",
            RowSort::Progress => "progress",
            RowSort::Size => "size",
            RowSort::Errors => "errors",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RowSort::Row => "CSV row",
            RowSort::State => "State (failed first)",
            RowSort::Progress => "Progress (least first)",
            RowSort::Size => "Data copied (most first)",
            RowSort::Errors => "Errors first",
        }
    }

    pub fn parse(code: &str) -> Option<RowSort> {
        RowSort::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The rows a batch page asks for (`default`: a form-encoded filter may leave fields out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct RowFilter {
    pub state: Option<MailboxState>,
    /// Part of the e-mail address or the source user name (case-insensitive); empty = all.
    pub text: String,
    pub sort: RowSort,
    /// 0-based.
    pub page: u32,
}

/// Longest text filter kept (a pasted novel is cut, not sent to the database).
const MAX_TEXT: usize = 200;

impl RowFilter {
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> RowFilter {
        RowFilter {
            state: get("state").as_deref().and_then(MailboxState::parse),
            text: get("q").unwrap_or_default(),
            sort: get("sort")
                .as_deref()
                .and_then(RowSort::parse)
                .unwrap_or_default(),
            page: get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
        }
        .bounded()
    }

    /// The filter with its text trimmed and cut to [`MAX_TEXT`] characters: what the server
    /// uses, whoever built the filter.
    pub fn bounded(self) -> RowFilter {
        let text = self.text.trim();
        RowFilter {
            text: match text.char_indices().nth(MAX_TEXT) {
                Some((cut, _)) => text[..cut].to_string(),
                None => text.to_string(),
            },
            ..self
        }
    }

    /// The query string (without `?`), leaving out defaults.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(state) = self.state {
            parts.push(format!("state={state}"));
        }
        if !self.text.is_empty() {
            parts.push(format!("q={}", encode(&self.text)));
        }
        if self.sort != RowSort::Row {
            parts.push(format!("sort={}", self.sort.code()));
        }
        if self.page > 0 {
            parts.push(format!("page={}", self.page));
        }
        parts.join("&")
    }

    pub fn href(&self, path: &str) -> String {
        href(path, &self.to_query())
    }

    /// The same filter on another page.
    pub fn on_page(&self, page: u32) -> RowFilter {
        RowFilter {
            page,
            ..self.clone()
        }
    }

    /// The same filter for one state (or all), back on the first page.
    pub fn in_state(&self, state: Option<MailboxState>) -> RowFilter {
        RowFilter {
            state,
            page: 0,
            ..self.clone()
        }
    }

    /// The text as a LIKE pattern (see [`contains_pattern`]).
    pub fn like_pattern(&self) -> Option<String> {
        contains_pattern(&self.text)
    }
}

/// How many rows of a batch are in each state (every state, zeros included, in `ALL` order).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts(pub Vec<(MailboxState, u64)>);

impl StateCounts {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (MailboxState, u64)>) -> StateCounts {
        let pairs: Vec<(MailboxState, u64)> = pairs.into_iter().collect();
        StateCounts(
            MailboxState::ALL
                .iter()
                .map(|s| {
                    let n = pairs.iter().filter(|(p, _)| p == s).map(|(_, n)| n).sum();
                    (*s, n)
                })
                .collect(),
        )
    }

    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, n)| n).sum()
    }

    pub fn of(&self, state: MailboxState) -> u64 {
        self.0
            .iter()
            .filter(|(s, _)| *s == state)
            .map(|(_, n)| n)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(params: &[(&str, &str)]) -> RowFilter {
        RowFilter::from_params(|name| {
            params
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn round_trips_through_the_address() {
        let filter = RowFilter {
            state: Some(MailboxState::Failed),
            text: "a b@x".into(),
            sort: RowSort::Progress,
            page: 3,
        };
        assert_eq!(
            filter.to_query(),
            "state=Failed&q=a%20b%40x&sort=progress&page=3"
        );
        let parsed = parse(&[
            ("state", "Failed"),
            ("q", " a b@x "),
            ("sort", "progress"),
            ("page", "3"),
        ]);
        assert_eq!(parsed, filter);
        assert_eq!(RowFilter::default().href("/batches/1"), "/batches/1");
        assert_eq!(
            parsed.in_state(None).to_query(),
            "q=a%20b%40x&sort=progress"
        );
    }

    #[test]
    fn unknown_values_fall_back_and_long_text_is_cut() {
        let long = "x".repeat(5000);
        let parsed = parse(&[
            ("state", "Bogus"),
            ("sort", "nope"),
            ("page", "-1"),
            ("q", &long),
        ]);
        assert_eq!(parsed.state, None);
        assert_eq!(parsed.sort, RowSort::Row);
        assert_eq!(parsed.page, 0);
        assert_eq!(parsed.text.len(), MAX_TEXT);
    }

    #[test]
    fn state_counts_name_every_state() {
        let counts =
            StateCounts::from_pairs([(MailboxState::Failed, 2), (MailboxState::Synced, 5)]);
        assert_eq!(counts.0.len(), MailboxState::ALL.len());
        assert_eq!(counts.total(), 7);
        assert!(counts.0.contains(&(MailboxState::Queued, 0)));
    }
}
