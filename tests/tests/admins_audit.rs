//! Several administrators and the audit trail, against the real `mailferry serve`: adding one
//! with a password or an invitation link (used once), removing (never oneself; two removing each
//! other at once leave one), changing one's password (other sessions end), and every action in
//! the trail with who, when and from where — read by `mailferry audit` — with no password in it.

mod common;

use mailferry_tests::mailferry_server::{MailferryServer, mailferry_binary};

const ANN_PASSWORD: &str = "ann's long password 1";
const BOB_PASSWORD: &str = "bob's long password 22";
const NEW_PASSWORD: &str = "admin's new password 333";

/// Calls the server function at `path` with a form body and the session `token` (if any).
fn call(server: &MailferryServer, path: &str, token: Option<&str>, form: &str) -> String {
    let cookie = token.map_or(String::new(), |t| format!("Cookie: mf_session={t}\r\n"));
    let head = format!(
        "POST /api/{path} HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Accept: application/json\r\nX-Forwarded-For: 198.51.100.9\r\n{cookie}"
    );
    server.http(head.trim_end(), form.as_bytes()).unwrap()
}

fn status(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn session_of(answer: &str) -> String {
    answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: mf_session="))
        .and_then(|rest| rest.split(';').next())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| panic!("no session in:\n{answer}"))
        .to_string()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace('\'', "%27").replace(' ', "+")))
        .collect::<Vec<_>>()
        .join("&")
}

fn sign_in_as(server: &MailferryServer, name: &str, password: &str) -> String {
    let answer = call(
        server,
        "auth/sign_in",
        None,
        &form(&[("username", name), ("password", password)]),
    );
    session_of(&answer)
}

fn audit(server: &MailferryServer, args: &[&str]) -> String {
    let output = std::process::Command::new(mailferry_binary().unwrap())
        .arg("audit")
        .args(["--data-dir", server.data_dir.path().to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", common::output_text(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The server, and a session of `admin` from the forwarded address 198.51.100.9.
fn server_and_admin() -> (MailferryServer, String) {
    let server = MailferryServer::start(&[("MAILFERRY_TRUSTED_PROXIES", "[127.0.0.1]")]).unwrap();
    let admin = server.sign_in("X-Forwarded-For: 198.51.100.9\r\n").unwrap();
    (server, admin)
}

fn add(server: &MailferryServer, admin: &str, name: &str, password: &str) -> String {
    let pairs = [("username", name), ("password", password)];
    call(server, "admins/add", Some(admin), &form(&pairs))
}

/// Invites `name`; the token of the link.
fn invite(server: &MailferryServer, admin: &str, name: &str) -> String {
    let pairs = [("username", name), ("password", ""), ("invite", "1")];
    let invited = call(server, "admins/add", Some(admin), &form(&pairs));
    invited
        .split("\"invite_path\":\"/invite/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no link in:\n{invited}"))
        .to_string()
}

fn accept(server: &MailferryServer, token: &str, password: &str) -> String {
    let pairs = [
        ("token", token),
        ("password", password),
        ("again", password),
    ];
    call(server, "admins/accept", None, &form(&pairs))
}

/// Ann with a password (a weak one and a taken name refused), Bob by an invitation that names
/// him, works once and signs him in.
#[test]
fn administrators_are_added_with_a_password_or_a_link_used_once() {
    let (server, admin) = server_and_admin();
    let weak = add(&server, &admin, "ann", "short");
    assert!(status(&weak) >= 400 && weak.contains("at least"), "{weak}");
    assert_eq!(status(&add(&server, &admin, "ann", ANN_PASSWORD)), 200);
    let taken = add(&server, &admin, "ann", ANN_PASSWORD);
    assert!(taken.contains("already"), "{taken}");
    let ann = sign_in_as(&server, "ann", ANN_PASSWORD);

    let token = invite(&server, &admin, "bob");
    let name = call(&server, "admins/invite", None, &form(&[("token", &token)]));
    assert!(name.contains("bob"), "{name}");
    let bob = session_of(&accept(&server, &token, BOB_PASSWORD));
    let again = accept(&server, &token, BOB_PASSWORD);
    assert!(
        status(&again) >= 400 && again.contains("NotFound"),
        "used once: {again}"
    );
    for session in [&ann, &bob] {
        let list = call(&server, "admins/list", Some(session), "");
        assert!(
            list.contains("\"ann\"") && list.contains("\"bob\""),
            "{list}"
        );
    }

    // Ann invites Erin, then Ann is removed: her waiting invitation ends with her.
    let erin = invite(&server, &ann, "erin");
    let list = call(&server, "admins/list", Some(&admin), "");
    let removed = call(
        &server,
        "admins/remove",
        Some(&admin),
        &form(&[("id", &id_of(&list, "ann"))]),
    );
    assert_eq!(status(&removed), 200, "{removed}");
    let gone = call(&server, "admins/invite", None, &form(&[("token", &erin)]));
    assert!(gone.contains("NotFound"), "{gone}");
    assert!(call(&server, "admins/list", Some(&ann), "").contains("Unauthorized"));
}

/// Nobody removes themselves; two removing each other at once leave one; a new password ends
/// the admin's other sessions, not this one.
#[test]
fn removals_leave_an_administrator_and_a_new_password_ends_other_sessions() {
    let (server, admin) = server_and_admin();
    add(&server, &admin, "ann", ANN_PASSWORD);
    let ann = sign_in_as(&server, "ann", ANN_PASSWORD);
    let list = call(&server, "admins/list", Some(&admin), "");
    let ann_id = id_of(&list, "ann");
    let me = call(
        &server,
        "admins/remove",
        Some(&ann),
        &form(&[("id", &ann_id)]),
    );
    assert!(me.contains("yourself"), "{me}");

    let other = server.sign_in("X-Forwarded-For: 198.51.100.9\r\n").unwrap();
    let change = |current: &str| {
        let pairs = [
            ("current", current),
            ("new", NEW_PASSWORD),
            ("again", NEW_PASSWORD),
        ];
        call(&server, "admins/password", Some(&admin), &form(&pairs))
    };
    assert!(change("nope").contains("current password is wrong"));
    assert_eq!(status(&change(&server.admin_password)), 200);
    assert_eq!(status(&call(&server, "admins/list", Some(&admin), "")), 200);
    assert!(call(&server, "admins/list", Some(&other), "").contains("Unauthorized"));
    sign_in_as(&server, "admin", NEW_PASSWORD);

    one_is_left_when_the_two_remove_each_other(&server, &admin, &ann);
}

/// `admin` and `ann`, the only two, remove each other at the same moment: one of them is left.
fn one_is_left_when_the_two_remove_each_other(server: &MailferryServer, admin: &str, ann: &str) {
    let list = call(server, "admins/list", Some(admin), "");
    let (admin_id, ann_id) = (id_of(&list, "admin"), id_of(&list, "ann"));
    let remove = |session: &str, id: &str| {
        call(server, "admins/remove", Some(session), &form(&[("id", id)]))
    };
    let (by_admin, by_ann) = std::thread::scope(|s| {
        let a = s.spawn(|| remove(admin, &ann_id));
        let b = s.spawn(|| remove(ann, &admin_id));
        (a.join().unwrap(), b.join().unwrap())
    });
    let lists: Vec<String> = [admin, ann]
        .iter()
        .map(|session| call(server, "admins/list", Some(session), ""))
        .filter(|answer| status(answer) == 200)
        .collect();
    assert_eq!(
        lists.len(),
        1,
        "one session is left:\n{by_admin}\n{by_ann}\n{lists:?}"
    );
    let survivors = ["admin", "ann"]
        .iter()
        .filter(|n| lists[0].contains(&format!("\"username\":\"{n}\"")))
        .count();
    assert_eq!(
        survivors, 1,
        "exactly one administrator is left:\n{}",
        lists[0]
    );
}

/// The same on PostgreSQL, where the removal locks the admin rows (`FOR UPDATE`).
#[test]
fn one_is_left_when_the_two_remove_each_other_postgres() {
    let pg = mailferry_tests::Postgres::start().unwrap();
    let env = [
        ("MAILFERRY_DATABASE_URL", pg.url()),
        ("MAILFERRY_TRUSTED_PROXIES", "[127.0.0.1]".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = MailferryServer::start(&env).unwrap();
    let admin = server.sign_in("X-Forwarded-For: 198.51.100.9\r\n").unwrap();
    add(&server, &admin, "ann", ANN_PASSWORD);
    let ann = sign_in_as(&server, "ann", ANN_PASSWORD);
    one_is_left_when_the_two_remove_each_other(&server, &admin, &ann);
}

/// Every action in the trail with who, what and from where; `mailferry audit` filters it; no
/// password or link token in it, nor in the database.
#[test]
fn the_trail_records_who_did_what_from_where_and_no_secret() {
    let (server, admin) = server_and_admin();
    add(&server, &admin, "ann", ANN_PASSWORD);
    let token = invite(&server, &admin, "bob");
    accept(&server, &token, BOB_PASSWORD);
    let list = call(&server, "admins/list", Some(&admin), "");
    call(
        &server,
        "admins/remove",
        Some(&admin),
        &form(&[("id", &id_of(&list, "ann"))]),
    );
    let failed = call(
        &server,
        "auth/sign_in",
        None,
        &form(&[("username", "admin"), ("password", "a wrong guess")]),
    );
    assert!(status(&failed) >= 300, "{failed}");
    // A password typed into the name field is not kept: the name is no administrator's.
    let typed = [("username", "Typed-Password-In-Name"), ("password", "x")];
    call(&server, "auth/sign_in", None, &form(&typed));

    let all = audit(&server, &["--limit", "200"]);
    for expected in [
        "admin_added",
        "admin_invited",
        "invite_accepted",
        "admin_removed",
        "signed_in",
        "sign_in_failed",
    ] {
        assert!(all.contains(expected), "{expected} missing:\n{all}");
    }
    assert!(
        all.contains("198.51.100.9"),
        "the forwarded client address:\n{all}"
    );
    let by_admin = audit(&server, &["--admin", "admin", "--action", "admin_added"]);
    assert_eq!(
        by_admin.lines().count(),
        2,
        "the header and ann's addition:\n{by_admin}"
    );
    assert!(by_admin.contains("ann (with a password)"), "{by_admin}");
    let by_bob = audit(&server, &["--admin", "bob"]);
    assert!(
        by_bob.contains("invite_accepted") && !by_bob.contains("admin_added"),
        "{by_bob}"
    );
    let db = std::fs::read(server.data_dir.path().join("mailferry.db")).unwrap();
    let unknown = audit(&server, &["--admin", "(unknown name)"]);
    assert!(unknown.contains("sign_in_failed"), "{unknown}");
    let typed = "Typed-Password-In-Name";
    for secret in [
        ANN_PASSWORD,
        BOB_PASSWORD,
        "a wrong guess",
        typed,
        token.as_str(),
    ] {
        assert!(
            !all.contains(secret),
            "a secret in the trail: {secret}\n{all}"
        );
        assert!(
            !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} stored"
        );
    }
}

/// The id of `name` in the JSON of `admins/list`.
fn id_of(list: &str, name: &str) -> String {
    let at = list
        .find(&format!("\"username\":\"{name}\""))
        .unwrap_or_else(|| panic!("{name} in {list}"));
    let before = &list[..at];
    let id = before.rsplit("\"id\":").next().unwrap();
    id.split([',', '}']).next().unwrap().trim().to_string()
}
