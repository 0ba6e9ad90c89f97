//! The first-run set-up code: while no administrator exists, the process makes a one-time code
//! and prints it in its log; the set-up page asks for it, so a page in the installer's browser
//! (or anyone who reaches the port first) cannot create the first administrator.

use rand::RngCore;
use subtle::ConstantTimeEq;

/// A one-time code, `XXXX-XXXX-XXXX` from an alphabet without look-alikes.
#[derive(Clone)]
pub struct SetupCode(String);

impl std::fmt::Debug for SetupCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SetupCode(***)")
    }
}

const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

impl SetupCode {
    pub fn generate() -> SetupCode {
        let mut bytes = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let chars: Vec<char> = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
        SetupCode(groups.join("-"))
    }

    /// The code as the log shows it.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// Whether `typed` is the code (case, spaces and dashes aside), in constant time.
    pub fn matches(&self, typed: &str) -> bool {
        let norm = |s: &str| -> Vec<u8> {
            s.bytes()
                .filter(|b| b.is_ascii_alphanumeric())
                .map(|b| b.to_ascii_uppercase())
                .collect()
        };
        let (want, got) = (norm(&self.0), norm(typed));
        want.len() == got.len() && bool::from(want.ct_eq(&got))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_code_matches() {
        let code = SetupCode::generate();
        assert_eq!(code.reveal().len(), 14);
        assert!(code.matches(code.reveal()));
        assert!(code.matches(&code.reveal().to_lowercase().replace('-', " ")));
        assert!(!code.matches("AAAA-AAAA-AAAA"));
        assert!(!code.matches(""));
        assert!(!format!("{code:?}").contains(code.reveal()));
    }
}
