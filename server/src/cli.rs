//! Command-line interface: `mailferry serve` and the headless commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mailferry",
    version,
    about = "Move mailboxes from one IMAP server to another, in batches"
)]
pub struct Cli {
    /// Configuration file (default: ./mailferry.toml if present).
    #[arg(long, global = true, env = "MAILFERRY_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app (and the migration workers).
    Serve(ServeArgs),
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:3000.
    #[arg(long)]
    pub listen: Option<String>,
    /// Database URL: sqlite://PATH or postgres://USER:PASS@HOST/DB.
    #[arg(long)]
    pub database: Option<String>,
    /// Folder for the SQLite database and the secret key.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl ServeArgs {
    /// The flags the admin gave, as configuration overrides.
    pub fn overrides(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.listen {
            out.push(("listen", v.clone()));
        }
        if let Some(v) = &self.database {
            out.push(("database_url", v.clone()));
        }
        if let Some(v) = &self.data_dir {
            out.push(("data_dir", v.display().to_string()));
        }
        out
    }
}
