//! Streaming the CSV files from the database in pages (keyset on row, id), so a file of any size
//! is written at constant memory.

use std::io::Write;

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
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

/// MigrationErrors.csv for a filter (the whole report with the default filter), by row.
pub async fn write_errors_csv<W: Write>(
    db: &DatabaseConnection,
    filter: &ErrorFilter,
    out: W,
) -> Result<W, ExportError> {
    use migration_error::Column;
    let mut writer = ErrorsCsvWriter::new(out)?;
    let mut after: Option<(i32, i32)> = None;
    loop {
        let mut page_condition = condition(filter, true);
        if let Some((row, id)) = after {
            page_condition = page_condition.add(
                Condition::any().add(Column::RowIndex.gt(row)).add(
                    Condition::all()
                        .add(Column::RowIndex.eq(row))
                        .add(Column::Id.gt(id)),
                ),
            );
        }
        let page = migration_error::Entity::find()
            .filter(page_condition)
            .order_by_asc(Column::RowIndex)
            .order_by_asc(Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some((last.row_index, last.id));
        let full = page.len() as u64 == PAGE;
        for model in page {
            let row = to_row(model);
            writer.write(&ErrorLine {
                row_index: row.row_index,
                email_address: row.email_address,
                message: row.detail,
                kind: row.kind,
                folder: row.folder,
                time: row.time,
            })?;
        }
        if !full {
            break;
        }
    }
    Ok(writer.finish()?)
}

/// MigrationStatistics.csv: one line per mailbox of the batch.
pub async fn write_statistics_csv<W: Write>(
    db: &DatabaseConnection,
    batch_id: i32,
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
