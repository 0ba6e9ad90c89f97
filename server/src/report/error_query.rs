//! The error report's queries: filtered, sorted, paged rows and counts per kind (kept counts
//! where the filter allows, `error_counts`), each served by an index (batch+kind+time, kind+time, time, mailbox+kind+time, address), never a full scan of
//! the rows' text: a mailbox search is matched against the batch's mailboxes (thousands), not
//! against the errors (up to millions), which are then found by mailbox.

use sea_orm::sea_query::{Expr, Func, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use app::ErrorKind;
use app::ids::{BatchId, MailboxId};
use app::model::report::{ErrorCursor, ErrorFilter, ErrorPage, ErrorRow, ErrorSort};

use crate::db::entity::mailbox;
use crate::db::entity::migration_error::{self, Column};

pub const MAX_PER_PAGE: u32 = 500;

/// The filter's conditions; `with_kinds` false leaves the kind selection out (for the counts).
pub fn condition(filter: &ErrorFilter, with_kinds: bool) -> Condition {
    use sea_orm::sea_query::ExprTrait as _;
    let mut condition = Condition::all();
    let search = search_pattern(filter);
    // With a mailbox search the batch narrows the mailboxes instead: the errors are then read
    // by (mailbox, kind), an index that a batch condition on the errors would make SQLite skip.
    if let Some(batch) = filter.batch.filter(|_| search.is_none()) {
        condition = condition.add(Column::BatchId.eq(batch.0));
    }
    if with_kinds && !filter.kinds.is_empty() {
        condition = condition.add(Column::Kind.is_in(filter.kinds.iter().copied()));
    }
    if let Some(pattern) = search {
        let mut mailboxes = Query::select()
            .column(mailbox::Column::Id)
            .from(mailbox::Entity)
            .and_where(
                Expr::expr(Func::lower(Expr::col(mailbox::Column::EmailAddress)))
                    .like(LikeExpr::new(pattern).escape('\\')),
            )
            .to_owned();
        if let Some(batch) = filter.batch {
            mailboxes.and_where(mailbox::Column::BatchId.eq(batch.0));
        }
        condition = condition.add(Column::MailboxId.in_subquery(mailboxes));
    }
    if let Some(since) = filter.since {
        condition = condition.add(Column::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        condition = condition.add(Column::CreatedAt.lt(until));
    }
    if !filter.resolved_too {
        condition = condition.add(Column::ResolvedAt.is_null());
    }
    condition
}

/// The LIKE pattern of the filter's mailbox search, if it has one.
pub fn search_pattern(filter: &ErrorFilter) -> Option<String> {
    filter
        .mailbox
        .as_deref()
        .map(str::trim)
        .and_then(app::model::query_string::contains_pattern)
}

/// Whether `filter`'s counts are the kept ones (`error_counts`): no mailbox search and no time
/// range.
pub fn counts_are_kept(filter: &ErrorFilter) -> bool {
    search_pattern(filter).is_none() && filter.since.is_none() && filter.until.is_none()
}

pub fn to_row(model: migration_error::Model) -> ErrorRow {
    ErrorRow {
        id: model.id,
        batch: BatchId(model.batch_id),
        mailbox: MailboxId(model.mailbox_id),
        row_index: model.row_index.max(0) as u32,
        email_address: model.email_address,
        kind: model.kind,
        detail: model.message,
        folder: model.folder,
        uid: model.uid.and_then(|u| u32::try_from(u).ok()),
        subject: model.subject,
        size: model.size.map(|s| s.max(0) as u64),
        time: model.created_at,
        resolved_at: model.resolved_at,
    }
}

pub fn sorted(
    select: sea_orm::Select<migration_error::Entity>,
    sort: ErrorSort,
) -> sea_orm::Select<migration_error::Entity> {
    match sort {
        ErrorSort::NewestFirst => select
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id),
        ErrorSort::OldestFirst => select
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Id),
        ErrorSort::ByMailbox => select
            .order_by_asc(Column::EmailAddress)
            .order_by_asc(Column::Id),
    }
}

/// The order of `sort`, reversed (for the page before a cursor).
fn reversed(
    select: sea_orm::Select<migration_error::Entity>,
    sort: ErrorSort,
) -> sea_orm::Select<migration_error::Entity> {
    match sort {
        ErrorSort::NewestFirst => sorted(select, ErrorSort::OldestFirst),
        ErrorSort::OldestFirst => sorted(select, ErrorSort::NewestFirst),
        ErrorSort::ByMailbox => select
            .order_by_desc(Column::EmailAddress)
            .order_by_desc(Column::Id),
    }
}

#[derive(Debug, FromQueryResult)]
struct KindCount {
    kind: ErrorKind,
    count: i64,
}

/// The rows after (`forward`) or before `cursor` in `sort`'s order: a row-value comparison
/// on the sort's index, whatever the depth.
fn beyond(cursor: &ErrorCursor, sort: ErrorSort, forward: bool) -> Option<Condition> {
    use sea_orm::sea_query::ExprTrait as _;
    let (column, key): (Column, sea_orm::Value) = match sort {
        ErrorSort::ByMailbox => (Column::EmailAddress, cursor.key.clone().into()),
        _ => {
            let at = chrono::DateTime::parse_from_rfc3339(&cursor.key).ok()?;
            (Column::CreatedAt, at.with_timezone(&chrono::Utc).into())
        }
    };
    let here = Expr::tuple([Expr::col(column), Expr::col(Column::Id)]);
    let there = Expr::tuple([Expr::val(key), Expr::val(cursor.id)]);
    let ascending = sort != ErrorSort::NewestFirst;
    Some(Condition::all().add(if ascending == forward {
        here.gt(there)
    } else {
        here.lt(there)
    }))
}

pub async fn query(db: &DatabaseConnection, filter: &ErrorFilter) -> Result<ErrorPage, DbErr> {
    let per_page = filter.per_page.clamp(1, MAX_PER_PAGE) as u64;
    let matching = migration_error::Entity::find().filter(condition(filter, true));
    let counts = kind_counts(db, filter).await?;
    let total = if counts_are_kept(filter) {
        let selected = |kind: &ErrorKind| filter.kinds.is_empty() || filter.kinds.contains(kind);
        counts
            .iter()
            .filter(|(k, _)| selected(k))
            .map(|(_, n)| n)
            .sum()
    } else {
        matching.clone().count(db).await?
    };
    let keyset = match (&filter.after, &filter.before) {
        (Some(after), _) => beyond(after, filter.sort, true).map(|c| (c, true)),
        (None, Some(before)) => beyond(before, filter.sort, false).map(|c| (c, false)),
        (None, None) => None,
    };
    let rows = match keyset {
        Some((beyond, true)) => {
            let select = sorted(matching.filter(beyond), filter.sort);
            select.limit(per_page).all(db).await?
        }
        // The page before: the rows nearest the cursor in the reverse order, turned back.
        Some((beyond, false)) => {
            let select = reversed(matching.filter(beyond), filter.sort);
            let mut rows = select.limit(per_page).all(db).await?;
            rows.reverse();
            rows
        }
        None => {
            let select = sorted(matching, filter.sort);
            let offset = filter.page as u64 * per_page;
            select.offset(offset).limit(per_page).all(db).await?
        }
    };
    Ok(ErrorPage {
        rows: rows.into_iter().map(to_row).collect(),
        total,
        counts,
    })
}

/// How many errors of each kind match the filter (its kind selection left out), by kind: from
/// the kept counts where the filter allows, else counted.
pub async fn kind_counts(
    db: &DatabaseConnection,
    filter: &ErrorFilter,
) -> Result<Vec<(ErrorKind, u64)>, DbErr> {
    if counts_are_kept(filter) {
        return super::error_counts::per_kind(db, filter.batch, filter.resolved_too).await;
    }
    let counts: Vec<KindCount> = migration_error::Entity::find()
        .select_only()
        .column(Column::Kind)
        .column_as(Column::Id.count(), "count")
        .filter(condition(filter, false))
        .group_by(Column::Kind)
        .into_model::<KindCount>()
        .all(db)
        .await?;
    let mut counts: Vec<(ErrorKind, u64)> = counts
        .into_iter()
        .map(|c| (c.kind, c.count.max(0) as u64))
        .collect();
    counts.sort_by_key(|(k, _)| *k);
    Ok(counts)
}
