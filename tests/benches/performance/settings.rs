//! The benchmark's settings, from `MF_BENCH_*` environment variables (listed in `main.rs`).

use std::path::PathBuf;

use crate::corpus::Shape;
use crate::tools::Tool;

#[derive(Clone, Debug)]
pub struct Settings {
    pub users: usize,
    pub messages: usize,
    pub seed: u64,
    pub rounds: usize,
    pub big_users: usize,
    pub fsync: bool,
    pub errors: usize,
    pub tools: Vec<Tool>,
    pub out: Option<PathBuf>,
    /// The staged migration's delta: run with the rest (`1`), not at all (`0`), or alone (`only`).
    pub delta: DeltaMode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeltaMode {
    With,
    Skip,
    Only,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Settings {
    pub fn from_env() -> Settings {
        let tools = std::env::var("MF_BENCH_TOOLS")
            .unwrap_or_else(|_| "mailferry,doveadm,mbsync".into())
            .split(',')
            .filter_map(|t| match t.trim() {
                "mailferry" => Some(Tool::Mailferry),
                "doveadm" => Some(Tool::Doveadm),
                "mbsync" => Some(Tool::Mbsync),
                _ => None,
            })
            .collect();
        let out = match std::env::var("MF_BENCH_OUT") {
            Ok(v) if v == "-" => None,
            Ok(v) => Some(PathBuf::from(v)),
            Err(_) => Some(
                mailferry_tests::mailferry_server::workspace_root().join("docs/performance.md"),
            ),
        };
        Settings {
            users: env_or("MF_BENCH_USERS", 4),
            messages: env_or("MF_BENCH_MESSAGES", 2500),
            seed: env_or("MF_BENCH_SEED", 1),
            rounds: env_or("MF_BENCH_ROUNDS", 3usize).max(1),
            big_users: env_or("MF_BENCH_BIG_USERS", 8),
            fsync: std::env::var("MF_BENCH_FSYNC").is_ok_and(|v| v == "optimized"),
            errors: env_or("MF_BENCH_ERRORS", 100_000),
            tools,
            out,
            delta: match std::env::var("MF_BENCH_DELTA").as_deref() {
                Ok("0") => DeltaMode::Skip,
                Ok("only") => DeltaMode::Only,
                _ => DeltaMode::With,
            },
        }
    }

    pub fn shape(&self) -> Shape {
        Shape {
            messages_per_user: self.messages,
            seed: self.seed,
            big_per_2500: 10,
            huge_every: None,
        }
    }
}
