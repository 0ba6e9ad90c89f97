//! The settings page's "send test e-mail": proves the SMTP settings before a batch relies on them.

use lettre::Message;
use lettre::message::Mailbox;

use super::smtp::{SendError, SmtpSettings};

pub async fn send_test_email(smtp: &SmtpSettings, to: &str) -> Result<(), SendError> {
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|_| SendError::Address(smtp.from.clone()))?;
    let to: Mailbox = to
        .trim()
        .parse()
        .map_err(|_| SendError::Address(to.to_string()))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject("Mailferry: test e-mail")
        .body(
            "This is a test e-mail from Mailferry. Status e-mails of finished batches will come \
             the same way.\n"
                .to_string(),
        )
        .map_err(|e| SendError::Build(e.to_string()))?;
    smtp.send(message).await
}
