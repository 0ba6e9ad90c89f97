//! The test bed's OAuth 2 provider on loopback, standing in for Google's and Microsoft's token
//! endpoints (which cannot be reached here): the JWT bearer grant of a service account with
//! domain-wide delegation (RFC 7523), the client credentials grant, and the introspection
//! endpoint (RFC 7662) that Dovecot's `oauth2` passdb asks about every token. Tokens really
//! expire (after a lifetime the test sets, possibly shorter than the one it declares).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

mod certificate;
mod consent;
use consent::{
    answer_consent, code_subject, consent_page, decide, form_urlencoded, refresh_subject,
};

pub const GOOGLE_SCOPE: &str = "https://mail.google.com/";
pub const MICROSOFT_SCOPE: &str = "https://outlook.office365.com/.default";
/// Gmail's answer to a user whose IMAP access is off.
const GMAIL_IMAP_DISABLED: &str = "Your account is not enabled for IMAP use. Please visit your Gmail settings page and enable your account for IMAP access. (Failure)";
const SERVICE_ACCOUNT: &str = "mailferry-test@project.iam.gserviceaccount.com";

/// An RSA key pair made by `openssl` (PKCS#8 private key, SPKI public key).
struct KeyPair {
    private_pem: String,
    public_pem: String,
}

fn key_pair(dir: &Path, name: &str) -> anyhow::Result<KeyPair> {
    let private = dir.join(format!("{name}.key"));
    let status = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&private)
        .output()
        .context("openssl (Debian package openssl) makes the test keys")?;
    ensure!(status.status.success(), "openssl genpkey: {status:?}");
    let public = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .output()?;
    ensure!(public.status.success(), "openssl pkey: {public:?}");
    Ok(KeyPair {
        private_pem: std::fs::read_to_string(&private)?,
        public_pem: String::from_utf8(public.stdout)?,
    })
}

struct Issued {
    subject: String,
    dies: Instant,
}

#[derive(Default)]
struct Book {
    /// Users the provider knows.
    users: HashSet<String>,
    /// Users whose delegation or consent is missing.
    no_consent: HashSet<String>,
    /// Users without IMAP access: their introspection carries Gmail's reason.
    imap_disabled: HashSet<String>,
    /// Client id → (secret, the domain its app token serves).
    apps: HashMap<String, (String, String)>,
    /// Client id → the certificate its assertions are signed with (instead of a secret).
    certificates: HashMap<String, certificate::RegisteredCertificate>,
    tokens: HashMap<String, Issued>,
    /// Personal accounts' apps (public clients: PKCE, no secret).
    personal_clients: HashSet<String>,
    /// Codes a consent gave, not yet exchanged.
    codes: HashMap<String, Pending>,
    /// Refresh token → its user.
    refresh: HashMap<String, String>,
    issued: HashMap<String, u32>,
    expired_presented: u32,
    /// Tokens issued while the subject's previous one still lived (renewed in time).
    renewed_early: u32,
    next: u64,
    /// How long tokens live, and what `expires_in` says.
    lifetime: Option<(Duration, Duration)>,
}

/// A consent's code, waiting for its exchange.
struct Pending {
    user: String,
    client_id: String,
    redirect_uri: String,
    challenge: String,
}

struct Shared {
    token_url: String,
    public_pem: String,
    book: Mutex<Book>,
}

/// A running token server; stops when dropped.
pub struct TokenServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    service_account_json: String,
    wrong_key_json: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TokenServer {
    /// Starts on a free loopback port with `users` known (needs a Tokio runtime).
    pub async fn start(users: &[&str]) -> anyhow::Result<TokenServer> {
        let dir = tempfile::tempdir()?;
        let (good, wrong) = (
            key_pair(dir.path(), "good")?,
            key_pair(dir.path(), "wrong")?,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let token_url = format!("http://{addr}/token");
        let key_json = |pair: &KeyPair| {
            json!({
                "type": "service_account",
                "project_id": "mailferry-test",
                "private_key_id": "test-key-1",
                "private_key": pair.private_pem,
                "client_email": SERVICE_ACCOUNT,
                "client_id": "1234567890",
                "token_uri": token_url,
            })
            .to_string()
        };
        let shared = Arc::new(Shared {
            token_url: token_url.clone(),
            public_pem: good.public_pem.clone(),
            book: Mutex::new(Book {
                users: users.iter().map(|u| u.to_ascii_lowercase()).collect(),
                ..Book::default()
            }),
        });
        let app = Router::new()
            .route("/token", post(token))
            .route("/introspect", post(introspect))
            .route("/authorize", axum::routing::get(consent_page).post(decide))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(TokenServer {
            addr,
            shared,
            service_account_json: key_json(&good),
            wrong_key_json: key_json(&wrong),
            task,
        })
    }

    pub fn token_url(&self) -> String {
        self.shared.token_url.clone()
    }

    pub fn introspection_url(&self) -> String {
        format!("http://{}/introspect", self.addr)
    }

    /// The service account's JSON key, as Google's console downloads it.
    pub fn service_account_json(&self) -> &str {
        &self.service_account_json
    }

    /// A key of the same account whose private key the provider does not know.
    pub fn wrong_key_json(&self) -> &str {
        &self.wrong_key_json
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.shared.book.lock().unwrap()
    }

    /// Tokens die after `real` while `expires_in` says `declared`.
    pub fn set_lifetime(&self, real: Duration, declared: Duration) {
        self.book().lifetime = Some((real, declared));
    }

    /// The user's delegation (or consent) is withdrawn.
    pub fn revoke_consent(&self, user: &str) {
        self.book().no_consent.insert(user.to_ascii_lowercase());
    }

    /// The user has no IMAP access (Gmail's setting): the token is good, the server refuses
    /// the login with Gmail's reason (a Dovecot started with the user in `imap_disabled`).
    pub fn disable_imap(&self, user: &str) {
        self.book().imap_disabled.insert(user.to_ascii_lowercase());
    }

    /// An app whose token serves every mailbox of `domain` (Microsoft's IMAP.AccessAsApp).
    pub fn add_app(&self, client_id: &str, secret: &str, domain: &str) {
        self.book()
            .apps
            .insert(client_id.into(), (secret.into(), domain.into()));
    }

    /// Where personal accounts give their consent (the provider's consent page).
    pub fn authorization_url(&self) -> String {
        format!("http://{}/authorize", self.addr)
    }

    /// A personal accounts' app: a public client that must use PKCE.
    pub fn add_personal_client(&self, client_id: &str) {
        self.book().personal_clients.insert(client_id.into());
    }

    /// The user's answer on the consent page that `authorize_url` opens, as if given there:
    /// the address the provider sends the browser back to.
    pub fn consent(&self, authorize_url: &str, user: &str, allow: bool) -> String {
        let query = authorize_url.split_once('?').map_or("", |(_, q)| q);
        let form: HashMap<String, String> = form_urlencoded(query);
        let mut book = self.book();
        answer_consent(&mut book, &form, user, allow)
    }

    /// An app that proves itself with a certificate; returns the PEM bundle (certificate and
    /// private key) its admin enters in place of a client secret.
    pub fn add_app_with_certificate(
        &self,
        client_id: &str,
        domain: &str,
    ) -> anyhow::Result<String> {
        let (bundle, registered) = certificate::make(client_id)?;
        let mut book = self.book();
        book.apps
            .insert(client_id.into(), (String::new(), domain.into()));
        book.certificates.insert(client_id.into(), registered);
        Ok(bundle)
    }

    /// Tokens issued for `subject` (a user, or `client_id@domain` for an app).
    pub fn issued_for(&self, subject: &str) -> u32 {
        self.book()
            .issued
            .get(&subject.to_ascii_lowercase())
            .copied()
            .unwrap_or(0)
    }

    /// Tokens issued while the same subject's previous token still lived.
    pub fn renewed_early(&self) -> u32 {
        self.book().renewed_early
    }

    /// Times a server presented a token that had died.
    pub fn expired_presented(&self) -> u32 {
        self.book().expired_presented
    }
}

/// An OAuth 2 error answer (RFC 6749 section 5.2).
struct Refusal {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn oauth_error(status: StatusCode, error: &'static str, description: &str) -> Refusal {
    Refusal {
        status,
        error,
        description: description.to_string(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        (self.status, Json(body)).into_response()
    }
}

async fn token(
    State(shared): State<Arc<Shared>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let subject = match field("grant_type") {
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => jwt_subject(&shared, field("assertion")),
        "client_credentials" => app_subject(&shared, &form),
        "authorization_code" => code_subject(&shared, &form),
        "refresh_token" => refresh_subject(&shared, field("refresh_token")),
        other => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant {other:?}"),
        )),
    };
    // Personal accounts get a refresh token, a new one on each refresh (the old one stays good,
    // as Microsoft's do until they expire).
    let with_refresh = matches!(field("grant_type"), "authorization_code" | "refresh_token");
    match subject {
        Ok(subject) => issue(&shared, subject, with_refresh),
        Err(refusal) => refusal.into_response(),
    }
}

/// Google's checks, with Google's answers.
fn jwt_subject(shared: &Shared, assertion: &str) -> Result<String, Refusal> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&shared.token_url]);
    validation.set_issuer(&[SERVICE_ACCOUNT]);
    validation.set_required_spec_claims(&["exp", "iat", "aud", "iss", "sub"]);
    let key = DecodingKey::from_rsa_pem(shared.public_pem.as_bytes()).expect("own public key");
    let claims = jsonwebtoken::decode::<Value>(assertion, &key, &validation).map_err(|e| {
        let text = match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                "Invalid JWT Signature.".to_string()
            }
            _ => format!("Invalid JWT: {e}"),
        };
        oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", &text)
    })?;
    let claims = claims.claims;
    if claims["scope"] != GOOGLE_SCOPE {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "scope",
        ));
    }
    let sub = claims["sub"].as_str().unwrap_or("").to_ascii_lowercase();
    let book = shared.book.lock().unwrap();
    if !book.users.contains(&sub) {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid email or User ID",
        ));
    }
    if book.no_consent.contains(&sub) {
        return Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
        ));
    }
    Ok(sub)
}

/// Microsoft Entra's checks, with its answers.
fn app_subject(shared: &Shared, form: &HashMap<String, String>) -> Result<String, Refusal> {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let (client_id, secret, scope) = (field("client_id"), field("client_secret"), field("scope"));
    let book = shared.book.lock().unwrap();
    let Some((known, domain)) = book.apps.get(client_id) else {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "AADSTS700016: Application was not found in the directory.",
        ));
    };
    if let Some(registered) = book.certificates.get(client_id) {
        certificate::check(
            registered,
            client_id,
            &shared.token_url,
            field("client_assertion"),
        )?;
    } else if known != secret {
        return Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided.",
        ));
    }
    if scope != MICROSOFT_SCOPE {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "scope",
        ));
    }
    Ok(format!("{client_id}@{domain}").to_ascii_lowercase())
}

fn issue(shared: &Shared, subject: String, with_refresh: bool) -> Response {
    let mut book = shared.book.lock().unwrap();
    let (real, declared) = book
        .lifetime
        .unwrap_or((Duration::from_secs(3600), Duration::from_secs(3600)));
    book.next += 1;
    let token = format!("ya29.test-{}-{}", book.next, std::process::id());
    *book.issued.entry(subject.clone()).or_default() += 1;
    let now = Instant::now();
    if book
        .tokens
        .values()
        .any(|t| t.subject == subject && now < t.dies)
    {
        book.renewed_early += 1;
    }
    book.tokens.insert(
        token.clone(),
        Issued {
            subject: subject.clone(),
            dies: Instant::now() + real,
        },
    );
    let mut body = json!({
        "access_token": token,
        "expires_in": declared.as_secs(),
        "token_type": "Bearer",
    });
    if with_refresh {
        let refresh = format!("1//refresh-{}-{}", book.next, std::process::id());
        book.refresh.insert(refresh.clone(), subject);
        body["refresh_token"] = refresh.into();
    }
    Json(body).into_response()
}

/// RFC 7662: 200 with the token's user while it lives, 401 once it died or was never issued.
async fn introspect(
    State(shared): State<Arc<Shared>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let token = form.get("token").map(String::as_str).unwrap_or("");
    let mut book = shared.book.lock().unwrap();
    let alive = book
        .tokens
        .get(token)
        .map(|issued| (issued.subject.clone(), Instant::now() < issued.dies));
    match alive {
        Some((subject, true)) => {
            let mut answer = json!({ "active": true, "username": subject });
            if book.imap_disabled.contains(&subject) {
                answer["reason"] = GMAIL_IMAP_DISABLED.into();
            }
            Json(answer).into_response()
        }
        Some((_, false)) => {
            book.expired_presented += 1;
            (StatusCode::UNAUTHORIZED, Json(json!({ "active": false }))).into_response()
        }
        None => (StatusCode::UNAUTHORIZED, Json(json!({ "active": false }))).into_response(),
    }
}
