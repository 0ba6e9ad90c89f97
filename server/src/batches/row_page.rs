//! One page of a batch's mailbox rows as the batch page asks for it: filtered by state and by
//! text (address or source user name), sorted, limited; the database does the work, so a page of
//! a 5,000-row batch costs one indexed query and one count, not 5,000 rows.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use app::model::batch_rows::{ROWS_PER_PAGE, RowFilter, RowSort};

use crate::db::entity::mailbox;

/// The rows of one page and how many match in all.
#[derive(Debug)]
pub struct RowPage {
    pub rows: Vec<mailbox::Model>,
    pub matching: u64,
}

fn condition(batch_id: i64, filter: &RowFilter) -> Condition {
    let mut condition = Condition::all().add(mailbox::Column::BatchId.eq(batch_id));
    if let Some(state) = filter.state {
        condition = condition.add(mailbox::Column::State.eq(state));
    }
    if let Some(pattern) = filter.like_pattern() {
        let like = |column: mailbox::Column| {
            Expr::expr(Func::lower(Expr::col(column)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        condition = condition.add(
            Condition::any()
                .add(like(mailbox::Column::EmailAddress))
                .add(like(mailbox::Column::SourceUsername)),
        );
    }
    condition
}

/// The order of a sort, as SQL over the table's own columns (constants only, no input).
fn order(sort: RowSort) -> Vec<(&'static str, Order)> {
    match sort {
        RowSort::Row => vec![],
        RowSort::State => vec![(
            "CASE state WHEN 'Failed' THEN 0 WHEN 'Syncing' THEN 1 WHEN 'Queued' THEN 2 \
             WHEN 'Stopped' THEN 3 ELSE 4 END",
            Order::Asc,
        )],
        RowSort::Progress => vec![(
            "CASE WHEN messages_total > 0 THEN CAST(messages_copied AS REAL) / messages_total \
             ELSE 0 END",
            Order::Asc,
        )],
        RowSort::Size => vec![("bytes_copied", Order::Desc)],
        RowSort::Errors => vec![
            ("CASE WHEN error_kind IS NULL THEN 1 ELSE 0 END", Order::Asc),
            ("COALESCE(error_kind, '')", Order::Asc),
        ],
    }
}

pub async fn page(
    db: &impl ConnectionTrait,
    batch_id: i64,
    filter: &RowFilter,
) -> Result<RowPage, DbErr> {
    let condition = condition(batch_id, filter);
    let matching = mailbox::Entity::find()
        .filter(condition.clone())
        .count(db)
        .await?;
    let mut query = mailbox::Entity::find().filter(condition);
    for (expr, direction) in order(filter.sort) {
        query = query.order_by(Expr::cust(expr), direction);
    }
    let rows = query
        .order_by_asc(mailbox::Column::RowIndex)
        .order_by_asc(mailbox::Column::Id)
        .limit(u64::from(ROWS_PER_PAGE))
        .offset(u64::from(filter.page) * u64::from(ROWS_PER_PAGE))
        .all(db)
        .await?;
    Ok(RowPage { rows, matching })
}
