//! A tiny blocking IMAP client for provisioning test servers (create a user's mailbox, set a
//! quota): one command at a time, every answer read to its tagged line.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

use anyhow::{Context, bail};

pub(crate) struct LineClient {
    reader: BufReader<TcpStream>,
    next: u32,
    /// The server's `* OK` greeting.
    pub(crate) greeting: String,
}

impl LineClient {
    /// Connects to 127.0.0.1:`port` and reads the greeting.
    pub(crate) fn connect(port: u16) -> anyhow::Result<LineClient> {
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        let mut client = LineClient {
            reader: BufReader::new(stream),
            next: 0,
            greeting: String::new(),
        };
        let greeting = client.line()?;
        anyhow::ensure!(greeting.starts_with("* OK"), "greeting: {greeting}");
        client.greeting = greeting;
        Ok(client)
    }

    fn line(&mut self) -> anyhow::Result<String> {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line)?;
        anyhow::ensure!(n > 0, "the server closed the connection");
        Ok(line.trim_end().to_string())
    }

    /// Runs `command`; the untagged lines, or an error with the tagged NO/BAD.
    pub(crate) fn run(&mut self, command: &str) -> anyhow::Result<Vec<String>> {
        self.next += 1;
        let tag = format!("p{}", self.next);
        self.reader
            .get_mut()
            .write_all(format!("{tag} {command}\r\n").as_bytes())?;
        let mut untagged = Vec::new();
        loop {
            let line = self.line()?;
            match line.strip_prefix(&format!("{tag} ")) {
                Some(done) if done.starts_with("OK") => return Ok(untagged),
                Some(done) => bail!("{command}: {done}"),
                None => untagged.push(line),
            }
        }
    }
}
