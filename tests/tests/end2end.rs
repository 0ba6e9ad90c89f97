//! Browser tests: the real server, driven by playwright-core in Debian's Chromium
//! (end2end/run.mjs), with JavaScript on and off. Screenshots land in end2end/artifacts/.

use std::process::Command;

use mailferry_tests::mailferry_server::{MailferryServer, workspace_root};

fn run_specs(server: &MailferryServer, specs: &str) {
    let root = workspace_root();
    let output = Command::new("node")
        .arg(root.join("end2end/run.mjs"))
        .env("MAILFERRY_URL", server.url())
        .env("MAILFERRY_ADMIN_USER", "admin")
        .env("MAILFERRY_ADMIN_PASSWORD", &server.admin_password)
        .env("MAILFERRY_ARTIFACTS", root.join("end2end/artifacts"))
        .env("MAILFERRY_SPECS", specs)
        .output()
        .expect("node runs (scripts/install-deps.sh test installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        output.status.success() && last.ends_with(" 0 failed") && !last.starts_with("0 passed"),
        "browser specs failed: {last}\n{stdout}\n{stderr}\nserver log:\n{}",
        server.log_text()
    );
}

#[test]
fn sign_in_and_dashboard() {
    let server = MailferryServer::start(&[]).expect("server starts");
    run_specs(&server, "01-sign-in");
}

#[test]
fn first_run_setup() {
    let server = MailferryServer::start_with(false, &[]).expect("server starts");
    run_specs(&server, "02-setup");
}
