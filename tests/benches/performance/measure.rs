//! What a run costs: wall time and CPU of the tool's processes (from `wait4`), their peak RSS
//! (VmHWM, watched while they run), and the CPU the Dovecot servers spent on it (their reaped
//! IMAP processes, from `/proc`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use mailferry_tests::process_memory::status_kib;

/// The cost of one run of a tool (one or several processes started together).
#[derive(Clone, Debug, Default)]
pub struct Cost {
    pub wall: Duration,
    /// User + system CPU of the tool's processes.
    pub cpu: Duration,
    /// Peak RSS of the largest process, and the sum of the processes' peaks.
    pub peak_rss_kib: u64,
    pub sum_rss_kib: u64,
    pub source_server_cpu: Duration,
    pub destination_server_cpu: Duration,
    /// The end of the output of a process that failed.
    pub failure: Option<String>,
}

/// CPU time of a Dovecot master's reaped children (its IMAP and doveadm-server processes).
pub fn children_cpu(pid: Option<u32>) -> Duration {
    let Some(pid) = pid else {
        return Duration::ZERO;
    };
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // Fields after the command name in parentheses; cutime and cstime are fields 16 and 17.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = [13, 14]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

struct Finished {
    status: i32,
    cpu: Duration,
}

/// Waits for `child` with `wait4`, which hands back its own resource usage.
fn wait_with_usage(child: &Child) -> Finished {
    let mut status = 0;
    // SAFETY: rusage is plain data, filled by the kernel.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: the pid is our own child, not yet reaped.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Finished {
        status: if rc == pid && libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
    }
}

/// Servers whose CPU is counted while the tool runs.
pub struct Servers {
    pub source_pid: Option<u32>,
    pub destination_pid: Option<u32>,
}

impl Servers {
    pub fn of(source: &mailferry_tests::Dovecot, destination: &mailferry_tests::Dovecot) -> Self {
        Servers {
            source_pid: source.pid(),
            destination_pid: destination.pid(),
        }
    }
}

/// Runs `commands` at once (output to files in `log_dir`) and waits for all of them.
pub fn run(commands: Vec<Command>, log_dir: &std::path::Path, servers: &Servers) -> Cost {
    let source_before = children_cpu(servers.source_pid);
    let destination_before = children_cpu(servers.destination_pid);
    let start = Instant::now();
    let mut children = Vec::new();
    for (i, mut command) in commands.into_iter().enumerate() {
        let log = log_dir.join(format!("process-{i}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        children.push((command.spawn().expect("the tool starts"), log));
    }
    let mut cost = Cost::default();
    // wait4's ru_maxrss cannot be used: a spawned child starts with the spawning process's
    // peak (Linux keeps the larger of the old and the new memory's peak across exec). Each
    // child's own peak is VmHWM in /proc while it runs: watched until every child has exited.
    let pids: Vec<u32> = children.iter().map(|(c, _)| c.id()).collect();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peaks = vec![0u64; pids.len()];
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                for (peak, pid) in peaks.iter_mut().zip(&pids) {
                    *peak = (*peak).max(status_kib(*pid, "VmHWM:"));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            peaks
        })
    };
    for (child, log) in &children {
        let finished = wait_with_usage(child);
        cost.cpu += finished.cpu;
        if finished.status != 0 {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: String = text
                .lines()
                .rev()
                .take(6)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            cost.failure
                .get_or_insert(format!("exit {}: {tail}", finished.status));
        }
    }
    cost.wall = start.elapsed();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let peaks = watcher.join().unwrap_or_default();
    cost.peak_rss_kib = peaks.iter().copied().max().unwrap_or(0);
    cost.sum_rss_kib = peaks.iter().sum();
    // The servers' IMAP processes end right after LOGOUT; give the master a moment to reap them.
    std::thread::sleep(Duration::from_millis(300));
    cost.source_server_cpu = children_cpu(servers.source_pid).saturating_sub(source_before);
    cost.destination_server_cpu =
        children_cpu(servers.destination_pid).saturating_sub(destination_before);
    cost
}
