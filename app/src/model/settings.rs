//! The settings page: where status e-mails go out and who receives them.

use serde::{Deserialize, Serialize};

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP (loopback or trusted relays only).
    None,
    #[default]
    Starttls,
    Tls,
}

impl SmtpSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::None => "none",
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::Tls => "tls",
        }
    }
}

/// The mail settings as the browser sees them (the SMTP password only as "set or not").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSettingsView {
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    pub smtp_username: String,
    pub smtp_has_password: bool,
    pub from: String,
    /// Who receives every batch's status e-mail (besides the batch's own addresses).
    pub notify_emails: Vec<String>,
    /// Saved in the app (true) or only from the configuration file/environment.
    pub saved_in_app: bool,
}
