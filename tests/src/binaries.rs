//! Locating the system binaries the test bed runs, naming the Debian package when one is missing.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Returns the first existing path among `candidates`, or an error naming `package`.
pub fn require_binary(candidates: &[&str], package: &str) -> anyhow::Result<PathBuf> {
    candidates
        .iter()
        .map(Path::new)
        .find(|path| path.is_file())
        .map(Path::to_path_buf)
        .with_context(|| {
            format!(
                "none of {candidates:?} exists: install the Debian package `{package}` \
                 (apt-get install -y {package})"
            )
        })
}

/// Returns the `bin` directory of the newest PostgreSQL under `/usr/lib/postgresql/*/bin`.
pub(crate) fn postgres_bin_dir() -> anyhow::Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("postgres").is_file())
                .then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "no PostgreSQL server under {}/*/bin: install the Debian package `postgresql` \
             (apt-get install -y postgresql)",
            root.display()
        ),
    }
}
