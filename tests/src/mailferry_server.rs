//! The real `mailferry` binary, started on a free loopback port with a throwaway data folder,
//! stopped by PID when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::ports::free_port;

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The binary built by `cargo leptos build` (the README's test command builds it first).
pub fn mailferry_binary() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("MAILFERRY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/mailferry"));
    if !path.exists() {
        bail!(
            "{} is missing: run `cargo leptos build` first (scripts/test.sh does)",
            path.display()
        );
    }
    Ok(path)
}

pub struct MailferryServer {
    /// Behind a lock so a test can restart the server while others hold a reference to it.
    child: Mutex<Child>,
    pub port: u16,
    pub data_dir: tempfile::TempDir,
    pub log_path: PathBuf,
    pub admin_password: String,
    launch: Launch,
}

/// How the process is started, kept for restarts.
struct Launch {
    port: u16,
    data_dir: PathBuf,
    log_path: PathBuf,
    /// The password of `admin`, created at start unless `create_admin` is false (a first run).
    admin_password: String,
    create_admin: bool,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Launch {
    fn spawn(&self) -> anyhow::Result<Child> {
        let binary = mailferry_binary()?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)?;
        let mut command = Command::new(&binary);
        command
            .arg("serve")
            .args(&self.args)
            .env("MAILFERRY_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("MAILFERRY_DATA_DIR", &self.data_dir)
            .env(
                "MAILFERRY_ADMIN_PASSWORD",
                if self.create_admin {
                    self.admin_password.as_str()
                } else {
                    ""
                },
            )
            .env("LEPTOS_SITE_ROOT", workspace_root().join("target/site"))
            .env("RUST_LOG", "info")
            .current_dir(&self.data_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        for (k, v) in &self.env {
            command.env(k, v);
        }
        command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))
    }
}

impl MailferryServer {
    /// Starts `mailferry serve` with an admin `admin` and waits for `/healthz`.
    pub fn start(extra_env: &[(&str, &str)]) -> anyhow::Result<MailferryServer> {
        Self::start_with(true, extra_env)
    }

    /// Starts `mailferry serve`, with the admin `admin` created from the environment or (false)
    /// with no administrator at all, as on a first run.
    pub fn start_with(
        create_admin: bool,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<MailferryServer> {
        Self::start_with_args(create_admin, &[], extra_env)
    }

    /// Starts `mailferry serve ARGS…` (e.g. `--no-worker`).
    pub fn start_with_args(
        create_admin: bool,
        extra_args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<MailferryServer> {
        let site_root = workspace_root().join("target/site");
        if !site_root.join("pkg").exists() {
            bail!(
                "{} has no pkg/: run `cargo leptos build` first",
                site_root.display()
            );
        }
        let data_dir = tempfile::tempdir()?;
        let log_path = data_dir.path().join("server.log");
        let launch = Launch {
            port: free_port(),
            data_dir: data_dir.path().to_path_buf(),
            log_path: log_path.clone(),
            admin_password: "admin password for tests".to_string(),
            create_admin,
            args: extra_args.iter().map(|a| a.to_string()).collect(),
            env: extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let mut server = MailferryServer {
            child: Mutex::new(launch.spawn()?),
            port: launch.port,
            data_dir,
            log_path,
            admin_password: launch.admin_password.clone(),
            launch,
        };
        // The free port may be taken by another test's process before this one binds it (seen
        // in CI): then again on another port, with the same data folder.
        let (mut tries, mut log_from) = (1, 0);
        loop {
            match server.wait_healthy(Duration::from_secs(30)) {
                Ok(()) => return Ok(server),
                Err(_) if tries < 5 && server.lost_its_port(log_from) => {
                    tries += 1;
                    log_from = server.log_text().len();
                    server.launch.port = free_port();
                    server.port = server.launch.port;
                    let respawned = server.launch.spawn()?;
                    *server
                        .child
                        .get_mut()
                        .unwrap_or_else(PoisonError::into_inner) = respawned;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Whether the process has exited because its port was taken (its log from `log_from` on:
    /// the log is kept over restarts).
    fn lost_its_port(&self, log_from: usize) -> bool {
        let exited = matches!(self.child().try_wait(), Ok(Some(_)));
        let log = self.log_text();
        exited
            && log
                .get(log_from..)
                .is_some_and(|l| l.contains("Address already in use"))
    }

    fn child(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn pid(&self) -> u32 {
        self.child().id()
    }

    /// Ends the process at once (SIGKILL), as a crash would.
    pub fn kill_hard(&mut self) {
        let mut child = self.child();
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Kills the process (SIGKILL) and starts it again on the same port and data folder.
    pub fn restart(&self) -> anyhow::Result<()> {
        {
            let mut child = self.child();
            let _ = child.kill();
            let _ = child.wait();
            *child = self.launch.spawn()?;
        }
        self.wait_healthy(Duration::from_secs(30))
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends one raw HTTP/1.1 request (`Connection: close` is added) and returns the whole
    /// answer, head and body, as text.
    pub fn http(&self, head: &str, body: &[u8]) -> anyhow::Result<String> {
        self.http_waiting(head, body, Duration::from_secs(30))
    }

    /// [`Self::http`], waiting up to `patience` for the answer (a request queued behind a
    /// flood on a loaded machine).
    pub fn http_waiting(
        &self,
        head: &str,
        body: &[u8],
        patience: Duration,
    ) -> anyhow::Result<String> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(patience))?;
        let head = head.trim_end_matches("\r\n");
        let request = format!(
            "{head}\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        );
        stream.write_all(request.as_bytes())?;
        stream.write_all(body)?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        Ok(String::from_utf8_lossy(&answer).into_owned())
    }

    /// Signs in as `admin` through the sign-in server function (with `extra_headers`, e.g. an
    /// `Origin`) and returns the session token of the `mf_session` cookie.
    pub fn sign_in(&self, extra_headers: &str) -> anyhow::Result<String> {
        let body = format!(
            "username=admin&password={}",
            self.admin_password.replace(' ', "+")
        );
        let answer = self.http(
            format!(
                "POST /api/auth/sign_in HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 Accept: application/json\r\n{extra_headers}"
            )
            .trim_end(),
            body.as_bytes(),
        )?;
        answer
            .lines()
            .find_map(|line| line.strip_prefix("set-cookie: mf_session="))
            .and_then(|rest| rest.split(';').next())
            .filter(|token| !token.is_empty())
            .map(str::to_string)
            .with_context(|| format!("no session cookie in:\n{answer}"))
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    fn wait_healthy(&self, limit: Duration) -> anyhow::Result<()> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child().try_wait()? {
                bail!(
                    "mailferry exited with {status} before it was healthy:\n{}",
                    self.log_text()
                );
            }
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
                let mut answer = String::new();
                let _ = stream.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "mailferry was not healthy within {limit:?}:\n{}",
            self.log_text()
        )
    }
}

impl Drop for MailferryServer {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner);
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The first-run set-up code a server printed in its log (`… enter the set-up code XXXX-…`).
pub fn setup_code(log: &str) -> Option<String> {
    // The last: a process started again (on another port) prints a code of its own.
    let (_, rest) = log.rsplit_once("enter the set-up code ")?;
    let code: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (!code.is_empty()).then_some(code)
}
