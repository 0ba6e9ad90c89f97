//! The settings page's side of the backend: mail settings and the test e-mail.

use app::api::AppError;
use app::model::settings::MailSettingsView;

use super::{WebBackend, internal};
use crate::mail::mail_settings;
use crate::mail::smtp::SendError;
use crate::mail::test_email::send_test_email;

impl WebBackend {
    async fn mail(&self) -> Result<mail_settings::MailSettings, AppError> {
        mail_settings::load(&self.state.db, &self.state.cipher, &self.state.config.smtp)
            .await
            .map_err(internal)
    }

    pub(super) async fn mail_view(&self) -> Result<MailSettingsView, AppError> {
        Ok(self.mail().await?.view())
    }

    pub(super) async fn save_mail(
        &self,
        view: MailSettingsView,
        password: Option<String>,
    ) -> Result<(), AppError> {
        // An empty password keeps the stored one, but only for the same SMTP server: a stolen
        // session must not send it to another host.
        let current = self.mail().await?.smtp;
        let moved = !current.host.eq_ignore_ascii_case(view.smtp_host.trim())
            || current.port != view.smtp_port
            || current.security != view.smtp_security;
        if password.is_none() && moved && !current.password.0.is_empty() {
            return Err(AppError::invalid(
                "SMTP password",
                "the SMTP server changed: type its password again",
            ));
        }
        mail_settings::save(
            &self.state.db,
            &self.state.cipher,
            &view,
            password.as_deref(),
            &self.state.config.smtp,
        )
        .await
        .map_err(internal)?;
        tracing::info!(host = %view.smtp_host, "mail settings saved");
        Ok(())
    }

    pub(super) async fn test_mail(&self, to: String) -> Result<(), AppError> {
        let settings = self.mail().await?;
        send_test_email(&settings.smtp, &to)
            .await
            .map_err(|e| match e {
                SendError::Address(address) => {
                    AppError::invalid("Send to", format!("{address} is not an e-mail address"))
                }
                SendError::NotConfigured => {
                    AppError::invalid("SMTP server", "save an SMTP server first")
                }
                other => AppError::Conflict(format!("The test e-mail was not sent: {other}")),
            })
    }
}
