//! What a process started by a test holds in memory, for the printed figures.

/// The peak resident memory of a running process so far (VmHWM), in KiB; 0 once it is gone.
pub fn peak_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM:")
}

/// A `kB` field of a running process's `/proc/PID/status` (`VmHWM:`, `VmRSS:`); 0 once it is
/// gone.
pub fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
