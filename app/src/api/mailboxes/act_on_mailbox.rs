use leptos::prelude::*;

use crate::api::AppError;
use crate::ids::MailboxId;
use crate::model::mailbox_page::MailboxAction;

/// Verify one mailbox, or copy what its last verification found missing (`act`: its own name, so
/// a form can never send a batch action here).
#[server(endpoint = "mailboxes/action")]
pub async fn act_on_mailbox(mailbox: MailboxId, act: MailboxAction) -> Result<(), AppError> {
    use crate::model::audit::AuditAction;
    let (backend, admin) = crate::backend::require_admin().await?;
    let batch = backend.mailbox_action(mailbox, act).await?;
    let audited = match act {
        MailboxAction::Verify => AuditAction::BatchVerified,
        MailboxAction::CopyMissing => AuditAction::BatchCopyMissing,
    };
    let detail = format!("mailbox {mailbox}");
    crate::backend::record(&backend, &admin, audited, Some(batch), detail).await;
    Ok(())
}
