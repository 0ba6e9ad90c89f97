//! Mailferry server: the migration engine, storage, the web app and the CLI, as a library so the
//! integration tests can drive the same code the binary runs.

pub mod audit;
pub mod auth;
pub mod batches;
pub mod cli;
pub mod commands;
pub mod config;
pub mod csv_import;
pub mod db;
pub mod endpoints;
pub mod engine;
pub mod http;
pub mod imap;
pub mod mail;
pub mod oauth;

pub mod report;
pub(crate) mod runtime;
pub mod secrets;
pub mod serve;
pub mod telemetry;
pub mod verify;
pub mod worker;
