//! The mail settings saved from the settings page (SMTP server, default recipients). Saved
//! settings take precedence over the configuration's `[smtp]`; the SMTP password is encrypted.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use app::model::settings::{MailSettingsView, SmtpSecurity};

use super::smtp::SmtpSettings;
use crate::db::entity::setting;
use crate::secrets::Secret;
use crate::secrets::{Cipher, EncryptedSecret, Slot};

const KEY: &str = "mail";

/// What is stored as the setting's JSON value (the password goes to the encrypted column).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Stored {
    host: String,
    port: u16,
    security: SmtpSecurity,
    username: String,
    from: String,
    notify_emails: Vec<String>,
}

/// The settings in effect: SMTP and the default status e-mail recipients.
#[derive(Clone, Debug, Default)]
pub struct MailSettings {
    pub smtp: SmtpSettings,
    pub notify_emails: Vec<String>,
    pub saved_in_app: bool,
}

impl MailSettings {
    pub fn view(&self) -> MailSettingsView {
        MailSettingsView {
            smtp_host: self.smtp.host.clone(),
            smtp_port: self.smtp.port,
            smtp_security: self.smtp.security,
            smtp_username: self.smtp.username.clone(),
            smtp_has_password: !self.smtp.password.0.is_empty(),
            from: self.smtp.from.clone(),
            notify_emails: self.notify_emails.clone(),
            saved_in_app: self.saved_in_app,
        }
    }
}

/// The saved settings, or the configuration's when nothing was saved.
pub async fn load(
    db: &DatabaseConnection,
    cipher: &Cipher,
    configured: &SmtpSettings,
) -> Result<MailSettings, DbErr> {
    let Some(row) = setting::Entity::find_by_id(KEY.to_string()).one(db).await? else {
        return Ok(MailSettings {
            smtp: configured.clone(),
            notify_emails: Vec::new(),
            saved_in_app: false,
        });
    };
    let stored: Stored = serde_json::from_str(&row.value).unwrap_or_default();
    let password = match row.secret {
        Some(secret) => cipher
            .decrypt(&EncryptedSecret(secret), &Slot::Setting { key: KEY })
            .map_err(|e| DbErr::Custom(format!("the saved SMTP password: {e}")))?,
        None => String::new(),
    };
    Ok(MailSettings {
        smtp: SmtpSettings {
            host: stored.host,
            port: stored.port,
            security: stored.security,
            username: stored.username,
            password: Secret(password),
            from: stored.from,
        },
        notify_emails: stored.notify_emails,
        saved_in_app: true,
    })
}

/// Saves the settings; `password: None` keeps the saved one.
pub async fn save(
    db: &DatabaseConnection,
    cipher: &Cipher,
    view: &MailSettingsView,
    password: Option<&str>,
    configured: &SmtpSettings,
) -> Result<(), DbErr> {
    let current = load(db, cipher, configured).await?;
    let password = password.map_or(current.smtp.password.0, String::from);
    let stored = Stored {
        host: view.smtp_host.trim().to_string(),
        port: view.smtp_port,
        security: view.smtp_security,
        username: view.smtp_username.trim().to_string(),
        from: view.from.trim().to_string(),
        notify_emails: view.notify_emails.clone(),
    };
    let value = serde_json::to_string(&stored).map_err(|e| DbErr::Custom(e.to_string()))?;
    let secret =
        (!password.is_empty()).then(|| cipher.encrypt(&password, &Slot::Setting { key: KEY }).0);
    let model = setting::ActiveModel {
        key: Set(KEY.into()),
        value: Set(value),
        secret: Set(secret),
        updated_at: Set(Utc::now()),
    };
    if current.saved_in_app {
        model.update(db).await?;
    } else {
        model.insert(db).await?;
    }
    Ok(())
}
