//! The personal, other users' and shared namespaces of a session (RFC 2342 NAMESPACE). async-imap
//! cannot parse the answer, so the command is read raw ([`ImapSession::run_raw`]) and parsed
//! here; without the capability the personal prefix is inferred from the folder list.

use super::error::ImapError;
use super::reply::ListEntry;
use super::session::ImapSession;

/// One namespace: its prefix (`INBOX.`, `#shared.`, ``) and hierarchy delimiter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    pub prefix: String,
    pub delimiter: Option<char>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Namespaces {
    /// The user's own folders; `None` when the server says NIL (Cyrus, for a user without a
    /// mailbox).
    pub personal: Option<Namespace>,
    pub other_users: Vec<Namespace>,
    pub shared: Vec<Namespace>,
}

/// Where a folder belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Belongs {
    Personal,
    OtherUsers,
    Shared,
}

impl Namespaces {
    /// Which namespace `name` lies in: the longest matching prefix (INBOX is always personal).
    pub fn of(&self, name: &str) -> Belongs {
        if name.eq_ignore_ascii_case("INBOX") {
            return Belongs::Personal;
        }
        let mut best: Option<(usize, Belongs)> = None;
        let personal = self.personal.iter().map(|n| (n, Belongs::Personal));
        let others = self.other_users.iter().map(|n| (n, Belongs::OtherUsers));
        let shared = self.shared.iter().map(|n| (n, Belongs::Shared));
        for (ns, belongs) in personal.chain(others).chain(shared) {
            let len = ns.prefix.len();
            let matches = name.starts_with(&ns.prefix)
                || (len > 0 && name == ns.prefix.trim_end_matches(|c| Some(c) == ns.delimiter));
            if matches && best.is_none_or(|(b, _)| len > b) {
                best = Some((len, belongs));
            }
        }
        best.map_or(Belongs::Personal, |(_, b)| b)
    }

    /// The personal prefix, `""` when there is none.
    pub fn personal_prefix(&self) -> &str {
        self.personal.as_ref().map_or("", |n| n.prefix.as_str())
    }
}

/// The session's namespaces: NAMESPACE where offered, else inferred from `folders` (every
/// folder but INBOX under `INBOX` + delimiter means the prefix `INBOX.`, as on Cyrus and
/// Courier; anything else means no prefix).
pub async fn namespaces(
    session: &mut ImapSession,
    folders: &[ListEntry],
) -> Result<Namespaces, ImapError> {
    if session.has_capability("NAMESPACE") {
        let (lines, _) = session.run_raw("NAMESPACE", 16 * 1024).await?;
        let line = lines
            .iter()
            .find_map(|l| l.strip_prefix("* NAMESPACE "))
            .ok_or_else(|| ImapError::Protocol("NAMESPACE: no namespace in the answer".into()))?;
        return parse(line).map_err(|e| {
            ImapError::Protocol(format!("NAMESPACE: {e}: {}", super::session::clip(line)))
        });
    }
    Ok(inferred(folders))
}

fn inferred(folders: &[ListEntry]) -> Namespaces {
    let delimiter = folders
        .iter()
        .find_map(|f| f.delimiter.as_deref()?.chars().next());
    let prefix = delimiter.map(|d| format!("INBOX{d}"));
    let all_under_inbox = prefix.as_ref().is_some_and(|p| {
        let mut others = folders
            .iter()
            .filter(|f| !f.name.eq_ignore_ascii_case("INBOX"))
            .peekable();
        others.peek().is_some() && others.all(|f| f.name.starts_with(p.as_str()))
    });
    Namespaces {
        personal: Some(Namespace {
            prefix: if all_under_inbox {
                prefix.unwrap_or_default()
            } else {
                String::new()
            },
            delimiter,
        }),
        ..Namespaces::default()
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Open,
    Close,
    Nil,
    Text(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' => {}
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next().ok_or("an unclosed string")? {
                        '"' => break,
                        '\\' => s.push(chars.next().ok_or("an unclosed string")?),
                        other => s.push(other),
                    }
                }
                out.push(Token::Text(s));
            }
            _ => {
                let mut atom = String::from(c);
                while let Some(&n) = chars.peek().filter(|n| !matches!(n, ' ' | '(' | ')')) {
                    atom.push(n);
                    chars.next();
                }
                out.push(if atom.eq_ignore_ascii_case("NIL") {
                    Token::Nil
                } else {
                    Token::Text(atom)
                });
            }
        }
    }
    Ok(out)
}

/// One of the three parts: NIL or a list of `(prefix delimiter extensions…)`.
fn group(
    tokens: &mut std::iter::Peekable<std::vec::IntoIter<Token>>,
) -> Result<Vec<Namespace>, String> {
    match tokens.next() {
        Some(Token::Nil) => return Ok(Vec::new()),
        Some(Token::Open) => {}
        other => return Err(format!("expected NIL or a list, found {other:?}")),
    }
    let mut out = Vec::new();
    loop {
        match tokens.next() {
            Some(Token::Close) => return Ok(out),
            Some(Token::Open) => {}
            other => return Err(format!("expected a namespace, found {other:?}")),
        }
        let Some(Token::Text(prefix)) = tokens.next() else {
            return Err("a namespace without a prefix".into());
        };
        let delimiter = match tokens.next() {
            Some(Token::Nil) => None,
            Some(Token::Text(d)) => d.chars().next(),
            other => return Err(format!("expected a delimiter, found {other:?}")),
        };
        // Extensions (RFC 2342 section 5): skipped to the namespace's closing parenthesis.
        let mut depth = 0;
        loop {
            match tokens.next().ok_or("an unclosed namespace")? {
                Token::Open => depth += 1,
                Token::Close if depth == 0 => break,
                Token::Close => depth -= 1,
                _ => {}
            }
        }
        out.push(Namespace { prefix, delimiter });
    }
}

/// Parses what follows `* NAMESPACE `.
pub fn parse(text: &str) -> Result<Namespaces, String> {
    let mut tokens = tokens(text)?.into_iter().peekable();
    let personal = group(&mut tokens)?;
    let other_users = group(&mut tokens)?;
    let shared = group(&mut tokens)?;
    Ok(Namespaces {
        personal: personal.into_iter().next(),
        other_users,
        shared,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(prefix: &str, delimiter: char) -> Namespace {
        Namespace {
            prefix: prefix.into(),
            delimiter: Some(delimiter),
        }
    }

    #[test]
    fn servers_answers() {
        let cyrus = parse(r#"(("INBOX." ".")) (("user." ".")) (("" "."))"#).unwrap();
        assert_eq!(cyrus.personal, Some(ns("INBOX.", '.')));
        assert_eq!(cyrus.other_users, vec![ns("user.", '.')]);
        assert_eq!(cyrus.of("INBOX.Sent"), Belongs::Personal);
        assert_eq!(cyrus.of("user.bob.Sent"), Belongs::OtherUsers);
        assert_eq!(cyrus.of("Public"), Belongs::Shared);
        assert_eq!(cyrus.of("INBOX"), Belongs::Personal);
        let courier = parse(r##"(("INBOX." ".")) NIL (("#shared." ".")("shared." "."))"##).unwrap();
        assert_eq!(courier.shared.len(), 2);
        assert_eq!(courier.of("#shared.user1.Sent"), Belongs::Shared);
        let dovecot = parse(r#"(("" "/")) NIL NIL"#).unwrap();
        assert_eq!(dovecot.personal_prefix(), "");
        assert_eq!(dovecot.of("Archive/2020"), Belongs::Personal);
        let nobody = parse(r#"NIL (("user." ".")) (("" "."))"#).unwrap();
        assert_eq!(nobody.personal, None);
        let extended =
            parse(r#"(("" "/" "X-PARAM" ("FLAG1" "FLAG2"))) NIL (("Public Folders/" "/"))"#)
                .unwrap();
        assert_eq!(extended.shared, vec![ns("Public Folders/", '/')]);
        assert_eq!(extended.of("Public Folders"), Belongs::Shared);
        assert!(parse("garbage").is_err());
        assert!(parse(r#"(("INBOX." "#).is_err());
    }

    #[test]
    fn inferred_from_the_folder_list() {
        let entry = |name: &str| ListEntry {
            name: name.into(),
            delimiter: Some(".".into()),
            attributes: vec![],
        };
        let under = inferred(&[entry("INBOX"), entry("INBOX.Sent"), entry("INBOX.a.b")]);
        assert_eq!(under.personal_prefix(), "INBOX.");
        let top = inferred(&[entry("INBOX"), entry("Sent")]);
        assert_eq!(top.personal_prefix(), "");
        assert_eq!(inferred(&[entry("INBOX")]).personal_prefix(), "");
    }
}
