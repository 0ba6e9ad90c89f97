//! Modified UTF-7 folder names (RFC 3501 §5.1.3). Wire names stay the identity of a folder;
//! decoding is for display and for matching localized special-use names. Strict: malformed input
//! is an error, never a panic.

use base64::Engine;
use base64::alphabet::Alphabet;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};

fn engine() -> GeneralPurpose {
    let alphabet =
        Alphabet::new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")
            .expect("the modified UTF-7 alphabet has 64 distinct characters");
    GeneralPurpose::new(
        &alphabet,
        GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    )
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("folder name is not valid modified UTF-7: {0:?}")]
pub struct Utf7Error(pub String);

pub fn decode(wire: &str) -> Result<String, Utf7Error> {
    let err = || Utf7Error(wire.chars().take(100).collect());
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('-').ok_or_else(err)?;
        let encoded = &after[..end];
        if encoded.is_empty() {
            out.push('&');
        } else {
            let bytes = engine().decode(encoded).map_err(|_| err())?;
            if bytes.len() % 2 != 0 {
                return Err(err());
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            out.push_str(&String::from_utf16(&units).map_err(|_| err())?);
        }
        rest = &after[end + 1..];
    }
    if !rest.is_ascii() {
        return Err(err());
    }
    out.push_str(rest);
    Ok(out)
}

pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if !pending.is_empty() {
            let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&engine().encode(bytes));
            out.push('-');
            pending.clear();
        }
    };
    for c in text.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names() {
        let cases = [
            ("INBOX", "INBOX"),
            ("Entw&APw-rfe", "Entwürfe"),
            ("&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-", "Отправленные"),
            ("Tom &- Jerry", "Tom & Jerry"),
            ("&ZeVnLIqe-", "日本語"),
            ("&2D3eAA-", "😀"),
        ];
        for (wire, text) in cases {
            assert_eq!(decode(wire).unwrap(), text, "{wire}");
            assert_eq!(encode(text), wire, "{text}");
        }
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in ["&", "&Jjo", "&A-", "caf\u{e9}", "&2D0-", "&,,,,-"] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }
}
