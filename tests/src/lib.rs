//! The test bed: real servers started on loopback in throwaway directories, stopped by PID.

pub mod binaries;
mod child_process;
mod line_client;
mod system_accounts;

pub mod courier;
pub mod cyrus;
pub mod dovecot;
pub mod fault_proxy;
pub mod hostile_proxy;
pub mod imap;
pub mod mailferry_server;
pub mod ports;
pub mod postgres;
pub mod process_memory;
pub mod seed;
pub mod server;
pub mod smtp;
pub mod tls;
pub mod token_server;

pub use courier::{Courier, CourierOptions};
pub use cyrus::{CYRUS_ADMIN, CYRUS_ADMIN_PASSWORD, Cyrus, CyrusOptions};
pub use dovecot::{Dovecot, DovecotOptions, MASTER_PASSWORD, MASTER_USER, OAuth2Check};
pub use fault_proxy::{Fault, FaultProxy};
pub use hostile_proxy::{HostileProxy, Hostility};
pub use imap::{Appended, CommandError, FetchedMessage, TestClient, TestSession};
pub use ports::free_port;
pub use postgres::Postgres;
pub use server::{AnyServer, ServerKind, TestServer};
pub use smtp::{ReceivedMail, SmtpReceiver};
pub use tls::TestCa;
pub use token_server::TokenServer;
