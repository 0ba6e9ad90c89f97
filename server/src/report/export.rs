//! Streaming the CSV files from the database (rows as the query yields them, or pages by id), so
//! a file of any size is written at constant memory.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use futures::{Stream, TryStreamExt as _};

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use app::model::report::ErrorFilter;

use super::error_query::{condition, to_row};
use super::errors_csv::{ErrorLine, ErrorsCsvWriter};
use super::statistics_csv::{StatisticsCsvWriter, StatisticsLine};
use crate::db::entity::{mailbox, migration_error};

const PAGE: u64 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("writing the CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// The rows of a filter by row (Exchange's order), as one query whose rows are streamed.
fn errors_by_row(filter: &ErrorFilter) -> sea_orm::Select<migration_error::Entity> {
    use migration_error::Column;
    migration_error::Entity::find()
        .filter(condition(filter, true))
        .order_by_asc(Column::RowIndex)
        .order_by_asc(Column::Id)
}

fn line(model: migration_error::Model) -> ErrorLine {
    let row = to_row(model);
    ErrorLine {
        row_index: row.row_index,
        email_address: row.email_address,
        message: row.detail,
        kind: row.kind,
        folder: row.folder,
        time: row.time,
    }
}

/// MigrationErrors.csv for a filter (the whole report with the default filter), by row.
pub async fn write_errors_csv<W: Write>(
    db: &DatabaseConnection,
    filter: &ErrorFilter,
    out: W,
) -> Result<W, ExportError> {
    let mut writer = ErrorsCsvWriter::new(out)?;
    let mut rows = errors_by_row(filter).stream(db).await?;
    while let Some(model) = rows.try_next().await? {
        writer.write(&line(model))?;
    }
    Ok(writer.finish()?)
}

/// The bytes the CSV writer produced since they were last taken (shared with the writer).
#[derive(Clone, Default)]
struct Chunk(Arc<Mutex<Vec<u8>>>);

impl Chunk {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.lock())
    }
}

impl Write for Chunk {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.lock().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes sent to the client at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// MigrationErrors.csv as a stream of 64 KB chunks, written by a task that reads the rows as
/// they come from the database: a download of any size holds a few chunks in memory, its first
/// bytes leave at once, and a client that goes away ends the query.
pub fn errors_csv_stream(
    db: DatabaseConnection,
    filter: ErrorFilter,
) -> impl Stream<Item = Result<Vec<u8>, ExportError>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let chunk = Chunk::default();
        let written = async {
            let mut writer = ErrorsCsvWriter::new(chunk.clone())?;
            let mut rows = errors_by_row(&filter).stream(&db).await?;
            while let Some(model) = rows.try_next().await? {
                writer.write(&line(model))?;
                if chunk.lock().len() >= CHUNK_BYTES && tx.send(Ok(chunk.take())).await.is_err() {
                    return Ok(()); // the client is gone
                }
            }
            writer.finish()?;
            Ok::<(), ExportError>(())
        }
        .await;
        let last = written.map(|()| chunk.take());
        let _ = tx.send(last).await;
    });
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

/// MigrationStatistics.csv: one line per mailbox of the batch.
pub async fn write_statistics_csv<W: Write>(
    db: &DatabaseConnection,
    batch_id: i64,
    out: W,
) -> Result<W, ExportError> {
    let mut writer = StatisticsCsvWriter::new(out)?;
    let mut after = 0;
    loop {
        let page = mailbox::Entity::find()
            .filter(mailbox::Column::BatchId.eq(batch_id))
            .filter(mailbox::Column::Id.gt(after))
            .order_by_asc(mailbox::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let full = page.len() as u64 == PAGE;
        for m in page {
            writer.write(&StatisticsLine::from(m))?;
        }
        if !full {
            break;
        }
    }
    Ok(writer.finish()?)
}
