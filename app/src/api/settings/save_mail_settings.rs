use leptos::prelude::*;

use crate::api::AppError;

/// Saves the SMTP server and the default recipients; an empty password keeps the saved one.
#[server(endpoint = "settings/mail/save")]
pub async fn save_mail_settings(
    smtp_host: String,
    smtp_port: String,
    smtp_security: String,
    smtp_username: String,
    smtp_password: String,
    from: String,
    notify_emails: String,
) -> Result<(), AppError> {
    use crate::model::settings::{MailSettingsView, SmtpSecurity};
    let (backend, admin) = crate::backend::require_admin().await?;
    let smtp_port = match smtp_port.trim() {
        "" => 0,
        port => port
            .parse()
            .map_err(|_| AppError::invalid("Port", "enter a port between 1 and 65535"))?,
    };
    let smtp_security = match smtp_security.trim() {
        "none" => SmtpSecurity::None,
        "tls" => SmtpSecurity::Tls,
        _ => SmtpSecurity::Starttls,
    };
    let host = smtp_host.trim();
    let from = from.trim();
    if !host.is_empty() && !from.contains('@') {
        return Err(AppError::invalid(
            "From",
            "enter the sender address of the e-mails",
        ));
    }
    let notify_emails: Vec<String> = notify_emails
        .split([',', ';', '\n', ' '])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(String::from)
        .collect();
    if let Some(bad) = notify_emails.iter().find(|a| !a.contains('@')) {
        return Err(AppError::invalid(
            "Recipients",
            format!("{bad} is not an e-mail address"),
        ));
    }
    let settings = MailSettingsView {
        smtp_host: host.to_string(),
        smtp_port,
        smtp_security,
        smtp_username: smtp_username.trim().to_string(),
        smtp_has_password: false,
        from: from.to_string(),
        notify_emails,
        saved_in_app: true,
    };
    let password = (!smtp_password.is_empty()).then_some(smtp_password);
    let detail = format!(
        "SMTP {}:{}{}, {} recipients",
        settings.smtp_host,
        settings.smtp_port,
        if password.is_some() {
            ", password typed"
        } else {
            ""
        },
        settings.notify_emails.len()
    );
    backend.save_mail_settings(settings, password).await?;
    let action = crate::model::audit::AuditAction::SettingsSaved;
    crate::backend::record(&backend, &admin, action, None, detail).await;
    Ok(())
}
