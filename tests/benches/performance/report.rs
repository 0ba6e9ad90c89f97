//! The benchmark's report: medians per tool, ratios, the targets with what was
//! measured, the machine it ran on. `docs/performance.md` is this report plus the hand-written
//! notes below its notes heading, which regeneration keeps.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::corpus::Seeded;
use crate::machine::{file_system, machine};
use crate::measure::Cost;
use crate::server_side::ServerSide;
use crate::settings::Settings;
use crate::tools::Tool;
use crate::verify::Verdict;

/// The heading under which `docs/performance.md` keeps hand-written notes.
pub const NOTES_HEADING: &str = "## Notes";

/// One tool's first copy and no-op rerun, each with its verdict.
#[derive(Clone, Debug)]
pub struct ToolRun {
    pub tool: Tool,
    pub first: Cost,
    pub first_verdict: Result<Verdict, String>,
    pub rerun: Cost,
    pub rerun_verdict: Result<Verdict, String>,
}

pub struct Results {
    pub settings: Settings,
    pub tools: Vec<Tool>,
    pub corpus: Seeded,
    pub big_corpus: Seeded,
    pub runs: Vec<ToolRun>,
    pub big_runs: Vec<ToolRun>,
    pub server: ServerSide,
}

pub fn verdict_text(verdict: &Result<Verdict, String>) -> String {
    match verdict {
        Ok(v) => v.summary(),
        Err(e) => e.clone(),
    }
}

/// The middle value (the upper one of an even count); the default of none.
pub fn median<T: Ord + Copy + Default>(mut values: Vec<T>) -> T {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// Medians over the rounds of one tool.
struct Summary {
    first: Duration,
    rerun: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
    sum_rss_kib: u64,
    source_cpu: Duration,
    destination_cpu: Duration,
    verdicts: Vec<String>,
    failures: Vec<String>,
}

/// The summary of `tool` among `rows`, if it ran.
fn summary_of(rows: &[(Tool, Summary)], tool: Tool) -> Option<&Summary> {
    rows.iter().find(|(t, _)| *t == tool).map(|(_, s)| s)
}

fn summarize(runs: &[&ToolRun]) -> Summary {
    let mut verdicts: Vec<String> = runs
        .iter()
        .flat_map(|r| {
            [
                verdict_text(&r.first_verdict),
                verdict_text(&r.rerun_verdict),
            ]
        })
        .collect();
    verdicts.dedup();
    Summary {
        first: median(runs.iter().map(|r| r.first.wall).collect()),
        rerun: median(runs.iter().map(|r| r.rerun.wall).collect()),
        cpu: median(runs.iter().map(|r| r.first.cpu).collect()),
        peak_rss_kib: median(runs.iter().map(|r| r.first.peak_rss_kib).collect()),
        sum_rss_kib: median(runs.iter().map(|r| r.first.sum_rss_kib).collect()),
        source_cpu: median(runs.iter().map(|r| r.first.source_server_cpu).collect()),
        destination_cpu: median(
            runs.iter()
                .map(|r| r.first.destination_server_cpu)
                .collect(),
        ),
        verdicts,
        failures: runs
            .iter()
            .flat_map(|r| [&r.first.failure, &r.rerun.failure])
            .flatten()
            .cloned()
            .collect(),
    }
}

impl Results {
    fn per_tool(&self, runs: &[ToolRun]) -> Vec<(Tool, Summary)> {
        self.tools
            .iter()
            .filter_map(|&tool| {
                let mine: Vec<&ToolRun> = runs.iter().filter(|r| r.tool == tool).collect();
                (!mine.is_empty()).then(|| (tool, summarize(&mine)))
            })
            .collect()
    }

    fn table(out: &mut String, corpus: &Seeded, rows: &[(Tool, Summary)]) {
        let _ = writeln!(
            out,
            "| tool | first copy | messages/s | MB/s | CPU (tool) | peak RSS (largest / sum of processes) | CPU source / destination Dovecot | no-op rerun | verifier |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
        for (tool, s) in rows {
            let wall = s.first.as_secs_f64().max(1e-9);
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.1} | {} | {} / {} | {} / {} | {} | {} |",
                tool.name(),
                secs(s.first),
                corpus.messages as f64 / wall,
                corpus.bytes as f64 / 1e6 / wall,
                secs(s.cpu),
                mib(s.peak_rss_kib),
                mib(s.sum_rss_kib),
                secs(s.source_cpu),
                secs(s.destination_cpu),
                secs(s.rerun),
                s.verdicts.join("; ")
            );
        }
        for (tool, s) in rows {
            for failure in &s.failures {
                let _ = writeln!(
                    out,
                    "\n{} failed: `{}`",
                    tool.name(),
                    failure.replace('\n', " ⏎ ")
                );
            }
        }
    }

    fn ratio(
        rows: &[(Tool, Summary)],
        a: Tool,
        b: Tool,
        pick: fn(&Summary) -> Duration,
    ) -> Option<f64> {
        let find = |t| summary_of(rows, t).map(pick);
        Some(find(a)?.as_secs_f64() / find(b)?.as_secs_f64().max(1e-9))
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        self.header(&mut out);
        let rows = self.per_tool(&self.runs);
        self.first_copy(&mut out, &rows);
        let big = self.per_tool(&self.big_runs);
        self.big_messages(&mut out, &big);
        self.server_side(&mut out);
        out.push_str(&self.targets(&rows, &big));
        out
    }

    /// The title, the machine, the tools and how they ran.
    fn header(&self, out: &mut String) {
        let s = &self.settings;
        let _ = writeln!(*out, "# Performance\n");
        let _ = writeln!(
            *out,
            "Generated by `bash scripts/bench.sh` (the `performance` bench of `tests/`) on {}. \
             Figures, not assertions: the machine is shared and runs vary up to 2×.\n",
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
        );
        let _ = writeln!(*out, "- Machine: {}", machine());
        for tool in &self.tools {
            let version = tool.version();
            let _ = writeln!(
                out,
                "- {}: {}",
                tool.name(),
                version.lines().next().unwrap_or("")
            );
        }
        let binary = mailferry_tests::mailferry_server::mailferry_binary()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let _ = writeln!(
            *out,
            "- Mailferry binary: `{}` ({} profile)",
            binary.rsplit("target/").next().unwrap_or(&binary),
            if binary.contains("/release/") {
                "release"
            } else {
                "dev"
            }
        );
        let _ = writeln!(
            *out,
            "- Source and destination: Dovecot on 127.0.0.1, Maildir in `{}` ({}), plain IMAP; \
             destination `mail_fsync = {}` for every tool; a fresh, empty destination for each run.",
            std::env::temp_dir().display(),
            file_system(&std::env::temp_dir()),
            if s.fsync { "optimized" } else { "never" }
        );
        let _ = writeln!(
            *out,
            "- Corpus (seed {}): {} users × {} messages = {} messages, {:.2} GB; 20 folders per \
             user (nested, non-ASCII names), mostly 2–20 KB, 8 % 100 KB–2 MB, 10 per 2,500 of \
             10–20 MB; flags with keywords; every 100th message reuses a Message-ID.",
            s.seed,
            s.users,
            s.messages,
            self.corpus.messages,
            self.corpus.bytes as f64 / 1e9
        );
        let _ = writeln!(
            *out,
            "- All users at once: Mailferry `migrate --concurrency {}` (one process, SQLite \
             state); doveadm and mbsync one process per user. Medians of {} round(s), tools \
             alternating.\n",
            s.users, s.rounds
        );
    }

    /// The first copy and the no-op rerun of the corpus, with the ratios.
    fn first_copy(&self, out: &mut String, rows: &[(Tool, Summary)]) {
        let _ = writeln!(*out, "## First copy and no-op rerun\n");
        Self::table(out, &self.corpus, rows);
        let first = |x: &Summary| x.first;
        let rerun = |x: &Summary| x.rerun;
        let mut ratios = Vec::new();
        for (other, name) in [(Tool::Doveadm, "doveadm"), (Tool::Mbsync, "mbsync")] {
            if let Some(r) = Self::ratio(rows, Tool::Mailferry, other, first) {
                ratios.push(format!("Mailferry/{name} first copy **{r:.2}×**"));
            }
            if let Some(r) = Self::ratio(rows, Tool::Mailferry, other, rerun) {
                ratios.push(format!("no-op rerun {r:.2}×"));
            }
        }
        let _ = writeln!(
            *out,
            "\nRatios (wall time, medians): {}.\n",
            ratios.join(", ")
        );
    }

    /// Many mailboxes at once with 20 MB messages, when that part ran.
    fn big_messages(&self, out: &mut String, big: &[(Tool, Summary)]) {
        let s = &self.settings;
        if !big.is_empty() {
            let _ = writeln!(
                *out,
                "## {} mailboxes at once, 20 MB messages included\n\n{} messages, {:.2} GB.\n",
                s.big_users,
                self.big_corpus.messages,
                self.big_corpus.bytes as f64 / 1e9
            );
            Self::table(out, &self.big_corpus, big);
            let _ = writeln!(*out);
        }
    }

    /// The error report's queries and download, and the WASM bundle.
    fn server_side(&self, out: &mut String) {
        let s = &self.settings;
        let _ = writeln!(*out, "## Server side\n");
        if !self.server.queries.is_empty() {
            let _ = writeln!(
                *out,
                "Error report queries on {} errors (median of 9):\n",
                s.errors
            );
            let _ = writeln!(*out, "| store | query | matching rows | time |");
            let _ = writeln!(*out, "|---|---|---|---|");
            for q in &self.server.queries {
                let _ = writeln!(
                    *out,
                    "| {} | {} | {} | {:.1} ms |",
                    q.store,
                    q.what,
                    q.rows_matching,
                    q.median.as_secs_f64() * 1000.0
                );
            }
        }
        for (i, d) in self.server.downloads.iter().enumerate() {
            let _ = writeln!(
                *out,
                "\nMigrationErrors.csv download {}: {} rows, {:.1} MB, first byte after {:.0} ms, \
                 all in {:.2} s; server RSS {} before, peak during the download {}.",
                i + 1,
                d.rows,
                d.bytes as f64 / 1e6,
                d.first_byte.as_secs_f64() * 1000.0,
                d.total.as_secs_f64(),
                mib(d.rss_before_kib),
                mib(d.peak_after_kib)
            );
        }
        match (self.server.wasm_bytes, self.server.wasm_gzip_bytes) {
            (Some(raw), Some(gz)) => {
                let _ = writeln!(
                    *out,
                    "\nWASM bundle (target/site/pkg, as last built): {:.0} KiB, {:.0} KiB gzipped.",
                    raw as f64 / 1024.0,
                    gz as f64 / 1024.0
                );
            }
            _ => {
                let _ = writeln!(*out, "\nWASM bundle: not built.");
            }
        }
        for note in &self.server.notes {
            let _ = writeln!(*out, "\n{note}");
        }
    }

    fn targets(&self, rows: &[(Tool, Summary)], big: &[(Tool, Summary)]) -> String {
        let mut out = String::from("\n## Targets\n\n| target | measured | |\n|---|---|---|\n");
        let mut line = |target: &str, measured: String, met: Option<bool>| {
            let mark = match met {
                Some(true) => "met",
                Some(false) => "**not met**",
                None => "not measured",
            };
            let _ = writeln!(out, "| {target} | {measured} | {mark} |");
        };
        self.copy_targets(rows, big, &mut line);
        self.server_targets(&mut line);
        out
    }

    /// The targets of the copy: speed against the peers, the verifier, the rerun, memory.
    fn copy_targets(
        &self,
        rows: &[(Tool, Summary)],
        big: &[(Tool, Summary)],
        line: &mut impl FnMut(&str, String, Option<bool>),
    ) {
        let first = |x: &Summary| x.first;
        let doveadm = Self::ratio(rows, Tool::Mailferry, Tool::Doveadm, first);
        let mbsync = Self::ratio(rows, Tool::Mailferry, Tool::Mbsync, first);
        line(
            "first copy ≤ 1.5× doveadm (on the way to ≤ 1.0×)",
            doveadm.map_or("—".into(), |r| format!("{r:.2}×")),
            doveadm.map(|r| r <= 1.5),
        );
        line(
            "first copy ≤ 0.5× mbsync",
            mbsync.map_or("—".into(), |r| format!("{r:.2}×")),
            mbsync.map(|r| r <= 0.5),
        );
        let mine = summary_of(rows, Tool::Mailferry);
        let identical = self
            .runs
            .iter()
            .chain(&self.big_runs)
            .filter(|r| r.tool == Tool::Mailferry)
            .all(|r| {
                matches!(&r.first_verdict, Ok(v) if v.identical())
                    && matches!(&r.rerun_verdict, Ok(v) if v.identical())
            });
        line(
            "verifier: complete and identical, every run",
            if identical { "yes".into() } else { "no".into() },
            mine.map(|_| identical),
        );
        line(
            &format!("no-op rerun of {} messages ≤ 0.5 s", self.corpus.messages),
            mine.map_or("—".into(), |s| secs(s.rerun)),
            mine.map(|s| s.rerun <= Duration::from_millis(500)),
        );
        line(
            &format!(
                "peak RSS ≤ 100 MiB, {} mailboxes at once",
                self.settings.users
            ),
            mine.map_or("—".into(), |s| mib(s.peak_rss_kib)),
            mine.map(|s| s.peak_rss_kib <= 100 * 1024),
        );
        let big_mine = summary_of(big, Tool::Mailferry);
        line(
            &format!(
                "peak RSS ≤ 150 MiB, {} mailboxes at once with 20 MB messages",
                self.settings.big_users
            ),
            big_mine.map_or("—".into(), |s| mib(s.peak_rss_kib)),
            big_mine.map(|s| s.peak_rss_kib <= 150 * 1024),
        );
    }

    /// The targets of the server: the report's queries and download, the WASM bundle.
    fn server_targets(&self, line: &mut impl FnMut(&str, String, Option<bool>)) {
        let slowest = self.server.queries.iter().map(|q| q.median).max();
        line(
            &format!(
                "error report query on {} errors ≤ 50 ms",
                self.settings.errors
            ),
            slowest.map_or("—".into(), |d| {
                format!("slowest {:.1} ms", d.as_secs_f64() * 1000.0)
            }),
            slowest.map(|d| d <= Duration::from_millis(50)),
        );
        let download = self.server.downloads.iter().map(|d| d.total).max();
        let memory = self
            .server
            .downloads
            .iter()
            .map(|d| d.peak_after_kib.saturating_sub(d.rss_before_kib))
            .max();
        line(
            &format!(
                "MigrationErrors.csv of {} rows streamed ≤ 1 s",
                self.settings.errors
            ),
            download.map_or("—".into(), secs),
            download.map(|d| d <= Duration::from_secs(1)),
        );
        line(
            "…at constant memory (peak growth during the download)",
            memory.map_or("—".into(), mib),
            memory.map(|m| m <= 32 * 1024),
        );
        let gz = self.server.wasm_gzip_bytes;
        line(
            "WASM bundle ≤ 1 MiB gzipped (release)",
            gz.map_or("—".into(), |b| format!("{:.0} KiB", b as f64 / 1024.0)),
            gz.map(|b| b <= 1024 * 1024),
        );
    }
}

/// Writes `text` to `path`, keeping whatever follows the notes heading in the file already there.
pub fn write_keeping_notes(path: &Path, text: &str) -> std::io::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let notes = old
        .find(NOTES_HEADING)
        .map(|i| old[i..].to_string())
        .unwrap_or_else(|| {
            format!("{NOTES_HEADING}\n\n(Hand-written notes go here; regeneration keeps them.)\n")
        });
    std::fs::write(path, format!("{}\n\n{notes}", text.trim_end()))
}
