//! Stopping the server processes the harness started, by their PID: a polite signal, then SIGKILL.

use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Sends `signal` to `child`, waits up to `grace` for it to exit, then SIGKILLs and reaps it.
///
/// The child is always reaped, so no zombie stays behind. Children of the child (server
/// workers) are expected to exit when their master does.
pub(crate) fn stop_child(child: &mut Child, signal: Signal, grace: Duration) -> anyhow::Result<()> {
    if child.try_wait()?.is_some() {
        return Ok(());
    }
    let pid = Pid::from_raw(i32::try_from(child.id()).context("PID out of range")?);
    // ESRCH here means it died between try_wait and kill: waiting below handles it.
    let _ = kill(pid, signal);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = kill(pid, Signal::SIGKILL);
    child.wait().context("waiting for a SIGKILLed child")?;
    Ok(())
}
