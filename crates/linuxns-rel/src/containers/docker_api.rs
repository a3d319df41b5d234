//! The Docker Engine API over its unix socket, for a caller who may not read
//! `/var/lib/docker` but may use the socket (a user in the `docker` group).
//! Plain HTTP/1.1 on one kept-alive connection, with read and write
//! timeouts taken from one deadline, so that a daemon that does not answer
//! costs at most that much time once per run.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One connection to the daemon, and what it has sent that is not read yet.
pub(super) struct Connection {
    stream: UnixStream,
    deadline: Instant,
    pending: Vec<u8>,
}

impl Connection {
    /// Connects to the socket; every call on the connection ends by `deadline`.
    pub(super) fn open(socket: &Path, deadline: Instant) -> Result<Connection, String> {
        let stream =
            UnixStream::connect(socket).map_err(|e| format!("{}: {e}", socket.display()))?;
        Ok(Connection {
            stream,
            deadline,
            pending: Vec::new(),
        })
    }

    /// `GET path`, and the answer's JSON; any status but 200 is an error
    /// that carries the daemon's message.
    pub(super) fn get_json(&mut self, path: &str) -> Result<Value, String> {
        let (status, body) = self
            .get(path)
            .map_err(|e| format!("docker API GET {path}: {e}"))?;
        let value: Value = serde_json::from_slice(&body)
            .map_err(|e| format!("docker API GET {path}: not JSON ({e})"))?;
        if status != 200 {
            let message = value.get("message").and_then(Value::as_str).unwrap_or("");
            return Err(format!("docker API GET {path}: status {status} {message}"));
        }
        Ok(value)
    }

    fn get(&mut self, path: &str) -> io::Result<(u16, Vec<u8>)> {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: linuxns-rel\r\n\r\n");
        self.stream.set_write_timeout(Some(self.remaining()?))?;
        self.stream
            .write_all(request.as_bytes())
            .map_err(|e| match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => timed_out(),
                _ => e,
            })?;
        let head_end = loop {
            if let Some(at) = find(&self.pending, b"\r\n\r\n") {
                break at;
            }
            self.fill()?;
        };
        let head =
            String::from_utf8_lossy(self.pending.get(..head_end).unwrap_or_default()).into_owned();
        self.pending.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no HTTP status line"))?;
        let mut length = None;
        let mut chunked = false;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse().map_err(|_| bad("bad Content-Length"))?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
        let body = if chunked {
            self.chunked_body()?
        } else if let Some(length) = length {
            self.take(length)?
        } else {
            return Err(bad("an answer without a length"));
        };
        Ok((status, body))
    }

    /// The body of an answer in chunks: `<hex size>[;ext]\r\n<data>\r\n`,
    /// ended by a chunk of size 0 and the (empty) trailers.
    fn chunked_body(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.line()?;
            let size = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                while !self.line()?.is_empty() {}
                return Ok(body);
            }
            body.extend(self.take(size)?);
            if !self.line()?.is_empty() {
                return Err(bad("a chunk longer than its size"));
            }
        }
    }

    fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(at) = find(&self.pending, b"\r\n") {
                let line = String::from_utf8_lossy(self.pending.get(..at).unwrap_or_default())
                    .into_owned();
                self.pending.drain(..at + 2);
                return Ok(line);
            }
            self.fill()?;
        }
    }

    fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.pending.len() < n {
            self.fill()?;
        }
        Ok(self.pending.drain(..n).collect())
    }

    fn fill(&mut self) -> io::Result<()> {
        self.stream.set_read_timeout(Some(self.remaining()?))?;
        let mut buf = [0u8; 16384];
        let n = self.stream.read(&mut buf).map_err(|e| match e.kind() {
            // What a read timeout gives.
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => timed_out(),
            _ => e,
        })?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the daemon closed the connection",
            ));
        }
        self.pending
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(())
    }

    fn remaining(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        Ok(left)
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "no answer within the time allowed")
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
