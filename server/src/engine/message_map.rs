//! Where each copied message went (its destination UID) and which source flags it last carried:
//! what a later pass needs to carry flag changes and deletions to the right destination message.

use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::db::entity::message_map;

/// A message the destination stored: its source UID, its destination UID where the server said
/// (APPENDUID), and the source flags it carried (`None`: not known, as for a message found in
/// the destination already).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copied {
    pub uid: u32,
    pub destination_uid: Option<u32>,
    pub flags: Option<String>,
}

/// One mapped message as loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    pub destination_uid: Option<u32>,
    pub flags: Option<String>,
}

/// Flags as stored: sorted, `\Recent` left out (the server's own), space-separated.
pub fn flags_text(flags: &[String]) -> String {
    let mut kept: Vec<&str> = flags
        .iter()
        .map(String::as_str)
        .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
        .collect();
    kept.sort_unstable();
    kept.dedup();
    kept.join(" ")
}

/// Records `copied` for the folder (inside the caller's transaction).
pub async fn record(
    db: &impl ConnectionTrait,
    folder_state_id: i64,
    copied: &[Copied],
) -> Result<(), DbErr> {
    for chunk in copied.chunks(500) {
        let rows = chunk.iter().map(|c| message_map::ActiveModel {
            folder_state_id: Set(folder_state_id),
            source_uid: Set(c.uid.into()),
            destination_uid: Set(c.destination_uid.map(i64::from)),
            flags: Set(c.flags.clone()),
            ..Default::default()
        });
        message_map::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    message_map::Column::FolderStateId,
                    message_map::Column::SourceUid,
                ])
                .update_columns([
                    message_map::Column::DestinationUid,
                    message_map::Column::Flags,
                ])
                .to_owned(),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Every mapped message of the folder, by source UID.
pub async fn load(
    db: &DatabaseConnection,
    folder_state_id: i64,
) -> Result<HashMap<u32, Mapped>, DbErr> {
    let rows = message_map::Entity::find()
        .filter(message_map::Column::FolderStateId.eq(folder_state_id))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mapped = Mapped {
                destination_uid: r.destination_uid.map(|u| u as u32),
                flags: r.flags,
            };
            (r.source_uid as u32, mapped)
        })
        .collect())
}

/// Forgets the folder's messages (a new UIDVALIDITY, or messages gone from the source).
pub async fn forget(
    db: &impl ConnectionTrait,
    folder_state_id: i64,
    uids: Option<&[u32]>,
) -> Result<(), DbErr> {
    let all = message_map::Entity::delete_many()
        .filter(message_map::Column::FolderStateId.eq(folder_state_id));
    match uids {
        None => {
            all.exec(db).await?;
        }
        Some(uids) => {
            for chunk in uids.chunks(500) {
                let values: Vec<i64> = chunk.iter().map(|&u| i64::from(u)).collect();
                message_map::Entity::delete_many()
                    .filter(message_map::Column::FolderStateId.eq(folder_state_id))
                    .filter(message_map::Column::SourceUid.is_in(values))
                    .exec(db)
                    .await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_stored_sorted_without_recent() {
        let flags: Vec<String> = ["\\Seen", "\\Recent", "$Label1", "\\Answered", "\\Seen"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(flags_text(&flags), "$Label1 \\Answered \\Seen");
    }
}
