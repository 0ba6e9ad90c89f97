//! The first-run set-up against the real server binary: it needs the set-up code the server
//! printed in its log; a page of a DNS-rebinding attacker (its own host in Host and Origin) is
//! refused even with the code; two set-ups at once create one administrator.

use mailferry_tests::mailferry_server::{MailferryServer, setup_code};

/// POSTs the set-up form with `code` and `extra` headers; the whole answer.
fn set_up(server: &MailferryServer, code: &str, name: &str, extra: &str) -> String {
    let head = format!(
        "POST /api/auth/create_first_admin HTTP/1.1\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n{extra}"
    );
    let body = format!("setup_code={code}&username={name}&password=a+long+enough+password");
    server.http(head.trim_end(), body.as_bytes()).unwrap()
}

fn created(answer: &str) -> bool {
    answer.contains("set-cookie: mf_session=") && !answer.contains("set-cookie: mf_session=;")
}

#[test]
fn the_set_up_needs_the_code_from_the_log_and_the_servers_own_origin() {
    let server = MailferryServer::start_with(false, &[]).unwrap();
    let code = setup_code(&server.log_text()).expect("the code is in the log");
    let wrong = set_up(&server, "AAAA-BBBB-CCCC", "admin", "");
    assert!(!created(&wrong) && wrong.contains("set-up code"), "{wrong}");
    let port = server.url().rsplit(':').next().unwrap().to_string();
    // A rebinding page names its own host (the unit test of `origin.rs` sends it in Host too;
    // here the Origin alone decides).
    let rebound = format!("Origin: http://evil.example:{port}\r\n");
    let answer = set_up(&server, &code, "admin", &rebound);
    assert!(
        !created(&answer) && answer.contains("Unauthorized"),
        "{answer}"
    );
    let cross_site = set_up(&server, &code, "admin", "Sec-Fetch-Site: cross-site\r\n");
    assert!(!created(&cross_site), "{cross_site}");

    // Two set-ups at once: one administrator.
    let answers: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = ["first", "second"]
            .iter()
            .map(|name| scope.spawn(|| set_up(&server, &code, name, "")))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert_eq!(
        answers.iter().filter(|a| created(a)).count(),
        1,
        "{answers:#?}"
    );
    let later = set_up(&server, &code, "third", "");
    assert!(
        !created(&later) && later.contains("exists already"),
        "{later}"
    );
}
