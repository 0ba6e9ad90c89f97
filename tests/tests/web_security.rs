//! The admin app against a stranger: every server function (found by enumerating them all, so
//! a new one cannot be forgotten), the websocket channel and the downloads refuse a caller
//! without a session; a session cookie is refused from another origin; signing in never keeps
//! a token the browser brought (no session fixation); oversized bodies are refused before they
//! are read; every answer carries the security headers; a stored password is never sent to a
//! server other than the one it was typed for.

use mailferry_tests::mailferry_server::MailferryServer;

/// Server functions a stranger may call: signing in and the first-run set-up.
const PUBLIC: [&str; 7] = [
    "auth/sign_in",
    "auth/sign_out",
    "auth/setup_state",
    "auth/create_first_admin",
    "auth/current_admin",
    // An invitation link is its own key (a 256-bit token, stored hashed, used once).
    "admins/invite",
    "admins/accept",
];

/// Values for every argument of every server function, so each call reaches its body (extra
/// fields are ignored): the refusal must come from the session check, not from bad input.
const EVERY_ARGUMENT: &str = "id=1&batch=1&action=start&filter[page]=0&to=a%40example.org\
    &name=n&role=source&host=h&port=1&security=none&auth_mechanism=login&impersonation=sasl-plain\
    &admin_user=&admin_password=&tls_ca_pem=&max_concurrent=1&smtp_host=&smtp_port=&smtp_security=\
    &smtp_username=&smtp_password=&from=&notify_emails=&username=u&password=p&current=c&new=n\
    &again=a&token=t&mailbox=1&act=verify&all_matching=false&selected=&bulk=stop";

const BOUNDARY: &str = "mailferry-test-boundary";

fn status(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

fn call(server: &MailferryServer, path: &str, method: &str, extra_headers: &str) -> String {
    let (head, body) = match method {
        "GET" => (
            // A complete websocket handshake: only the session check stands in the way.
            format!(
                "GET {path} HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra_headers}"
            ),
            Vec::new(),
        ),
        _ if path.ends_with("batches/upload") => (
            format!(
                "POST {path} HTTP/1.1\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n{extra_headers}"
            ),
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"a.csv\"\r\n\r\n\
                 EmailAddress,UserName,Password\r\na@example.org,a,p\r\n--{BOUNDARY}--\r\n"
            )
            .into_bytes(),
        ),
        _ => (
            format!(
                "POST {path} HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n{extra_headers}"
            ),
            EVERY_ARGUMENT.as_bytes().to_vec(),
        ),
    };
    server
        .http(head.trim_end(), &body)
        .expect("the server answers")
}

fn sign_in(server: &MailferryServer, extra_headers: &str) -> String {
    server.sign_in(extra_headers).expect("signed in")
}

#[test]
fn every_server_function_refuses_a_stranger() {
    let server = MailferryServer::start(&[]).expect("server starts");
    // Server functions register themselves when linked; the app's pages link them all.
    std::hint::black_box(app::App as fn() -> _);
    let mut paths: Vec<(&str, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path, method.to_string()))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 25,
        "the enumeration found every function: {paths:?}"
    );
    let mut checked = 0;
    for (path, method) in &paths {
        if PUBLIC.iter().any(|p| path.ends_with(p)) {
            continue;
        }
        let answer = call(&server, path, method, "");
        assert!(
            status(&answer) >= 400 && answer.contains("Unauthorized"),
            "{method} {path} answered a stranger:\n{answer}"
        );
        checked += 1;
    }
    assert!(checked >= 18, "protected functions checked: {checked}");

    // The refusals above come from the session check: with a session the same call works…
    let token = sign_in(&server, "");
    let cookie = format!("Cookie: mf_session={token}\r\n");
    let answer = call(&server, "/api/endpoints/list", "POST", &cookie);
    assert_eq!(status(&answer), 200, "{answer}");
    // …but not from another origin (the CSRF guard), websocket upgrades included.
    let foreign = format!("{cookie}Origin: http://evil.example\r\n");
    for (path, method) in [
        ("/api/endpoints/list", "POST"),
        ("/api/batches/watch", "GET"),
    ] {
        let answer = call(&server, path, method, &foreign);
        assert!(
            answer.contains("Unauthorized"),
            "{path} from another origin:\n{answer}"
        );
    }
}

#[test]
fn downloads_need_a_session_and_sign_in_never_keeps_a_brought_token() {
    let server = MailferryServer::start(&[]).expect("server starts");
    for path in [
        "/downloads/MigrationErrors.csv",
        "/downloads/MigrationStatistics.csv?batch=1",
        "/downloads/FailedRows.csv?batch=1",
    ] {
        let answer = server.http(&format!("GET {path} HTTP/1.1"), b"").unwrap();
        assert_eq!(status(&answer), 401, "{path}:\n{answer}");
    }
    let planted = "attacker-chosen-token";
    let token = sign_in(&server, &format!("Cookie: mf_session={planted}\r\n"));
    assert_ne!(token, planted);
    let answer = server
        .http(
            &format!("GET /downloads/MigrationErrors.csv HTTP/1.1\r\nCookie: mf_session={token}"),
            b"",
        )
        .unwrap();
    assert_eq!(status(&answer), 200, "{answer}");
    assert!(answer.contains("RowIndex,EmailAddress,ErrorMessage"));
}

/// Sends `head` announcing `length` body bytes but sends only `sent` of them, and reads the
/// answer: a refusal must come without waiting for (or reading) the rest.
fn announce(server: &MailferryServer, head: &str, length: usize, sent: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let request = format!(
        "{head}\r\nHost: 127.0.0.1:{}\r\nContent-Length: {length}\r\n\r\n",
        server.port
    );
    stream.write_all(request.as_bytes()).unwrap();
    let _ = stream.write_all(sent);
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).unwrap_or(0);
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

/// A stranger's oversized bodies are refused with 413 before they are read: 70 KiB to a server
/// function, 11 MiB to the upload (announced, never sent); a 70 KiB body sent in chunks without
/// a length fails too; the server goes on answering.
#[test]
fn oversized_bodies_are_refused_before_they_are_read() {
    let server = MailferryServer::start(&[]).expect("server starts");
    let form = "POST /api/auth/sign_in HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded";
    let answer = announce(&server, form, 70 * 1024, b"username=");
    assert_eq!(status(&answer), 413, "{answer}");
    let upload = format!(
        "POST /api/batches/upload HTTP/1.1\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}"
    );
    let answer = announce(&server, &upload, 11 * 1024 * 1024, b"--");
    assert_eq!(status(&answer), 413, "{answer}");

    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let head = format!(
        "{form}\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 8 * 1024, "a".repeat(8 * 1024));
    for _ in 0..9 {
        if stream.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(status(&answer) >= 400, "a chunked 72 KiB body:\n{answer}");

    let healthz = server.http("GET /healthz HTTP/1.1", b"").unwrap();
    assert_eq!(status(&healthz), 200, "{healthz}");
}

/// Every answer carries the security headers: pages, server functions, refusals, downloads.
#[test]
fn every_answer_forbids_framing_and_sniffing() {
    let server = MailferryServer::start(&[]).expect("server starts");
    let answers = [
        server.http("GET /setup HTTP/1.1", b"").unwrap(),
        server.http("GET /healthz HTTP/1.1", b"").unwrap(),
        call(&server, "/api/endpoints/list", "POST", ""),
        server
            .http("GET /downloads/MigrationErrors.csv HTTP/1.1", b"")
            .unwrap(),
    ];
    for answer in answers {
        let head = answer
            .split("\r\n\r\n")
            .next()
            .unwrap()
            .to_ascii_lowercase();
        for expected in [
            "content-security-policy: ",
            "frame-ancestors 'none'",
            "x-frame-options: deny",
            "x-content-type-options: nosniff",
            "referrer-policy: same-origin",
        ] {
            assert!(head.contains(expected), "{expected} missing in:\n{head}");
        }
        assert!(!head.contains("unsafe-inline"), "{head}");
    }
}

/// A page's policy runs only scripts with this answer's nonce, which every script of the page
/// carries; each answer has another nonce; answers that are not pages allow nothing.
#[test]
fn pages_run_only_their_own_scripts() {
    let server = MailferryServer::start(&[]).expect("server starts");
    let nonce_of = |answer: &str| -> String {
        let policy = answer
            .lines()
            .find_map(|l| l.strip_prefix("content-security-policy: "))
            .unwrap_or_else(|| panic!("no policy:\n{answer}"));
        assert!(policy.contains("default-src 'self'"), "{policy}");
        assert!(policy.contains("style-src 'self';"), "{policy}");
        let nonce = policy
            .split("script-src 'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("no script nonce: {policy}"));
        nonce.to_string()
    };
    let page = server.http("GET /setup HTTP/1.1", b"").unwrap();
    let nonce = nonce_of(&page);
    assert!(nonce.len() >= 16, "{nonce}");
    let scripts = page.matches("<script").count();
    assert!(scripts >= 2, "hydration scripts: {page}");
    let with_nonce = page.matches(&format!("<script nonce=\"{nonce}\"")).count()
        + page
            .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
            .count();
    assert_eq!(
        with_nonce, scripts,
        "every script carries the nonce:\n{page}"
    );
    assert!(!page.contains(" style=\""), "no inline style:\n{page}");
    let again = server.http("GET /sign-in HTTP/1.1", b"").unwrap();
    assert_ne!(nonce_of(&again), nonce, "a nonce is used once");
    let health = server.http("GET /healthz HTTP/1.1", b"").unwrap();
    assert!(
        health.contains("content-security-policy: default-src 'none';"),
        "{health}"
    );
}

/// Saves an endpoint through the form's server function (as the signed-in admin); the answer.
fn save_endpoint(server: &MailferryServer, cookie: &str, fields: &str) -> String {
    let form = format!(
        "name=dest&role=destination&security=none&auth_mechanism=login\
         &impersonation=sasl-plain&admin_user=admin&tls_ca_pem=&max_concurrent=2&{fields}"
    );
    let head = format!(
        "POST /api/endpoints/save HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Accept: application/json\r\n{cookie}"
    );
    server.http(head.trim_end(), form.as_bytes()).unwrap()
}

/// An edit that leaves the stored admin password empty keeps it only for the same server: a
/// stolen session cannot point the endpoint elsewhere and have the password sent there.
#[test]
fn a_changed_server_needs_the_admin_password_again() {
    let server = MailferryServer::start(&[]).expect("server starts");
    let cookie = format!("Cookie: mf_session={}\r\n", sign_in(&server, ""));
    let created = save_endpoint(
        &server,
        &cookie,
        "id=&host=127.0.0.1&port=1143&admin_password=secret-1",
    );
    assert_eq!(status(&created), 200, "{created}");
    let id = created
        .rsplit("\r\n\r\n")
        .next()
        .unwrap()
        .trim()
        .to_string();
    let same = save_endpoint(
        &server,
        &cookie,
        &format!("id={id}&host=127.0.0.1&port=1143&admin_password="),
    );
    assert_eq!(status(&same), 200, "the same server keeps it: {same}");
    for moved in ["host=evil.example&port=1143", "host=127.0.0.1&port=2143"] {
        let fields = format!("id={id}&{moved}&admin_password=");
        let answer = save_endpoint(&server, &cookie, &fields);
        assert!(
            status(&answer) >= 400 && answer.contains("type the admin password again"),
            "{moved}: {answer}"
        );
    }
    let retyped = save_endpoint(
        &server,
        &cookie,
        &format!("id={id}&host=evil.example&port=1143&admin_password=secret-2"),
    );
    assert_eq!(status(&retyped), 200, "{retyped}");
}

/// The same for the SMTP password: kept for the same SMTP server, asked again for another.
#[test]
fn a_changed_smtp_server_needs_its_password_again() {
    let server = MailferryServer::start(&[]).expect("server starts");
    let cookie = format!("Cookie: mf_session={}\r\n", sign_in(&server, ""));
    let save = |fields: &str| {
        let form = format!(
            "smtp_port=2525&smtp_security=none&smtp_username=u&from=mf%40example.org\
             &notify_emails=&{fields}"
        );
        let head = format!(
            "POST /api/settings/mail/save HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Accept: application/json\r\n{cookie}"
        );
        server.http(head.trim_end(), form.as_bytes()).unwrap()
    };
    let first = save("smtp_host=127.0.0.1&smtp_password=smtp-secret");
    assert_eq!(status(&first), 200, "{first}");
    let same = save("smtp_host=127.0.0.1&smtp_password=");
    assert_eq!(status(&same), 200, "{same}");
    let moved = save("smtp_host=evil.example&smtp_password=");
    assert!(
        status(&moved) >= 400 && moved.contains("type its password again"),
        "{moved}"
    );
}
