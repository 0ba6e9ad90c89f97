//! Verify: the proof that each mailbox arrived whole. Per folder the source's messages are
//! compared with the destination's (count, bytes, and Message-ID + size + INTERNALDATE, counted)
//! without reading a body; the result is stored per mailbox, shown, exported as
//! MigrationVerification.csv, and Copy missing copies only what is missing.

pub mod compare;
pub mod copy_missing;
pub mod export;
pub mod mailbox;
pub mod run;
pub mod store;
