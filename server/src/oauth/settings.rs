//! An endpoint's OAuth 2 provider in memory: its kind, public client settings and secret.

use app::model::endpoint::OAuthKind;

use crate::secrets::Secret;

pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Full IMAP access to Gmail (the only scope Gmail's IMAP accepts).
pub const GOOGLE_SCOPE: &str = "https://mail.google.com/";
/// Exchange Online's IMAP for an app (IMAP.AccessAsApp).
pub const MICROSOFT_SCOPE: &str = "https://outlook.office365.com/.default";

#[derive(Clone)]
pub struct OAuthSettings {
    pub kind: OAuthKind,
    /// Microsoft: the app's application (client) id.
    pub client_id: Option<String>,
    /// Microsoft: the directory (tenant) id or domain.
    pub tenant: Option<String>,
    /// Replaces the provider's own token URL (sovereign clouds, the test bed); a personal
    /// accounts' provider is known by it.
    pub token_url: Option<String>,
    /// Personal accounts: where users give their consent.
    pub authorization_url: Option<String>,
    /// Personal accounts: the access asked for.
    pub scope: Option<String>,
    /// Google: the service account's JSON key; Microsoft: the client secret.
    pub secret: Secret,
}

impl std::fmt::Debug for OAuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSettings")
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .field("tenant", &self.tenant)
            .field("token_url", &self.token_url)
            .field("authorization_url", &self.authorization_url)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl OAuthSettings {
    /// Where tokens are requested: the endpoint's own URL, else the provider's (`key_uri`: the
    /// one a Google key names).
    pub fn token_url(&self, key_uri: Option<&str>) -> String {
        if let Some(url) = &self.token_url {
            return url.clone();
        }
        match self.kind {
            OAuthKind::Google => key_uri.unwrap_or(GOOGLE_TOKEN_URL).to_string(),
            OAuthKind::Microsoft | OAuthKind::Personal | OAuthKind::None => format!(
                "https://login.microsoftonline.com/{}/oauth2/v2.0/token",
                self.tenant.as_deref().unwrap_or("common")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_urls_follow_the_provider_unless_set() {
        let mut s = OAuthSettings {
            kind: OAuthKind::Microsoft,
            client_id: Some("app".into()),
            tenant: Some("contoso.onmicrosoft.com".into()),
            token_url: None,
            authorization_url: None,
            scope: None,
            secret: Secret("never shown".into()),
        };
        assert_eq!(
            s.token_url(None),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert!(!format!("{s:?}").contains("never shown"));
        s.kind = OAuthKind::Google;
        assert_eq!(s.token_url(None), GOOGLE_TOKEN_URL);
        assert_eq!(s.token_url(Some("https://k/t")), "https://k/t");
        s.token_url = Some("http://127.0.0.1:9/token".into());
        assert_eq!(s.token_url(Some("https://k/t")), "http://127.0.0.1:9/token");
    }
}
