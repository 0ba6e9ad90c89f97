//! SMTP settings and sending (lettre). Settings come from the configuration (`[smtp]`), or from
//! the settings page, which takes precedence (see `mail::mail_settings`).

use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

pub use app::model::settings::SmtpSecurity;

use crate::secrets::Secret;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmtpSettings {
    /// Empty = no e-mail is sent.
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: Secret,
    /// The sender address of Mailferry's e-mails.
    pub from: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no SMTP server is configured (smtp.host)")]
    NotConfigured,
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("building the e-mail: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl SmtpSettings {
    pub fn is_configured(&self) -> bool {
        !self.host.is_empty()
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
        let mut builder = match self.security {
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            }
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host)?,
        };
        if self.port != 0 {
            builder = builder.port(self.port);
        }
        if !self.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                self.username.clone(),
                self.password.0.clone(),
            ));
        }
        Ok(builder
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build())
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        if !self.is_configured() {
            return Err(SendError::NotConfigured);
        }
        self.transport()?.send(message).await?;
        Ok(())
    }
}
