//! Quoted strings of IMAP commands.

/// Quotes a string for an IMAP command (RFC 3501 quoted string); refuses CR/LF, which a quoted
/// string cannot hold (the caller uses a literal then).
pub fn quote(text: &str) -> Option<String> {
    if text.contains(['\r', '\n', '\0']) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting() {
        assert_eq!(super::quote(r#"a"b\c"#).unwrap(), r#""a\"b\\c""#);
        assert_eq!(super::quote("INBOX/Sub").unwrap(), "\"INBOX/Sub\"");
        assert!(super::quote("x\r\ny").is_none());
    }
}
