//! Repairs of a message that a destination refused as the source stores it. Byte identity is
//! the rule: these run only after a refusal, and every change is named for the report.

/// Longest line RFC 5322 allows (without its CRLF).
const MAX_LINE: usize = 998;

/// The repaired message and what was changed, or `None` when nothing here would change it.
pub(crate) fn repair(body: &[u8]) -> Option<(Vec<u8>, Vec<String>)> {
    let mut changes = Vec::new();
    let nuls = body.iter().filter(|b| **b == 0).count();
    let mut out: Vec<u8> = body.iter().copied().filter(|b| *b != 0).collect();
    if nuls > 0 {
        changes.push(format!("{nuls} NUL byte(s) removed"));
    }
    let (crlf, bare) = crlf_lines(&out);
    if bare > 0 {
        changes.push(format!("{bare} bare line feed(s) made CRLF"));
        out = crlf;
    }
    let head_end = find(&out, b"\r\n\r\n").unwrap_or(out.len());
    let eight_bit = out[..head_end].iter().filter(|b| **b >= 0x80).count();
    if eight_bit > 0 {
        for b in &mut out[..head_end] {
            if *b >= 0x80 {
                *b = b'?';
            }
        }
        changes.push(format!(
            "{eight_bit} raw 8-bit header byte(s) replaced with '?'"
        ));
    }
    let (wrapped, long) = wrap_long_lines(&out);
    if long > 0 {
        changes.push(format!("{long} line(s) over {MAX_LINE} octets wrapped"));
        out = wrapped;
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
        changes.push("a final CRLF added".into());
    }
    (!changes.is_empty()).then_some((out, changes))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Every LF without a CR before it gets one; how many did.
fn crlf_lines(body: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(body.len() + 16);
    let mut bare = 0;
    for (i, b) in body.iter().enumerate() {
        if *b == b'\n' && (i == 0 || body[i - 1] != b'\r') {
            out.push(b'\r');
            bare += 1;
        }
        out.push(*b);
    }
    (out, bare)
}

/// Lines over the limit broken with CRLF every MAX_LINE octets; how many lines were.
fn wrap_long_lines(body: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(body.len() + 64);
    let mut long = 0;
    for line in body.split_inclusive(|b| *b == b'\n') {
        let content = line.strip_suffix(b"\r\n").unwrap_or(line);
        if content.len() <= MAX_LINE {
            out.extend_from_slice(line);
            continue;
        }
        long += 1;
        for (i, piece) in content.chunks(MAX_LINE).enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(piece);
        }
        out.extend_from_slice(&line[content.len()..]);
    }
    (out, long)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_what_servers_refuse_and_names_it() {
        assert_eq!(
            repair(b"Subject: ok\r\n\r\nfine\r\n"),
            None,
            "nothing to repair"
        );
        let (out, changes) = repair(b"Subject: lf\n\nbare\nlines\n").unwrap();
        assert_eq!(out, b"Subject: lf\r\n\r\nbare\r\nlines\r\n");
        assert_eq!(changes, vec!["4 bare line feed(s) made CRLF"]);
        let (out, changes) = repair(b"Subject: nul\r\n\r\na\0b\r\n").unwrap();
        assert_eq!(out, b"Subject: nul\r\n\r\nab\r\n");
        assert_eq!(changes, vec!["1 NUL byte(s) removed"]);
        let (out, _) = repair(b"Subject: caf\xc3\xa9\r\n\r\ncaf\xc3\xa9\r\n").unwrap();
        assert_eq!(
            out, b"Subject: caf??\r\n\r\ncaf\xc3\xa9\r\n",
            "the body keeps its bytes"
        );
        let (out, changes) = repair(b"Subject: end\r\n\r\nno end").unwrap();
        assert!(out.ends_with(b"no end\r\n"));
        assert_eq!(changes, vec!["a final CRLF added"]);
        let mut long = b"Subject: long\r\n\r\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', 2_500));
        long.extend_from_slice(b"\r\n");
        let (out, changes) = repair(&long).unwrap();
        assert!(out.split(|b| *b == b'\n').all(|l| l.len() <= MAX_LINE + 1));
        assert_eq!(out.iter().filter(|b| **b == b'x').count(), 2_500);
        assert_eq!(changes, vec!["1 line(s) over 998 octets wrapped"]);
    }
}
