use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::MailboxId;
use crate::model::mailbox_page::MailboxDetail;

/// A mailbox with its folders, passes, errors and last verification.
#[server(endpoint = "mailboxes/get")]
pub async fn get_mailbox(id: MailboxId) -> Result<MailboxDetail, AppError> {
    let (backend, _admin) = crate::backend::require_admin().await?;
    backend.mailbox(id).await
}
