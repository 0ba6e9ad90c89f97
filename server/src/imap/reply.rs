//! Owned copies of the server responses the engine uses, taken out of async-imap's parse buffer
//! (its `ResponseData` type cannot be named outside the crate). A big message body is not
//! copied: the session hands over the parse buffer itself (see [`Reply::parse`]).

use async_imap::imap_proto::{
    AttributeValue, MailboxDatum, NameAttribute, Response, ResponseCode, Status,
};

use bytes::Bytes;

use super::response_code::ResponseCode as Code;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaggedStatus {
    Ok,
    No,
    Bad,
}

/// One FETCH response's attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchData {
    pub seq: u32,
    pub uid: Option<u32>,
    pub flags: Option<Vec<String>>,
    pub internal_date: Option<String>,
    pub size: Option<u32>,
    /// `BODY[]` (the whole message).
    pub body: Option<Bytes>,
    /// `BODY[HEADER.FIELDS (...)]`.
    pub header_fields: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// The wire (modified UTF-7) name.
    pub name: String,
    pub delimiter: Option<String>,
    /// Attributes, e.g. `\Noselect`, `\Sent`, `\HasChildren`.
    pub attributes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Done {
        tag: String,
        status: TaggedStatus,
        code: Option<Code>,
        text: String,
        append_uid: Option<(u32, Vec<(u32, u32)>)>,
    },
    Continue,
    Bye {
        code: Option<Code>,
        text: String,
    },
    /// An untagged OK/NO/BAD; select responses carry their data in `code`.
    Untagged {
        status: TaggedStatus,
        code: Option<UntaggedCode>,
        text: String,
    },
    Fetch(FetchData),
    List(ListEntry),
    Exists(u32),
    Flags(Vec<String>),
    Search(Vec<u32>),
    Capabilities(Vec<String>),
    Expunge(u32),
    /// `* VANISHED [(EARLIER)] uids` (QRESYNC): UIDs expunged; `earlier` = before this command.
    Vanished {
        earlier: bool,
        uids: Vec<std::ops::RangeInclusive<u32>>,
    },
    /// `* STATUS name (…)`: the attributes asked for.
    Status(StatusData),
    /// `* ACL name identifier rights …`: the identifiers.
    Acl(Vec<String>),
    /// `* QUOTA root (STORAGE used limit …)`: the storage resource, in KiB (RFC 9208).
    Quota {
        storage_used_kib: Option<u64>,
        storage_limit_kib: Option<u64>,
    },
    Other,
}

/// A STATUS answer's attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusData {
    pub messages: Option<u32>,
    pub uidnext: Option<u32>,
    pub uidvalidity: Option<u32>,
    pub highest_modseq: Option<u64>,
}

fn status_data(attributes: &[async_imap::imap_proto::StatusAttribute]) -> Reply {
    use async_imap::imap_proto::StatusAttribute as A;
    let mut data = StatusData::default();
    for attribute in attributes {
        match attribute {
            A::Messages(n) => data.messages = Some(*n),
            A::UidNext(n) => data.uidnext = Some(*n),
            A::UidValidity(n) => data.uidvalidity = Some(*n),
            A::HighestModSeq(n) => data.highest_modseq = Some(*n),
            _ => {}
        }
    }
    Reply::Status(data)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UntaggedCode {
    UidValidity(u32),
    UidNext(u32),
    PermanentFlags(Vec<String>),
    HighestModSeq(u64),
    ReadOnly,
    Other(String),
}

fn status(s: &Status) -> TaggedStatus {
    match s {
        Status::Ok | Status::PreAuth => TaggedStatus::Ok,
        Status::No => TaggedStatus::No,
        Status::Bad | Status::Bye => TaggedStatus::Bad,
    }
}

fn name_attribute(attr: &NameAttribute<'_>) -> String {
    match attr {
        NameAttribute::NoInferiors => "\\Noinferiors".into(),
        NameAttribute::NoSelect => "\\Noselect".into(),
        NameAttribute::Marked => "\\Marked".into(),
        NameAttribute::Unmarked => "\\Unmarked".into(),
        NameAttribute::All => "\\All".into(),
        NameAttribute::Archive => "\\Archive".into(),
        NameAttribute::Drafts => "\\Drafts".into(),
        NameAttribute::Flagged => "\\Flagged".into(),
        NameAttribute::Junk => "\\Junk".into(),
        NameAttribute::Sent => "\\Sent".into(),
        NameAttribute::Trash => "\\Trash".into(),
        NameAttribute::Extension(other) => other.to_string(),
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    }
}

fn uid_set(members: &[async_imap::imap_proto::rfc4315::UidSetMember]) -> Vec<(u32, u32)> {
    use async_imap::imap_proto::rfc4315::UidSetMember;
    members
        .iter()
        .map(|m| match m {
            UidSetMember::Uid(u) => (*u, *u),
            UidSetMember::UidRange(r) => (*r.start(), *r.end()),
        })
        .collect()
}

fn information(outcome: &async_imap::imap_proto::Outcome<'_>) -> String {
    outcome
        .information
        .as_deref()
        .unwrap_or_default()
        .to_string()
}

/// A tagged completion: its code from the text (async-imap parses only a few), else from the
/// parser, and the APPENDUID of an APPEND.
fn done(
    tag: &async_imap::imap_proto::RequestId,
    s: &Status,
    outcome: &async_imap::imap_proto::Outcome<'_>,
) -> Reply {
    let text = information(outcome);
    let append_uid = match &outcome.code {
        Some(ResponseCode::AppendUid(validity, set)) => Some((*validity, uid_set(set))),
        _ => None,
    };
    let code = Code::of_text(&text).or_else(|| {
        outcome.code.as_ref().map(|c| match c {
            ResponseCode::AppendUid(..) => Code::AppendUid,
            ResponseCode::TryCreate => Code::TryCreate,
            ResponseCode::Alert => Code::Alert,
            ResponseCode::Parse => Code::Parse,
            ResponseCode::ReadOnly => Code::ReadOnly,
            other => Code::from_name(&format!("{other:?}")),
        })
    });
    Reply::Done {
        tag: tag.0.clone(),
        status: status(s),
        code,
        text,
        append_uid,
    }
}

/// An untagged OK/NO/BAD; SELECT's data (UIDVALIDITY, UIDNEXT, PERMANENTFLAGS) comes as its code.
fn untagged(s: &Status, outcome: &async_imap::imap_proto::Outcome<'_>) -> Reply {
    let code = outcome.code.as_ref().map(|c| match c {
        ResponseCode::UidValidity(v) => UntaggedCode::UidValidity(*v),
        ResponseCode::UidNext(v) => UntaggedCode::UidNext(*v),
        ResponseCode::PermanentFlags(f) => {
            UntaggedCode::PermanentFlags(f.iter().map(|x| x.to_string()).collect())
        }
        ResponseCode::ReadOnly => UntaggedCode::ReadOnly,
        ResponseCode::HighestModSeq(m) => UntaggedCode::HighestModSeq(*m),
        other => UntaggedCode::Other(format!("{other:?}")),
    });
    Reply::Untagged {
        status: status(s),
        code,
        text: information(outcome),
    }
}

/// A FETCH response; a body of `share_from` bytes or more is left to the caller (see
/// [`Reply::parse`]).
fn fetch<'r>(
    seq: u32,
    attrs: &'r [AttributeValue<'_>],
    share_from: usize,
    shared: &mut Option<&'r [u8]>,
) -> Reply {
    let mut body = |b: &'r [u8]| {
        if b.len() >= share_from {
            *shared = Some(b);
            None
        } else {
            Some(Bytes::copy_from_slice(b))
        }
    };
    let mut fetch = FetchData {
        seq,
        ..FetchData::default()
    };
    for attr in attrs {
        match attr {
            AttributeValue::Uid(u) => fetch.uid = Some(*u),
            AttributeValue::Flags(f) => {
                fetch.flags = Some(f.iter().map(|x| x.to_string()).collect())
            }
            AttributeValue::InternalDate(d) => fetch.internal_date = Some(d.to_string()),
            AttributeValue::Rfc822Size(s) => fetch.size = Some(*s),
            AttributeValue::Rfc822(Some(b)) => fetch.body = body(b),
            AttributeValue::BodySection {
                section: None,
                data: Some(b),
                ..
            } => fetch.body = body(b),
            AttributeValue::BodySection {
                section: Some(_),
                data,
                ..
            } => {
                fetch.header_fields = Some(data.as_ref().map(|b| b.to_vec()).unwrap_or_default());
            }
            _ => {}
        }
    }
    Reply::Fetch(fetch)
}

fn capabilities(caps: &[async_imap::imap_proto::Capability<'_>]) -> Reply {
    use async_imap::imap_proto::Capability;
    Reply::Capabilities(
        caps.iter()
            .map(|c| match c {
                Capability::Imap4rev1 => "IMAP4REV1".to_string(),
                Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
                Capability::Atom(a) => a.to_ascii_uppercase(),
            })
            .collect(),
    )
}

impl Reply {
    /// The reply, except that a message body of `share_from` bytes or more is left out and
    /// returned as the slice of the parse buffer it lies in, for the caller to take over
    /// without a copy (a 20 MB message then costs 20 MB, not 40).
    pub fn parse<'r>(response: &'r Response<'_>, share_from: usize) -> (Reply, Option<&'r [u8]>) {
        let mut shared = None;
        let reply = match response {
            Response::Done {
                tag,
                status,
                outcome,
            } => done(tag, status, outcome),
            Response::Continue(_) => Reply::Continue,
            Response::Data {
                status: Status::Bye,
                outcome,
            } => {
                let text = information(outcome);
                Reply::Bye {
                    code: Code::of_text(&text),
                    text,
                }
            }
            Response::Data { status, outcome } => untagged(status, outcome),
            Response::Fetch(seq, attrs) => fetch(*seq, attrs, share_from, &mut shared),
            Response::MailboxData(MailboxDatum::List(list)) => Reply::List(ListEntry {
                name: list.name.to_string(),
                delimiter: list.delimiter.as_ref().map(|d| d.to_string()),
                attributes: list.name_attributes.iter().map(name_attribute).collect(),
            }),
            Response::MailboxData(MailboxDatum::Exists(n)) => Reply::Exists(*n),
            Response::MailboxData(MailboxDatum::Flags(f)) => {
                Reply::Flags(f.iter().map(|x| x.to_string()).collect())
            }
            Response::MailboxData(MailboxDatum::Search(uids)) => Reply::Search(uids.clone()),
            Response::MailboxData(MailboxDatum::Status { status, .. }) => status_data(status),
            Response::Capabilities(caps) => capabilities(caps),
            Response::Expunge(n) => Reply::Expunge(*n),
            Response::Vanished { earlier, uids } => Reply::Vanished {
                earlier: *earlier,
                uids: uids.clone(),
            },
            Response::Quota(quota) => {
                let storage = quota.resources.iter().find(|r| {
                    matches!(
                        r.name,
                        async_imap::imap_proto::rfc2087::QuotaResourceName::Storage
                    )
                });
                Reply::Quota {
                    storage_used_kib: storage.map(|r| r.usage),
                    storage_limit_kib: storage.map(|r| r.limit),
                }
            }
            Response::Acl(acl) => {
                Reply::Acl(acl.acls.iter().map(|a| a.identifier.to_string()).collect())
            }
            _ => Reply::Other,
        };
        (reply, shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses one wire line (with its CRLF) the way the session does.
    fn parse(wire: &[u8], share_from: usize) -> (Reply, Option<Vec<u8>>) {
        let (rest, response) = Response::parse(wire)
            .unwrap_or_else(|e| panic!("{:?}: {e:?}", String::from_utf8_lossy(wire)));
        assert!(rest.is_empty(), "left over: {rest:?}");
        let (reply, shared) = Reply::parse(&response, share_from);
        (reply, shared.map(<[u8]>::to_vec))
    }

    #[test]
    fn tagged_answers_carry_their_code() {
        let cases: [(&[u8], TaggedStatus, Option<Code>); 4] = [
            (
                b"a1 NO [OVERQUOTA] Quota exceeded (0.001 + 0.000 secs).\r\n",
                TaggedStatus::No,
                Some(Code::OverQuota),
            ),
            (
                b"a1 NO [TRYCREATE] Mailbox does not exist\r\n",
                TaggedStatus::No,
                Some(Code::TryCreate),
            ),
            (b"a1 NO Over quota\r\n", TaggedStatus::No, None),
            (
                b"a1 BAD [PARSE] Syntax error\r\n",
                TaggedStatus::Bad,
                Some(Code::Parse),
            ),
        ];
        for (wire, want_status, want_code) in cases {
            match parse(wire, usize::MAX).0 {
                Reply::Done { status, code, .. } => {
                    assert_eq!((status, code), (want_status, want_code))
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn status_answers() {
        let (reply, _) = parse(
            b"* STATUS \"INBOX\" (MESSAGES 7 UIDNEXT 9 UIDVALIDITY 796250028)\r\n",
            usize::MAX,
        );
        assert_eq!(
            reply,
            Reply::Status(StatusData {
                messages: Some(7),
                uidnext: Some(9),
                uidvalidity: Some(796250028),
                highest_modseq: None,
            })
        );
    }

    #[test]
    fn appenduid_gives_the_uid_set() {
        let (reply, _) = parse(
            b"a2 OK [APPENDUID 1795467555 4:6,9] Append completed.\r\n",
            usize::MAX,
        );
        let Reply::Done {
            code, append_uid, ..
        } = reply
        else {
            panic!("{reply:?}")
        };
        assert_eq!(code, Some(Code::AppendUid));
        assert_eq!(append_uid, Some((1795467555, vec![(4, 6), (9, 9)])));
    }

    #[test]
    fn select_data_and_bye() {
        let (reply, _) = parse(b"* OK [UIDNEXT 4392] Predicted next UID\r\n", usize::MAX);
        assert!(matches!(
            reply,
            Reply::Untagged {
                code: Some(UntaggedCode::UidNext(4392)),
                ..
            }
        ));
        let (reply, _) = parse(b"* BYE [UNAVAILABLE] Shutting down\r\n", usize::MAX);
        assert_eq!(
            reply,
            Reply::Bye {
                code: Some(Code::Unavailable),
                text: "[UNAVAILABLE] Shutting down".into()
            }
        );
    }

    #[test]
    fn fetch_keeps_small_bodies_and_hands_over_big_ones() {
        let wire = b"* 3 FETCH (UID 17 FLAGS (\\Seen $Label1) RFC822.SIZE 5 INTERNALDATE \"01-Jan-2020 10:00:00 +0100\" BODY[] {5}\r\nhello)\r\n";
        let (reply, shared) = parse(wire, 1024);
        let Reply::Fetch(data) = reply else {
            panic!("{reply:?}")
        };
        assert_eq!((data.seq, data.uid, data.size), (3, Some(17), Some(5)));
        assert_eq!(
            data.flags,
            Some(vec!["\\Seen".to_string(), "$Label1".to_string()])
        );
        assert_eq!(
            data.internal_date.as_deref(),
            Some("01-Jan-2020 10:00:00 +0100")
        );
        assert_eq!(data.body.as_deref(), Some(&b"hello"[..]));
        assert!(shared.is_none());
        let (reply, shared) = parse(wire, 4);
        assert!(matches!(reply, Reply::Fetch(FetchData { body: None, .. })));
        assert_eq!(shared.as_deref(), Some(&b"hello"[..]));
    }

    #[test]
    fn list_entries_and_capabilities() {
        let (reply, _) = parse(
            b"* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n",
            usize::MAX,
        );
        assert_eq!(
            reply,
            Reply::List(ListEntry {
                name: "Sent Items".into(),
                delimiter: Some("/".into()),
                attributes: vec!["\\HasNoChildren".into(), "\\Sent".into()],
            })
        );
        let (reply, _) = parse(
            b"* CAPABILITY IMAP4rev1 MULTIAPPEND auth=plain\r\n",
            usize::MAX,
        );
        assert_eq!(
            reply,
            Reply::Capabilities(vec![
                "IMAP4REV1".into(),
                "MULTIAPPEND".into(),
                "AUTH=PLAIN".into()
            ])
        );
    }

    #[test]
    fn vanished_is_read() {
        let (reply, _) = parse(b"* VANISHED (EARLIER) 3:5,9\r\n", 1024);
        let uids = vec![3..=5, 9..=9];
        assert_eq!(
            reply,
            Reply::Vanished {
                earlier: true,
                uids
            }
        );
    }
}
