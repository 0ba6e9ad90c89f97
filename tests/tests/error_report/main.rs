//! The error report's queries at size: keyset paging, and the counts kept by triggers. One
//! test binary for both (each binary costs a link of the whole server).

#[path = "../common/mod.rs"]
mod common;
mod counts;
mod keyset;
