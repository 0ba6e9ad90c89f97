//! Reading the audit trail, filtered and paged by id (newest first).

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use app::ids::BatchId;
use app::model::audit::{AuditAction, AuditEntry, AuditFilter, AuditPage};

use crate::db::entity::audit_event;

/// Entries per page of the Audit page.
pub const PAGE: u64 = 200;
/// The most one call returns (`mailferry audit --limit`).
pub const MOST: u64 = 100_000;

/// The entries `filter` selects, newest first, at most `limit`; and the id to go on from for
/// older ones, if there are more.
pub async fn entries(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    limit: u64,
) -> Result<(Vec<AuditEntry>, Option<i64>), DbErr> {
    let mut query = audit_event::Entity::find();
    if let Some(admin) = &filter.admin {
        query = query.filter(audit_event::Column::Actor.eq(admin.as_str()));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_event::Column::Action.eq(action.as_str()));
    }
    if let Some(batch) = filter.batch {
        query = query.filter(audit_event::Column::BatchId.eq(batch.0));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_event::Column::At.gte(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_event::Column::At.lt(until));
    }
    if let Some(before) = filter.before {
        query = query.filter(audit_event::Column::Id.lt(before));
    }
    let limit = limit.clamp(1, MOST);
    let mut rows = query
        .order_by_desc(audit_event::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let older = (rows.len() as u64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    });
    let entries = rows.into_iter().filter_map(entry).collect();
    Ok((entries, older.flatten()))
}

/// Everyone the trail names, for the page's filter.
pub async fn actors(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Actor)
        .distinct()
        .order_by_asc(audit_event::Column::Actor)
        .into_tuple()
        .all(db)
        .await
}

/// A page of the Audit page: its entries and everyone the trail names.
pub async fn page(db: &impl ConnectionTrait, filter: &AuditFilter) -> Result<AuditPage, DbErr> {
    let (entries, older) = self::entries(db, filter, PAGE).await?;
    Ok(AuditPage {
        entries,
        older,
        admins: actors(db).await?,
    })
}

fn entry(row: audit_event::Model) -> Option<AuditEntry> {
    Some(AuditEntry {
        id: row.id,
        at: row.at,
        admin: row.actor,
        client: row.client_addr,
        // Rows of an action this version does not know are left out rather than mislabelled.
        action: AuditAction::parse(&row.action)?,
        batch: row.batch_id.map(BatchId),
        detail: row.detail,
    })
}
