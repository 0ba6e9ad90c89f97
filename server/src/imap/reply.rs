//! Owned copies of the server responses the engine uses, taken out of async-imap's parse buffer
//! (its `ResponseData` type cannot be named outside the crate). A big message body is not
//! copied: the session hands over the parse buffer itself (see [`Reply::parse`]).

use async_imap::imap_proto::{
    AttributeValue, MailboxDatum, NameAttribute, Response, ResponseCode, Status,
};

use bytes::Bytes;

use super::response_code::code_of;

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
        code: Option<String>,
        text: String,
        append_uid: Option<(u32, Vec<(u32, u32)>)>,
    },
    Continue,
    Bye {
        code: Option<String>,
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
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UntaggedCode {
    UidValidity(u32),
    UidNext(u32),
    PermanentFlags(Vec<String>),
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

impl Reply {
    /// The reply, except that a message body of `share_from` bytes or more is left out and
    /// returned as the slice of the parse buffer it lies in, for the caller to take over
    /// without a copy (a 20 MB message then costs 20 MB, not 40).
    pub fn parse<'r>(response: &'r Response<'_>, share_from: usize) -> (Reply, Option<&'r [u8]>) {
        let mut shared = None;
        let mut body = |b: &'r [u8]| {
            if b.len() >= share_from {
                shared = Some(b);
                None
            } else {
                Some(Bytes::copy_from_slice(b))
            }
        };
        let reply = match response {
            Response::Done {
                tag,
                status: s,
                outcome,
            } => {
                let text = outcome
                    .information
                    .as_deref()
                    .unwrap_or_default()
                    .to_string();
                let append_uid = match &outcome.code {
                    Some(ResponseCode::AppendUid(validity, set)) => Some((*validity, uid_set(set))),
                    _ => None,
                };
                let code = code_of(&text).or_else(|| {
                    outcome.code.as_ref().map(|c| match c {
                        ResponseCode::AppendUid(..) => "APPENDUID".to_string(),
                        ResponseCode::TryCreate => "TRYCREATE".to_string(),
                        ResponseCode::Alert => "ALERT".to_string(),
                        ResponseCode::Parse => "PARSE".to_string(),
                        ResponseCode::ReadOnly => "READ-ONLY".to_string(),
                        other => format!("{other:?}").to_ascii_uppercase(),
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
            Response::Continue(_) => Reply::Continue,
            Response::Data {
                status: Status::Bye,
                outcome,
            } => {
                let text = outcome
                    .information
                    .as_deref()
                    .unwrap_or_default()
                    .to_string();
                Reply::Bye {
                    code: code_of(&text),
                    text,
                }
            }
            Response::Data { status: s, outcome } => {
                let text = outcome
                    .information
                    .as_deref()
                    .unwrap_or_default()
                    .to_string();
                let code = outcome.code.as_ref().map(|c| match c {
                    ResponseCode::UidValidity(v) => UntaggedCode::UidValidity(*v),
                    ResponseCode::UidNext(v) => UntaggedCode::UidNext(*v),
                    ResponseCode::PermanentFlags(f) => {
                        UntaggedCode::PermanentFlags(f.iter().map(|x| x.to_string()).collect())
                    }
                    ResponseCode::ReadOnly => UntaggedCode::ReadOnly,
                    other => UntaggedCode::Other(format!("{other:?}")),
                });
                Reply::Untagged {
                    status: status(s),
                    code,
                    text,
                }
            }
            Response::Fetch(seq, attrs) => {
                let mut fetch = FetchData {
                    seq: *seq,
                    ..FetchData::default()
                };
                for attr in attrs {
                    match attr {
                        AttributeValue::Uid(u) => fetch.uid = Some(*u),
                        AttributeValue::Flags(f) => {
                            fetch.flags = Some(f.iter().map(|x| x.to_string()).collect())
                        }
                        AttributeValue::InternalDate(d) => {
                            fetch.internal_date = Some(d.to_string())
                        }
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
                            fetch.header_fields =
                                Some(data.as_ref().map(|b| b.to_vec()).unwrap_or_default());
                        }
                        _ => {}
                    }
                }
                Reply::Fetch(fetch)
            }
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
            Response::Capabilities(caps) => Reply::Capabilities(
                caps.iter()
                    .map(|c| {
                        use async_imap::imap_proto::Capability;
                        match c {
                            Capability::Imap4rev1 => "IMAP4REV1".to_string(),
                            Capability::Auth(m) => format!("AUTH={}", m.to_ascii_uppercase()),
                            Capability::Atom(a) => a.to_ascii_uppercase(),
                        }
                    })
                    .collect(),
            ),
            Response::Expunge(n) => Reply::Expunge(*n),
            _ => Reply::Other,
        };
        (reply, shared)
    }
}
