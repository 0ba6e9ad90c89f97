//! What the pages' filters share: their values in an address, and a search text as a SQL LIKE
//! pattern.

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `path` with a query string (none when it is empty).
pub fn href(path: &str, query: &str) -> String {
    match query {
        "" => path.to_string(),
        query => format!("{path}?{query}"),
    }
}

/// "Contains `text`, any case" as a LIKE pattern over a lower-cased column: `%`, `_` and `\`
/// escaped with `\` (the query says `ESCAPE '\'`); `None` for no text.
pub fn contains_pattern(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Some(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_wildcards_and_addresses_encode() {
        assert_eq!(
            contains_pattern("50%_A\\").as_deref(),
            Some("%50\\%\\_a\\\\%")
        );
        assert_eq!(contains_pattern(""), None);
        assert_eq!(encode("a b@x"), "a%20b%40x");
        assert_eq!(href("/p", ""), "/p");
        assert_eq!(href("/p", "a=1"), "/p?a=1");
    }
}
