use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::MailboxId;
use crate::model::mailbox_page::MailboxAction;

/// Verify one mailbox, or copy what its last verification found missing.
#[server(endpoint = "mailboxes/action")]
pub async fn act_on_mailbox(mailbox: MailboxId, action: MailboxAction) -> Result<(), AppError> {
    use crate::model::audit::AuditAction;
    let (backend, admin) = crate::backend::require_admin().await?;
    let batch = backend.mailbox_action(mailbox, action).await?;
    let audited = match action {
        MailboxAction::Verify => AuditAction::BatchVerified,
        MailboxAction::CopyMissing => AuditAction::BatchCopyMissing,
    };
    let detail = format!("mailbox {mailbox}");
    crate::backend::record(&backend, &admin, audited, Some(batch), detail).await;
    Ok(())
}
