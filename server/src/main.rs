//! The `mailferry` binary: parses the command line and runs a subcommand.

use std::process::ExitCode;

use clap::Parser;
use mailferry::cli::{Cli, Command};
use mailferry::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    mailferry::telemetry::init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("mailferry: {error:#}");
            if let Some(hint) = mailferry::db::write_failure::hint(error.as_ref()) {
                eprintln!("mailferry: {hint}");
            }
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => {
            let config = Config::load(cli.config.as_deref(), &args.overrides())?;
            let role = match (args.no_worker, args.worker_only) {
                (true, _) => mailferry::serve::Role::WebOnly,
                (_, true) => mailferry::serve::Role::WorkerOnly,
                _ => mailferry::serve::Role::WebAndWorker,
            };
            mailferry::serve::run(config, role).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate(args) => {
            let config = Config::load(cli.config.as_deref(), &args.store.overrides())?;
            Ok(ExitCode::from(
                mailferry::commands::migrate::run(*args, config).await?,
            ))
        }
        Command::Batch(args) => {
            let config = Config::load(cli.config.as_deref(), &args.store.overrides())?;
            Ok(ExitCode::from(
                mailferry::commands::batch::run(args.action, config).await?,
            ))
        }
        Command::Endpoint(args) => {
            let config = Config::load(cli.config.as_deref(), &args.store.overrides())?;
            Ok(ExitCode::from(
                mailferry::commands::endpoint::run(args.action, config).await?,
            ))
        }
        Command::RotateKey(args) => {
            let config = Config::load(cli.config.as_deref(), &args.store.overrides())?;
            Ok(ExitCode::from(
                mailferry::commands::rotate_key::run(args.new_key_file, config).await?,
            ))
        }
        Command::Audit(args) => {
            let config = Config::load(cli.config.as_deref(), &args.store.overrides())?;
            Ok(ExitCode::from(
                mailferry::commands::audit::run(args, config).await?,
            ))
        }
        Command::Report(args) => {
            let config = Config::load(cli.config.as_deref(), &args.store.overrides())?;
            Ok(ExitCode::from(
                mailferry::commands::report::run(args.report, config).await?,
            ))
        }
    }
}
