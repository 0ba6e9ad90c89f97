//! One page of a batch's mailbox rows as the batch page asks for it: filtered by state and by
//! text (address or source user name), sorted, limited; the database does the work, so a page of
//! a 5,000-row batch costs one indexed query and one count, not 5,000 rows.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use app::model::batch::MailboxState;
use app::model::batch_rows::{ROWS_PER_PAGE, RowFilter, RowSort, StateCounts};

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

/// The states in the order "by state" shows them: what needs the admin first.
const STATE_ORDER: [MailboxState; 5] = [
    MailboxState::Failed,
    MailboxState::Syncing,
    MailboxState::Queued,
    MailboxState::Stopped,
    MailboxState::Synced,
];

/// The order of a sort, as SQL over the table's own columns (the enum's own codes, no input).
fn order(sort: RowSort) -> Vec<(String, Order)> {
    match sort {
        RowSort::Row => vec![],
        RowSort::State => {
            let ranks: String = STATE_ORDER
                .iter()
                .enumerate()
                .map(|(rank, state)| format!(" WHEN '{}' THEN {rank}", state.as_str()))
                .collect();
            vec![(format!("CASE state{ranks} END"), Order::Asc)]
        }
        RowSort::Progress => vec![(
            "CASE WHEN messages_total > 0 THEN CAST(messages_copied AS REAL) / messages_total \
             ELSE 0 END"
                .into(),
            Order::Asc,
        )],
        RowSort::Size => vec![("bytes_copied".into(), Order::Desc)],
        RowSort::Errors => vec![
            (
                "CASE WHEN error_kind IS NULL THEN 1 ELSE 0 END".into(),
                Order::Asc,
            ),
            ("COALESCE(error_kind, '')".into(), Order::Asc),
        ],
    }
}

/// One page of the rows `filter` asks for, and how many match in all: known already from the
/// batch's counts unless the filter has text (then counted here).
pub async fn page(
    db: &impl ConnectionTrait,
    batch_id: i64,
    filter: &RowFilter,
    states: &StateCounts,
) -> Result<RowPage, DbErr> {
    let condition = condition(batch_id, filter);
    let matching = match (filter.text.is_empty(), filter.state) {
        (true, None) => states.total(),
        (true, Some(state)) => states.of(state),
        (false, _) => {
            mailbox::Entity::find()
                .filter(condition.clone())
                .count(db)
                .await?
        }
    };
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

/// Every row of the batch `filter` matches, on every page (a bulk action's target).
pub(crate) async fn matching(
    db: &impl ConnectionTrait,
    batch_id: i64,
    filter: &RowFilter,
) -> Result<Vec<mailbox::Model>, DbErr> {
    mailbox::Entity::find()
        .filter(condition(batch_id, filter))
        .order_by_asc(mailbox::Column::RowIndex)
        .all(db)
        .await
}
