//! An endpoint's tokens: requested on first use, kept until shortly before they run out, asked
//! again when a server refused one. One request at a time per user (the folders of a mailbox
//! that open sessions together share it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::endpoint::OAuthKind;

use super::error::OAuthError;
use super::grant::{self, IssuedToken};
use super::service_account::ServiceAccountKey;
use super::settings::{GOOGLE_SCOPE, MICROSOFT_SCOPE, OAuthSettings};
use crate::secrets::Secret;

/// A provider that says nothing of a token's lifetime is taken at one hour (both do say).
const ASSUMED_LIFETIME: Duration = Duration::from_secs(3600);
/// Renewed this long before it runs out at most (a quarter of a short lifetime otherwise).
const RENEW_BEFORE: Duration = Duration::from_secs(300);

struct Cached {
    token: Secret,
    renew_at: Instant,
}

type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// Where an endpoint's users' tokens come from.
pub struct TokenSource {
    settings: OAuthSettings,
    /// Google's key, read once; a key that cannot be used fails each request with its reason.
    key: Option<Result<ServiceAccountKey, String>>,
    http: reqwest::Client,
    slots: Mutex<HashMap<String, Slot>>,
    requests: std::sync::atomic::AtomicU64,
    /// Personal accounts: each user's refresh token, and the ones the provider replaced (to be
    /// stored again).
    refresh: Mutex<RefreshTokens>,
}

#[derive(Default)]
struct RefreshTokens {
    current: HashMap<String, Secret>,
    replaced: HashMap<String, Secret>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// Reads the settings' key (Google) once; `timeout` bounds every token request.
    pub fn new(settings: OAuthSettings, timeout: Duration) -> TokenSource {
        let key =
            match settings.kind {
                OAuthKind::Google => Some(ServiceAccountKey::parse(&settings.secret.0).map_err(
                    |e| match e {
                        OAuthError::BadKey(why) => why,
                        other => other.to_string(),
                    },
                )),
                OAuthKind::Microsoft | OAuthKind::Personal | OAuthKind::None => None,
            };
        TokenSource {
            settings,
            key,
            http: grant::http_client(timeout),
            slots: Mutex::new(HashMap::new()),
            requests: Default::default(),
            refresh: Mutex::default(),
        }
    }

    /// A personal account's refresh token, from its row's consent.
    pub(crate) fn remember_refresh_token(&self, user: &str, token: Secret) {
        let mut refresh = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
        refresh.current.insert(user.to_ascii_lowercase(), token);
    }

    /// The refresh token the provider gave `user` in place of the stored one, once.
    pub(crate) fn take_replaced_refresh_token(&self, user: &str) -> Option<Secret> {
        let mut refresh = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
        refresh.replaced.remove(&user.to_ascii_lowercase())
    }

    pub fn settings(&self) -> &OAuthSettings {
        &self.settings
    }

    /// Token requests made so far (for the logs and the tests).
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A token for `user`, from the cache while it is fresh.
    pub async fn token_for(&self, user: &str) -> Result<Secret, OAuthError> {
        self.token(user, None).await
    }

    /// A new token for `user` after a server refused `refused` (unless another session already
    /// replaced it).
    pub async fn renewed_token_for(
        &self,
        user: &str,
        refused: &Secret,
    ) -> Result<Secret, OAuthError> {
        self.token(user, Some(refused)).await
    }

    async fn token(&self, user: &str, refused: Option<&Secret>) -> Result<Secret, OAuthError> {
        let slot = self.slot(user);
        let mut cached = slot.lock().await;
        if let Some(c) = cached.as_ref()
            && Instant::now() < c.renew_at
            && refused.is_none_or(|r| r.0 != c.token.0)
        {
            return Ok(c.token.clone());
        }
        let asked = Instant::now();
        let issued = self.request(user).await?;
        // A day at most: an absurd `expires_in` must neither overflow nor keep a token for ever.
        let lifetime = issued
            .expires_in
            .unwrap_or(ASSUMED_LIFETIME)
            .min(Duration::from_secs(86_400));
        let renew_at = asked + lifetime - RENEW_BEFORE.min(lifetime / 4);
        tracing::debug!(
            user,
            lifetime_s = lifetime.as_secs(),
            "OAuth 2 token issued"
        );
        *cached = Some(Cached {
            token: issued.access_token.clone(),
            renew_at,
        });
        Ok(issued.access_token)
    }

    /// Microsoft's app token serves every user: one slot for all.
    fn slot(&self, user: &str) -> Slot {
        let key = match self.settings.kind {
            OAuthKind::Google | OAuthKind::Personal => user.to_ascii_lowercase(),
            OAuthKind::Microsoft | OAuthKind::None => String::new(),
        };
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(key).or_default().clone()
    }

    async fn request(&self, user: &str) -> Result<IssuedToken, OAuthError> {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let s = &self.settings;
        match &self.key {
            Some(Err(why)) => Err(OAuthError::BadKey(why.clone())),
            Some(Ok(key)) => {
                let url = s.token_url(key.token_uri.as_deref());
                grant::jwt_bearer(&self.http, key, user, GOOGLE_SCOPE, &url).await
            }
            None if s.kind == OAuthKind::Personal => self.refreshed(user).await,
            None => {
                let url = s.token_url(None);
                let client_id = s.client_id.as_deref().unwrap_or_default();
                grant::client_credentials(&self.http, client_id, &s.secret, MICROSOFT_SCOPE, &url)
                    .await
            }
        }
    }

    /// A personal account's token from its refresh token; a replaced refresh token is kept.
    async fn refreshed(&self, user: &str) -> Result<IssuedToken, OAuthError> {
        let key = user.to_ascii_lowercase();
        let stored = {
            let refresh = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
            refresh.current.get(&key).cloned()
        };
        let Some(refresh_token) = stored else {
            return Err(OAuthError::Refused {
                code: "consent_required".into(),
                description: Some("the user has not given consent yet".into()),
            });
        };
        let s = &self.settings;
        let client_id = s.client_id.as_deref().unwrap_or_default();
        let url = s.token_url(None);
        let issued = grant::refresh(&self.http, client_id, &s.secret, &refresh_token, &url).await?;
        if let Some(new) = &issued.refresh_token
            && new.0 != refresh_token.0
        {
            let mut refresh = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
            refresh.current.insert(key.clone(), new.clone());
            refresh.replaced.insert(key, new.clone());
        }
        Ok(issued)
    }
}
