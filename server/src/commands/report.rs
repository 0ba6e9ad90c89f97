//! `mailferry report …`: MigrationErrors.csv and MigrationStatistics.csv from a shell.

use std::io::Write;

use app::ErrorKind;
use app::ids::BatchId;
use app::model::report::ErrorFilter;

use crate::cli::ReportKind;
use crate::config::Config;
use crate::report::export::{self, ExportError};

#[derive(Debug, thiserror::Error)]
pub enum ReportCommandError {
    #[error(transparent)]
    Runtime(#[from] crate::runtime::RuntimeError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("unknown error kind {0:?}; kinds are: {1}")]
    Kind(String, String),
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
}

fn output(path: Option<std::path::PathBuf>) -> Result<Box<dyn Write>, std::io::Error> {
    Ok(match path {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

pub async fn run(report: ReportKind, config: Config) -> Result<u8, ReportCommandError> {
    let runtime = crate::runtime::open(config).await?;
    match report {
        ReportKind::Errors {
            batch,
            kinds,
            mailbox,
            resolved_too,
            out,
        } => {
            let kinds = kinds
                .iter()
                .map(|k| {
                    ErrorKind::parse(k).ok_or_else(|| {
                        ReportCommandError::Kind(
                            k.clone(),
                            ErrorKind::ALL
                                .iter()
                                .map(|k| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let filter = ErrorFilter {
                batch: batch.map(BatchId),
                kinds,
                mailbox,
                resolved_too,
                ..ErrorFilter::default()
            };
            let mut out = export::write_errors_csv(&runtime.db, &filter, output(out)?).await?;
            out.flush()?;
        }
        ReportKind::Statistics { batch, out } => {
            let mut out = export::write_statistics_csv(&runtime.db, batch, output(out)?).await?;
            out.flush()?;
        }
    }
    Ok(0)
}
